// `network-cni-setup`: the agent's CNI isolator runs it to give a container
// its /etc/hosts, /etc/hostname and /etc/resolv.conf, its hostname and a
// working loopback, from outside the container's namespaces.
import { defineSubcommand } from '../subcommand/dispatch';
import { complain } from '../subcommand/output';
import { networkCniSetupFlags } from './flags';
import { planNetworkCniSetup, type SetupFlags } from './plan';
import { runSteps, type CniSystem } from './steps';
import { realSystem } from './system';

/** Plans, then carries out the plan through `system`; returns the exit code. */
export function runNetworkCniSetup(flags: SetupFlags, system: CniSystem, cwd: string = process.cwd()): number {
  const plan = planNetworkCniSetup(flags, { exists: (path) => system.exists(path), cwd });
  if (!plan.ok) {
    complain(plan.message);
    return 1;
  }
  const failure = runSteps(plan.steps, system);
  if (failure !== undefined) {
    complain(failure);
    return 1;
  }
  return 0;
}

export const networkCniSetup = defineSubcommand({
  name: 'network-cni-setup',
  flags: networkCniSetupFlags,
  execute: (flags) => runNetworkCniSetup(flags, realSystem()),
});
