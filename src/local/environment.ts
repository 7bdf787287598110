// What a local cluster takes from MESOS_* variables, as Mesos's
// local::launch does: its own work directory and number of agents, and the
// flags of Mesos's agent that our agent honours. Loaded with stout's rules;
// other MESOS_* variables are not ours and are left alone, as stout leaves
// variables that name no flag.
import { type Flags, type FlagSpecs, loadFlags } from '../subcommand/flags';

export const environmentFlags = {
  work_dir: { type: 'string', help: "The cluster's work directory." },
  num_slaves: { type: 'int', help: 'How many agents to start.' },
  resources: {
    type: 'string',
    help: "Each agent's resources, in Mesos's text or JSON\nform, e.g. 'cpus:2;mem:1024;ports:[31000-31100]';\nwhat it leaves out of cpus, mem, disk and ports is\nprobed.",
  },
  hostname: { type: 'string', help: 'The hostname the master and the agents advertise;\ndefault: this machine\'s.' },
  cgroups_root: {
    type: 'string',
    help: "The agent's cgroup, above its containers'; with one\nagent only. Default: named after the agent's work\ndirectory.",
  },
  cgroups_enable_cfs: {
    type: 'bool',
    help: "Each task's cpus as a hard limit (a CFS quota), not\nonly a share of the machine. Default false.",
  },
  network_cni_config_dir: {
    type: 'string',
    help: "Each agent's CNI network configurations, one file a\nnetwork (with MESOS_NETWORK_CNI_PLUGINS_DIR).",
  },
  network_cni_plugins_dir: {
    type: 'string',
    help: 'Where the CNI plugins are, colon-separated\ndirectories.',
  },
} as const satisfies FlagSpecs;

export type ClusterEnvironment = Omit<Flags<typeof environmentFlags>, 'help'>;

/** The cluster's MESOS_* variables; throws FlagError with stout's words. */
export function clusterEnvironment(env: NodeJS.ProcessEnv): ClusterEnvironment {
  const { help: _help, ...flags } = loadFlags(environmentFlags, [], env, 'MESOS_');
  return flags;
}
