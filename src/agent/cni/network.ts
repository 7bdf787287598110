// Carrying out a NetworkPlan for one container, as Mesos's network/cni
// isolator does between the container's clone and its go-ahead: the
// container's network namespace bound in its network directory, each
// network's plugin ADD (then `portmap` for its port mappings), the
// configurations and results kept beside the bind, the /etc files written
// and set up inside the container by `network-cni-setup`; and the undoing,
// whenever the container ends or a step fails: DEL for every ADD that was
// tried, last first, then the bind and the directory. Every plugin runs
// within a deadline; a plugin that fails, hangs or prints garbage fails the
// attach with its own words.
import { quoteValue } from '../../subcommand/quote';
import type { Json } from './json';
import { type Attachment, type CniCommand, type NetworkPlan, pluginEnvironment, portmapConfig } from './plan';
import { type CniResult, CniResultError, hostsFile, parseResult, pluginError, resolvConf, statusNetworkInfos } from './result';
import type { NetworkSystem, ProcessRun } from './system';

/** How long a plugin (or the setup) may take, unless told: Mesos waits without bound. */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 60_000;

/** A step of the attach failed; the message follows "Failed to launch container: ". */
export class NetworkError extends Error {}

export interface NetworkOptions {
  readonly timeoutMs?: number;
  /** PATH for the plugins; default the agent's. */
  readonly path?: string | undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}secs`;
}

/** What one attachment got: whether its ADD was tried, the network plugin's result, and portmap's configuration once tried. */
export interface AttachmentState {
  added: boolean;
  result?: CniResult;
  /** DEL gets what ADD got. */
  portmap?: Json;
}

export class ContainerNetworks {
  private readonly states: AttachmentState[];
  private readonly timeoutMs: number;
  private made = false;
  private bound = false;
  private detached: Promise<string[]> | undefined;
  private attachedInfos: Json[] | undefined;
  /** Fires when the attach is to stop: the container is being killed. */
  private readonly stopping = new AbortController();

  constructor(
    readonly plan: NetworkPlan,
    private readonly system: NetworkSystem,
    private readonly options: NetworkOptions = {},
  ) {
    this.states = plan.attachments.map(() => ({ added: false }));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
  }

  /**
   * The networks of a container a previous agent attached, from what it
   * kept: `states` says which ADDs were tried; `bound` whether the
   * namespace's bind is still there. Only `detach` is for these.
   */
  static left(
    plan: NetworkPlan,
    states: readonly AttachmentState[],
    bound: boolean,
    system: NetworkSystem,
    options: NetworkOptions = {},
  ): ContainerNetworks {
    const networks = new ContainerNetworks(plan, system, options);
    networks.states.splice(0, networks.states.length, ...states.map((state) => ({ ...state })));
    networks.made = true;
    networks.bound = bound;
    return networks;
  }

  /** The NetworkInfos of the container's status, with its addresses, once attached. */
  get networkInfos(): Json[] | undefined {
    return this.attachedInfos;
  }

  /** Joins the container of `pid` to its networks; throws NetworkError. Undo with `detach`, whatever happened. */
  async attach(pid: number, parentPid: number): Promise<void> {
    const { plan, system } = this;
    try {
      system.makeDirectory(plan.dir);
      this.made = true;
    } catch (error) {
      throw new NetworkError(`Failed to create the container's network directory '${plan.dir}': ${messageOf(error)}`);
    }
    try {
      system.bindNamespace(pid, parentPid, plan.netns);
      this.bound = true;
    } catch (error) {
      throw new NetworkError(`Failed to mount the network namespace handle from '/proc/${pid}/ns/net' to '${plan.netns}': ${messageOf(error)}`);
    }
    for (const [index, attachment] of plan.attachments.entries()) {
      this.checkNotStopped();
      await this.add(attachment, this.states[index]!);
    }
    this.checkNotStopped();
    const results = this.states.map((state) => state.result!);
    const hosts = `${plan.dir}/hosts`;
    const hostname = `${plan.dir}/hostname`;
    // Without name servers from a plugin, a copy of the host's: never the host's file itself.
    const resolv = resolvConf(results) ?? system.readText(system.hostResolvConf) ?? '';
    const resolvPath = `${plan.dir}/resolv.conf`;
    try {
      system.writeFile(hostname, plan.hostname, true);
      system.writeFile(hosts, hostsFile(plan.hostname, results), true);
      system.writeFile(resolvPath, resolv, true);
    } catch (error) {
      throw new NetworkError(`Failed to write the container's network files: ${messageOf(error)}`);
    }
    const setup = await system.runSetup(
      {
        pid,
        parentPid,
        hostname: plan.hostname,
        ...(plan.rootfs === undefined ? {} : { rootfs: plan.rootfs }),
        etcHostsPath: hosts,
        etcHostnamePath: hostname,
        etcResolvConf: resolvPath,
      },
      this.timeoutMs,
      this.stopping.signal,
    );
    this.checkNotStopped();
    if (setup.error !== undefined || setup.timedOut || setup.code !== 0) {
      const why = setup.error ?? (setup.timedOut ? `no answer within ${seconds(this.timeoutMs)}` : quoteValue(setup.stderr.trim(), 400));
      throw new NetworkError(`Failed to setup hostname and network files: ${why}`);
    }
    this.attachedInfos = statusNetworkInfos(plan.attachments, results);
  }

  /**
   * Stops an attach under way: the plugin running is killed, nothing more
   * starts, and `attach` fails. Its DEL still comes with `detach`.
   */
  abort(): void {
    this.stopping.abort();
  }

  /** Leaves every network joined or tried, once; resolves with what could not be undone, one line each. */
  detach(): Promise<string[]> {
    this.detached ??= this.undo();
    return this.detached;
  }

  private checkNotStopped(): void {
    if (this.stopping.signal.aborted) throw new NetworkError('the container is being killed');
  }

  private async add(attachment: Attachment, state: AttachmentState): Promise<void> {
    const { plan, system } = this;
    const configPath = `${attachment.dir}/network.conf`;
    try {
      system.makeDirectory(attachment.dir);
    } catch (error) {
      throw new NetworkError(`Failed to create the directory of interface '${attachment.ifname}': ${messageOf(error)}`);
    }
    this.keep(configPath, attachment.config, `the CNI network configuration of '${attachment.network}'`);
    state.added = true;
    const run = await this.run(attachment.plugin, attachment, 'ADD', attachment.config);
    const result = this.resultOf(attachment.plugin, attachment, run);
    state.result = result;
    this.keep(`${attachment.dir}/network.info`, result.raw, `the output of the CNI plugin '${attachment.plugin}'`);
    if (attachment.portMappings.length === 0) return;
    const portmap = plan.portmap!;
    const config = portmapConfig(attachment, result.raw);
    this.keep(`${attachment.dir}/portmap.conf`, config, `the port mappings of CNI network '${attachment.network}'`);
    state.portmap = config;
    this.checkNotStopped();
    this.resultOf(portmap, attachment, await this.run(portmap, attachment, 'ADD', config));
  }

  /** Writes what a later DEL (maybe the next agent's) needs. */
  private keep(path: string, value: Json, what: string): void {
    try {
      this.system.writeFile(path, JSON.stringify(value));
    } catch (error) {
      throw new NetworkError(`Failed to checkpoint ${what}: ${messageOf(error)}`);
    }
  }

  private run(plugin: string, attachment: Attachment, command: CniCommand, config: Json): Promise<ProcessRun> {
    const env = pluginEnvironment(this.plan, attachment, command, { netns: this.bound, path: this.options.path ?? process.env['PATH'] });
    // A DEL is never stopped: it is the undoing.
    const abort = command === 'ADD' ? this.stopping.signal : undefined;
    return this.system.runPlugin(plugin, env, JSON.stringify(config), this.timeoutMs, abort);
  }

  private failure(plugin: string, attachment: Attachment, command: CniCommand, run: ProcessRun): string | undefined {
    const what =
      command === 'ADD'
        ? `attach container ${this.plan.containerId} to CNI network '${attachment.network}'`
        : `detach container ${this.plan.containerId} from CNI network '${attachment.network}'`;
    if (run.error !== undefined) return `Failed to execute the CNI plugin '${plugin}': ${run.error}`;
    if (run.aborted === true) return `The CNI plugin '${plugin}' was stopped: the container is being killed`;
    if (run.timedOut) return `The CNI plugin '${plugin}' did not ${what} within ${seconds(this.timeoutMs)}`;
    if (run.code !== 0) {
      const how = run.signal === null ? '' : ` (killed by ${run.signal})`;
      return `The CNI plugin '${plugin}' failed to ${what}${how}: ${pluginError(run.stdout, run.stderr)}`;
    }
    return undefined;
  }

  private resultOf(plugin: string, attachment: Attachment, run: ProcessRun): CniResult {
    const failure = this.failure(plugin, attachment, 'ADD', run);
    if (failure !== undefined) throw new NetworkError(failure);
    try {
      return parseResult(run.stdout);
    } catch (error) {
      if (!(error instanceof CniResultError)) throw error;
      throw new NetworkError(`Failed to parse the output of the CNI plugin '${plugin}': ${error.message}`);
    }
  }

  private async undo(): Promise<string[]> {
    const { plan, system } = this;
    const failures: string[] = [];
    for (let index = plan.attachments.length - 1; index >= 0; index--) {
      const attachment = plan.attachments[index]!;
      const state = this.states[index]!;
      if (state.portmap !== undefined && plan.portmap === undefined) {
        failures.push(`Failed to remove the port mappings of container ${plan.containerId} on CNI network '${attachment.network}': no 'portmap' plugin`);
      } else if (state.portmap !== undefined) {
        const failure = this.failure(plan.portmap!, attachment, 'DEL', await this.run(plan.portmap!, attachment, 'DEL', state.portmap));
        if (failure !== undefined) failures.push(failure);
      }
      if (state.added) {
        const run = await this.run(attachment.plugin, attachment, 'DEL', attachment.config);
        const failure = this.failure(attachment.plugin, attachment, 'DEL', run);
        if (failure !== undefined) failures.push(failure);
      }
    }
    if (this.bound) {
      try {
        system.unbindNamespace(plan.netns);
        this.bound = false;
      } catch (error) {
        failures.push(`Failed to unmount the network namespace handle '${plan.netns}': ${messageOf(error)}`);
      }
    }
    if (this.made && !this.bound) {
      try {
        system.removeDirectory(plan.dir);
      } catch (error) {
        failures.push(`Failed to remove the container's network directory '${plan.dir}': ${messageOf(error)}`);
      }
    }
    return failures;
  }
}
