// A Mesos cluster in one process, as Mesos's local::launch makes it: one
// master serving the scheduler API and `numAgents` agents on this machine
// registered with it in process, everything under one work directory (see
// ./work-dir.ts), the agents' flags from MESOS_* variables (see
// ./environment.ts).
//
//   const cluster = await LocalCluster.start({ port: 0 });
//   // schedulers use cluster.url
//   await cluster.stop(); // tasks killed, streams ended, port released, what it made removed
import { isIPv4 } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { LocalAgent, type LocalAgentOptions } from '../agent/local-agent';
import { type RunningMaster, type StartOptions, startMaster } from '../master/index';
import { reasonOf } from '../../native/libc';
import { complain } from '../subcommand/output';
import { clusterEnvironment } from './environment';
import { type ClusterWorkDir, prepareWorkDir, removeAbandoned } from './work-dir';

export interface LocalClusterOptions {
  /** The address the master listens on; default 127.0.0.1. */
  readonly ip?: string;
  /** Default 5050; 0 for any free port. */
  readonly port?: number;
  /** What the master and the agents advertise; default MESOS_HOSTNAME, else this machine's name. */
  readonly hostname?: string;
  /**
   * Everything the cluster makes goes here; default MESOS_WORK_DIR, else a
   * fresh directory under <TMPDIR or /tmp>/mesos/work, removed by stop()
   * (or, after a SIGKILL, by the next cluster that starts with a fresh one).
   */
  readonly workDir?: string;
  /** Default MESOS_NUM_SLAVES, else 1. */
  readonly numAgents?: number;
  /** Where MESOS_* (and TMPDIR) are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** More of the master's options (allocation and heartbeat intervals, ...). */
  readonly master?: Partial<Omit<StartOptions, 'ip' | 'port' | 'hostname'>>;
  /** More of every agent's options; these win over MESOS_* variables. */
  readonly agent?: Partial<Omit<LocalAgentOptions, 'workDir' | 'runtimeDir' | 'warn'>>;
  /** What goes wrong beside the tasks, one line each; default stderr. */
  readonly warn?: (message: string) => void;
}

/** Why a port could not be had, as Mesos's libprocess says it. */
function bindError(ip: string, port: number, error: unknown): Error {
  return new Error(`Failed to initialize: Failed to bind on ${ip}:${port}: ${reasonOf(error)}`);
}

export class LocalCluster {
  private stopping: Promise<void> | undefined;

  private constructor(
    /** The master's "http://<ip>:<port>". */
    readonly url: string,
    readonly master: RunningMaster,
    readonly agents: readonly LocalAgent[],
    /** The cluster's work directory. */
    readonly workDir: string,
    private readonly layout: ClusterWorkDir,
    private readonly warn: (message: string) => void,
  ) {}

  /** Starts the master, then each agent; on any failure undoes what it did and throws one line. */
  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const env = options.env ?? process.env;
    const warn = options.warn ?? ((message: string) => complain(message));
    const fromEnv = clusterEnvironment(env);
    const ip = options.ip ?? '127.0.0.1';
    const port = options.port ?? 5050;
    const numAgents = options.numAgents ?? fromEnv.num_slaves ?? 1;
    const hostname = options.hostname ?? fromEnv.hostname ?? osHostname();
    if (!isIPv4(ip)) throw new Error(`Failed to initialize: '${ip}' is not an IPv4 address`);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port ${port}: expecting 0 to 65535`);
    if (!Number.isInteger(numAgents) || numAgents < 0) throw new Error(`Invalid number of agents ${numAgents}: expecting 0 or more`);
    const cgroupsRoot = options.agent?.cgroupsRoot ?? fromEnv.cgroups_root;
    if (cgroupsRoot !== undefined && numAgents > 1) {
      throw new Error(`The cgroups root '${cgroupsRoot}' can't be shared by ${numAgents} agents: each removes everything under its own`);
    }
    if (numAgents > 0 && process.getuid?.() !== 0) {
      throw new Error('The agents need root: they make namespaces, mounts and cgroups');
    }

    const given = options.workDir ?? fromEnv.work_dir;
    if (given === undefined) for (const failure of await removeAbandoned(env)) warn(failure);
    const layout = prepareWorkDir(given, numAgents, env);
    let master: RunningMaster;
    try {
      master = await startMaster({ ...options.master, ip, port, hostname });
    } catch (error) {
      layout.remove();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') throw bindError(ip, port, error);
      throw error;
    }
    const agents: LocalAgent[] = [];
    const cluster = new LocalCluster(master.url, master, agents, layout.root, layout, warn);
    try {
      for (let index = 0; index < numAgents; index++) {
        const agentOptions: LocalAgentOptions = {
          // An explicit empty text, so that the agent doesn't read process.env itself.
          resources: fromEnv.resources ?? '',
          networkCniConfigDir: fromEnv.network_cni_config_dir ?? '',
          networkCniPluginsDir: fromEnv.network_cni_plugins_dir ?? '',
          hostname,
          ...(cgroupsRoot === undefined ? {} : { cgroupsRoot }),
          ...(fromEnv.cgroups_enable_cfs === undefined ? {} : { cgroupsEnableCfs: fromEnv.cgroups_enable_cfs }),
          // MESOS_ISOLATION, the capability and seccomp flags, the provisioner backend.
          env,
          ...options.agent,
          workDir: layout.agentWorkDir(index),
          runtimeDir: layout.agentRuntimeDir(index),
          warn,
        };
        try {
          agents.push(await LocalAgent.start(agentOptions, master.addAgent));
        } catch (error) {
          throw new Error(`Failed to start agent ${index}: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /**
   * Kills every task and closes the agents (their containers, cgroups and
   * runtime directories go), stops the master (streams ended, port
   * released), then removes the work directory if the cluster made it.
   * Failures are warned, one line each; a second call waits for the first.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const closed = await Promise.allSettled(this.agents.map((agent) => agent.close()));
    for (const [index, result] of closed.entries()) {
      if (result.status === 'rejected') this.warn(`Failed to stop agent ${index}: ${reasonOf(result.reason)}`);
    }
    await this.master.stop();
    try {
      this.layout.remove();
    } catch (error) {
      this.warn(`Failed to remove the work directory '${this.workDir}': ${reasonOf(error)}`);
    }
  }
}
