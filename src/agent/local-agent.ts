// An agent on this machine, in the master's process: it registers with
// what it has (probed as Mesos's agent probes it, MESOS_RESOURCES
// overriding what it names) and runs command tasks in containers through
// our helper, as Mesos's agent and its command executor do together. Its
// status updates go through a status update manager with Mesos's rules.
//
//   const agent = await LocalAgent.start({ workDir: '/var/lib/agent' }, master.register);
//   // the master calls agent.runTask(framework, task), agent.killTask(...), ...
//   await agent.close();
import { mkdirSync, rmSync } from 'node:fs';
import { hostname as osHostname, userInfo } from 'node:os';
import type { Agent, AgentLink, AgentRegistration } from '../master/agents';
import type { FrameworkInfo, KillPolicy, Resource, TaskInfo, TaskState } from '../master/types';
import { complain } from '../subcommand/output';
import { destroyTree } from './cgroups/tree';
import { ContainerConfigError, containerConfig, DEFAULT_PIDS_LIMIT } from './container-config';
import { type CniNetworks, loadCniNetworks } from './cni/config';
import { removeLeftoverNetworks } from './cni/leftovers';
import { realConfigReader, realNetworkSystem } from './cni/system';
import type { NetworkRefusal } from './cni/plan';
import { taskNetworks, type TaskNetworks } from './cni/task-networks';
import { agentResources, machineProbe, type MachineProbe } from './probe';
import { checkRootfs } from './rootfs';
import { type ContainerDefaults, containerDefaults, taskDefaults } from './defaults';
import { RootfsStep, type StackedRootfs } from './rootfs-step';
import type { DockerProvisioner } from './provisioner/index';
import { StatusUpdateManager, type Timers } from './status-update-manager';
import { Container } from './supervision/container';
import { type CommandPlan, DEFAULT_KILL_GRACE_PERIOD_MS, durationMs, planCommandTask } from './task-info';
import { terminalUpdate } from './terminal-update';
import { taskEnvironment } from './task-environment';
import { makeSandbox, sandboxDirectory, type SandboxOutput } from './sandbox';
import { type StatusFields, taskStatus, terminalFields } from './task-status';
import { randomUuid } from './uuid';
import { agentCgroups, cgroupsRootFor, lockWorkDir, recordCgroup, removeLeftovers, type WorkDir, workDirOf } from './work-dir';

export type Register = (registration: AgentRegistration, agent: Agent) => AgentLink;

export interface LocalAgentOptions {
  /** The agent's directory: runtime directories, sandboxes, its records (Mesos's --work_dir). */
  readonly workDir: string;
  /** Where runtime directories go (Mesos's --runtime_dir); default <workDir>/run. */
  readonly runtimeDir?: string;
  /** Mesos's text or JSON form; default MESOS_RESOURCES. What it names is not probed. */
  readonly resources?: string;
  readonly hostname?: string;
  /** The agent's cgroup, between its own and its containers' (Mesos's --cgroups_root); default named after the work directory. */
  readonly cgroupsRoot?: string;
  /** The most processes a container may hold at once; default 4096. */
  readonly pidsLimit?: number;
  /**
   * A task's cpus as a hard limit (a CFS quota), as Mesos's
   * --cgroups_enable_cfs; default false, as Mesos's: only a share of the
   * machine under contention.
   */
  readonly cgroupsEnableCfs?: boolean;
  /**
   * 'host' (default, as Mesos's agent without a network isolator): tasks
   * share the machine's network and hostname. 'isolated': each task gets a
   * network namespace with only loopback, and its container id as hostname.
   */
  readonly network?: 'host' | 'isolated';
  /** Where every task's stdout and stderr go, instead of the files in its sandbox (fds this agent's process holds). */
  readonly taskOutput?: { readonly stdout: number; readonly stderr: number };
  /** Where the agent's own Mesos flags are read (MESOS_ISOLATION, MESOS_*_CAPABILITIES, MESOS_SECCOMP_*, MESOS_IMAGE_PROVISIONER_BACKEND, MESOS_SANDBOX_DIRECTORY); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Take ROOTFS_LABEL: a task may name a directory of this machine as its root filesystem. */
  readonly rootfsLabel?: boolean;
  /** Status update retries: Mesos's 10 s, doubling to 10 min. */
  readonly statusUpdateRetryIntervalMinMs?: number;
  readonly statusUpdateRetryIntervalMaxMs?: number;
  readonly timers?: Timers;
  readonly probe?: MachineProbe;
  /** Mesos's --network_cni_config_dir; default MESOS_NETWORK_CNI_CONFIG_DIR. With the next, '' for both: no networks. */
  readonly networkCniConfigDir?: string;
  /** Mesos's --network_cni_plugins_dir (colon-separated directories); default MESOS_NETWORK_CNI_PLUGINS_DIR. */
  readonly networkCniPluginsDir?: string;
  /** How long a CNI plugin may take before the launch fails; default 60 s. */
  readonly networkCniPluginTimeoutMs?: number;
  /** What goes wrong beside the tasks, one line each; default stderr. */
  readonly warn?: (message: string) => void;
}

/** A task on this agent. */
interface Run {
  readonly framework: FrameworkInfo;
  readonly frameworkId: string;
  readonly task: TaskInfo;
  readonly taskId: string;
  readonly containerId: string;
  readonly sandbox: string;
  container?: Container;
  networks?: TaskNetworks;
  gracePeriodMs: number;
  state: TaskState;
  /** The container is gone and the terminal update queued. */
  over: boolean;
  /** The framework is gone: nothing more is sent. */
  silenced: boolean;
  readonly ended: Promise<void>;
  end(): void;
  /** Its root filesystem's writable layer is on disk. */
  stackedRootfs?: boolean;
  /** Its image is being provisioned: no container yet. */
  pulling?: boolean;
  /** Its sandbox's stdout and stderr, open from the sandbox's making until its end (none with the agent's taskOutput). */
  output?: SandboxOutput;
}

/** What a test or an operator can see of a task. */
export interface TaskView {
  readonly containerId: string;
  readonly state: TaskState;
  readonly sandbox: string;
  readonly pid?: number;
  readonly cgroups: readonly string[];
  readonly runtimeDirectory: string;
}

const key = (frameworkId: string, taskId: string) => JSON.stringify([frameworkId, taskId]);
const hasCapability = (framework: FrameworkInfo, capability: string) => (framework.capabilities ?? []).some((entry) => entry.type === capability);

export class LocalAgent implements Agent {
  readonly registration: AgentRegistration;
  private link: AgentLink | undefined;
  private readonly runs = new Map<string, Run>();
  private readonly manager: StatusUpdateManager;
  private readonly warn: (message: string) => void;
  private readonly agentUser = userInfo().username;
  /** Frameworks shut down here: acknowledgements still on their way for them are dropped. */
  private readonly shutDown = new Set<string>();
  private closed = false;
  /** The Docker image provider, made with the first task in an image. */
  private images: DockerProvisioner | undefined;

  private constructor(
    private readonly options: LocalAgentOptions,
    private readonly workDir: WorkDir,
    private readonly cgroupsRoot: string,
    private readonly release: () => void,
    resources: Resource[],
    private readonly networks: CniNetworks | undefined,
    private readonly defaults: ContainerDefaults,
    private readonly rootfsStep: RootfsStep,
    /** Where a task in a root filesystem finds its sandbox. */
    private readonly sandboxDirectory: string,
  ) {
    this.warn = options.warn ?? ((message) => complain(message));
    this.registration = {
      hostname: options.hostname ?? osHostname(),
      resources,
      capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
    };
    this.manager = new StatusUpdateManager({
      forward: (update) => this.link?.statusUpdate(update),
      ...(options.statusUpdateRetryIntervalMinMs === undefined ? {} : { retryIntervalMinMs: options.statusUpdateRetryIntervalMinMs }),
      ...(options.statusUpdateRetryIntervalMaxMs === undefined ? {} : { retryIntervalMaxMs: options.statusUpdateRetryIntervalMaxMs }),
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      warn: this.warn,
    });
  }

  /**
   * Takes the work directory over (refused while a live agent holds it),
   * removes what a dead predecessor left there, works out the resources and
   * registers through `register`.
   */
  static async start(options: LocalAgentOptions, register: Register): Promise<LocalAgent> {
    const warn = options.warn ?? ((message: string) => complain(message));
    const workDir = workDirOf(options.workDir, options.runtimeDir);
    // As Mesos's network/cni isolator: a bad configuration keeps the agent from starting.
    const networks = loadCniNetworks(
      {
        configDir: options.networkCniConfigDir ?? process.env['MESOS_NETWORK_CNI_CONFIG_DIR'],
        pluginsDir: options.networkCniPluginsDir ?? process.env['MESOS_NETWORK_CNI_PLUGINS_DIR'],
      },
      realConfigReader(),
    );
    if (networks !== undefined && process.getuid?.() !== 0) throw new Error("The 'network/cni' isolator requires root permissions");
    mkdirSync(workDir.root, { recursive: true });
    const release = lockWorkDir(workDir);
    try {
      const cgroupsRoot = options.cgroupsRoot ?? cgroupsRootFor(workDir.root);
      const timeout = options.networkCniPluginTimeoutMs === undefined ? {} : { timeoutMs: options.networkCniPluginTimeoutMs };
      for (const failure of await removeLeftoverNetworks(workDir.runtimeDir, networks, realNetworkSystem(), timeout)) warn(failure);
      for (const failure of await removeLeftovers(workDir, cgroupsRoot)) warn(failure);
      const resources = agentResources(options.resources ?? process.env['MESOS_RESOURCES'], workDir.root, options.probe ?? machineProbe, warn);
      const env = options.env ?? process.env;
      const defaults = containerDefaults(env);
      const sandboxDir = sandboxDirectory(env);
      const rootfsStep = RootfsStep.start(workDir.provisionerDir, env, warn);
      const agent = new LocalAgent(options, workDir, cgroupsRoot, release, resources, networks, defaults, rootfsStep, sandboxDir);
      agent.link = register(agent.registration, agent);
      return agent;
    } catch (error) {
      release();
      throw error;
    }
  }

  get agentId(): string {
    return this.link!.agentId;
  }

  /** What can be seen of a task while the agent knows it. */
  taskView(frameworkId: string, taskId: string): TaskView | undefined {
    const run = this.runs.get(key(frameworkId, taskId));
    if (run === undefined) return undefined;
    return {
      containerId: run.containerId,
      state: run.state,
      sandbox: run.sandbox,
      ...(run.container?.pid === undefined ? {} : { pid: run.container.pid }),
      cgroups: run.container?.cgroupPaths ?? [],
      runtimeDirectory: this.runtimeDirectoryOf(run.containerId),
    };
  }

  /** Resolves once the task's container is gone and everything it used is removed. */
  async taskEnded(frameworkId: string, taskId: string): Promise<void> {
    await this.runs.get(key(frameworkId, taskId))?.ended;
  }

  // ------------------------------------------------------------ the Agent interface

  runTask(framework: FrameworkInfo, task: TaskInfo): void {
    const frameworkId = framework.id?.value ?? '';
    const taskId = task.task_id.value;
    if (this.closed) return;
    this.shutDown.delete(frameworkId);
    if (this.runs.has(key(frameworkId, taskId))) {
      this.warn(`Ignoring run task ${taskId} of framework ${frameworkId}: a task of that id is already on this agent`);
      return;
    }
    const containerId = randomUuid();
    let end = () => undefined as void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const run: Run = {
      framework,
      frameworkId,
      task,
      taskId,
      containerId,
      sandbox: this.workDir.sandbox(this.agentId, frameworkId, taskId, containerId),
      gracePeriodMs: DEFAULT_KILL_GRACE_PERIOD_MS,
      state: 'TASK_STAGING',
      over: false,
      silenced: false,
      ended,
      end,
    };
    this.runs.set(key(frameworkId, taskId), run);
    const plan = planCommandTask(framework, task, { agentUser: this.agentUser, rootfsLabel: this.options.rootfsLabel ?? false });
    if (plan.refused) {
      this.finish(run, { state: plan.state, source: 'SOURCE_AGENT', reason: plan.reason, message: plan.message });
      return;
    }
    run.gracePeriodMs = plan.gracePeriodMs;
    const sandbox = makeSandbox(run.sandbox, plan.user, {
      withOutput: this.options.taskOutput === undefined,
      inRootfs: plan.rootfs !== undefined || plan.image !== undefined,
    });
    if ('problem' in sandbox) {
      this.finish(run, {
        state: hasCapability(framework, 'PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST',
        source: 'SOURCE_AGENT',
        reason: 'REASON_EXECUTOR_TERMINATED',
        message: sandbox.problem,
      });
      return;
    }
    if (sandbox.output !== undefined) run.output = sandbox.output;
    if (plan.image === undefined) this.launch(run, plan);
    else void this.pullThenLaunch(run, plan, plan.image);
  }

  /** A task in an image: the image from the store (pulled first when it isn't there), then the launch. */
  private async pullThenLaunch(run: Run, plan: CommandPlan, name: string): Promise<void> {
    run.pulling = true;
    let image;
    let withImage: typeof import('./image-step').withImage;
    try {
      // Loaded with the first task in an image: the registry's client (https, zlib) would cost every other start.
      const [{ DockerProvisioner, provisionerOptionsFromEnv }, imageStep] = await Promise.all([import('./provisioner/index'), import('./image-step')]);
      withImage = imageStep.withImage;
      this.images ??= new DockerProvisioner(provisionerOptionsFromEnv(this.options.env ?? process.env, this.workDir.root));
      image = await this.images.provision(name);
    } catch (error) {
      run.pulling = false;
      if (run.over) return;
      const message = `Failed to launch container: ${(error as Error).message}`;
      this.finish(run, { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message });
      return;
    }
    run.pulling = false;
    // Killed (or the agent closed) while the image came: nothing was started.
    if (run.over) return;
    // Its framework was shut down meanwhile: nothing is to start for it.
    if (run.silenced) return this.killWhilePulling(run);
    const ready = withImage(plan, run.task.command!, image.config.runtime, image.layers);
    if (ready.refused) {
      this.finish(run, { state: ready.state, source: 'SOURCE_AGENT', reason: ready.reason, message: ready.message });
      return;
    }
    this.launch(run, ready);
  }

  /** A kill of a task whose image is still coming: it ends at once, as one killed before its launch. */
  private killWhilePulling(run: Run): void {
    this.finish(run, {
      state: 'TASK_KILLED',
      source: 'SOURCE_AGENT',
      reason: 'REASON_TASK_KILLED_DURING_LAUNCH',
      message: 'Killed before delivery to the executor',
    });
  }

  killTask(frameworkId: string, taskId: string, killPolicy?: KillPolicy): void {
    const run = this.runs.get(key(frameworkId, taskId));
    if (run === undefined) {
      const framework = [...this.runs.values()].find((other) => other.frameworkId === frameworkId)?.framework;
      if (framework === undefined) {
        this.warn(`Ignoring kill task ${taskId} of framework ${frameworkId} because no such framework is running`);
        return;
      }
      // As Mesos's agent: a task it has no executor for was never launched here.
      this.later(() =>
        this.manager.update(frameworkId, taskStatus({ agentId: this.agentId, taskId }, {
          state: hasCapability(framework, 'PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST',
          source: 'SOURCE_AGENT',
          reason: 'REASON_EXECUTOR_TERMINATED',
          message: 'Cannot find executor',
        })),
      );
      return;
    }
    if (run.pulling === true && !run.over) return this.killWhilePulling(run);
    if (run.over || run.container === undefined) return;
    const grace = durationMs(killPolicy?.grace_period) ?? run.gracePeriodMs;
    if (run.container.kill(grace) && hasCapability(run.framework, 'TASK_KILLING_STATE')) {
      this.send(run, { state: 'TASK_KILLING', source: 'SOURCE_EXECUTOR' });
    }
  }

  acknowledge(frameworkId: string, taskId: string, uuid: string): void {
    this.later(() => {
      if (this.shutDown.has(frameworkId)) return;
      let terminal: boolean;
      try {
        terminal = this.manager.acknowledge(frameworkId, taskId, uuid);
      } catch (error) {
        this.warn((error as Error).message);
        return;
      }
      const run = this.runs.get(key(frameworkId, taskId));
      if (terminal && run?.over === true) this.runs.delete(key(frameworkId, taskId));
    });
  }

  shutdownExecutor(frameworkId: string, executorId: string): void {
    // A command task's executor id is its task id; Mesos's command executor gives it 3 s.
    this.killTask(frameworkId, executorId, { grace_period: { nanoseconds: DEFAULT_KILL_GRACE_PERIOD_MS * 1e6 } });
  }

  shutdownFramework(frameworkId: string): void {
    this.shutDown.add(frameworkId);
    this.manager.dropFramework(frameworkId);
    for (const [id, run] of this.runs) {
      if (run.frameworkId !== frameworkId) continue;
      run.silenced = true;
      if (run.over) this.runs.delete(id);
      else run.container?.kill(run.gracePeriodMs);
    }
  }

  frameworkMessage(): void {
    // A command executor takes no messages.
  }

  /**
   * Ends every container at once, leaves the master, and removes the
   * agent's cgroups; sandboxes stay until the next start.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const run of this.runs.values()) {
      run.silenced = true;
      run.container?.destroy();
      if (run.pulling === true && !run.over) this.killWhilePulling(run);
    }
    await Promise.all([...this.runs.values()].map((run) => run.ended));
    this.manager.close();
    this.link?.unregister();
    try {
      const failures: string[] = [];
      for (const path of agentCgroups(this.cgroupsRoot)) failures.push(...(await destroyTree(path)));
      for (const failure of failures) this.warn(failure);
      if (failures.length === 0) rmSync(this.workDir.cgroupsRecord, { force: true });
    } finally {
      this.release();
    }
  }

  // ------------------------------------------------------------ containers

  /** The task's sandbox, with its stdout and stderr, and its container. */
  private launch(run: Run, plan: CommandPlan): void {
    const { framework, frameworkId, taskId, containerId } = run;
    const launchFailed = (message: string) =>
      this.finish(run, { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to launch container: ${message}` });
    const isolated = this.options.network === 'isolated';
    const defaults = taskDefaults(this.defaults, {
      ...(plan.effectiveCapabilities === undefined ? {} : { effectiveCapabilities: plan.effectiveCapabilities }),
      ...(plan.boundingCapabilities === undefined ? {} : { boundingCapabilities: plan.boundingCapabilities }),
      asRoot: (plan.user ?? this.agentUser) === 'root',
      rootfs: plan.rootfs !== undefined || plan.imageLayers !== undefined,
      ...(plan.seccomp === undefined ? {} : { seccomp: plan.seccomp }),
    });
    if (typeof defaults === 'string') return launchFailed(defaults);
    let stacked: StackedRootfs | undefined;
    let layers: readonly string[] | undefined = plan.imageLayers;
    if (plan.rootfs !== undefined) {
      const checked = checkRootfs(plan.rootfs);
      if (checked.problem !== undefined) return launchFailed(checked.problem);
      // The directory is a read-only layer under one of the container's own.
      layers = [checked.path];
    }
    if (layers !== undefined) {
      run.stackedRootfs = true;
      try {
        // The files the agent or its CNI networks bind into /etc get plain files to go on.
        const etcFiles = isolated || (plan.networkInfos?.length ?? 0) > 0 ? ['hosts', 'hostname', 'resolv.conf'] : [];
        stacked = this.rootfsStep.provision(containerId, layers, etcFiles);
      } catch (error) {
        return launchFailed(`Failed to provision the root filesystem: ${(error as Error).message}`);
      }
    }
    const rootfs = stacked?.rootfs;
    const networks = this.networkStep(run, plan, rootfs);
    if (networks?.refused === true) {
      this.finish(run, { state: networks.state, source: 'SOURCE_AGENT', reason: networks.reason, message: networks.message });
      return;
    }
    if (networks !== undefined) run.networks = networks;
    // The agent's own fds, or the sandbox's files, opened as the sandbox was made.
    const { stdout, stderr } = this.options.taskOutput ?? run.output!;
    try {
      const config = containerConfig({
        containerId,
        runtimeDirectory: this.runtimeDirectoryOf(containerId),
        command: plan.command,
        environment: taskEnvironment(
          process.env,
          {
            frameworkId,
            executorId: taskId,
            sandbox: run.sandbox,
            ...(rootfs === undefined ? {} : { sandboxInContainer: this.sandboxDirectory }),
            agentId: this.agentId,
            role: framework.roles?.[0] ?? framework.role ?? '*',
          },
          run.networks === undefined ? plan.environment : [...run.networks.environment, ...plan.environment],
        ),
        // In a root filesystem of its own the task starts where its image says, else in its sandbox there, as Mesos's.
        ...(rootfs === undefined
          ? { workingDirectory: run.sandbox }
          : { rootfs, sandbox: { source: run.sandbox, target: this.sandboxDirectory }, workingDirectory: plan.workingDirectory ?? this.sandboxDirectory }),
        ...(plan.user === undefined ? {} : { user: plan.user }),
        // Without a network of its own (CNI, or the agent's 'isolated'), the host's network and hostname, as Mesos's agent.
        network: run.networks?.network ?? (isolated ? { isolated: true, hostname: containerId } : { isolated: false }),
        ...(run.networks === undefined ? {} : { isolation: run.networks.isolation }),
        ...defaults,
        ...(stacked?.overlay === undefined ? {} : { rootfsOverlay: stacked.overlay }),
        ...(plan.rlimits === undefined ? {} : { rlimits: plan.rlimits }),
        ...(plan.cpus === undefined ? {} : { cpus: plan.cpus, cpuQuota: this.options.cgroupsEnableCfs ?? false }),
        ...(plan.memMb === undefined ? {} : { memMb: plan.memMb }),
        pidsLimit: this.options.pidsLimit ?? DEFAULT_PIDS_LIMIT,
        cgroups: { name: containerId, root: this.cgroupsRoot, onRoot: (path) => recordCgroup(this.workDir, path) },
        stdout,
        stderr,
        ...(run.output === undefined ? {} : { stderrReadable: run.output.stderr }),
        warn: this.warn,
        onStarting: () => this.send(run, { state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR' }),
        onRunning: () => this.send(run, { state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' }),
      });
      run.container = new Container(config);
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      this.finish(run, { state: 'TASK_ERROR', source: 'SOURCE_AGENT', reason: 'REASON_TASK_INVALID', message: error.message });
      return;
    } finally {
      // The helper has its own copy; stderr is read back at the end.
      run.output?.closeStdout();
    }
    void run.container.ended.then((end) => this.finish(run, terminalFields(terminalUpdate(end))));
  }

  /** The task's CNI networks, or why it can't have them; nothing for a task that names none. */
  private networkStep(run: Run, plan: CommandPlan, rootfs: string | undefined): TaskNetworks | NetworkRefusal | undefined {
    return taskNetworks(
      {
        containerId: run.containerId,
        runtimeDirectory: this.runtimeDirectoryOf(run.containerId),
        networkInfos: plan.networkInfos,
        resources: run.task.resources,
        ...(rootfs === undefined ? {} : { rootfs }),
        ...(plan.hostname === undefined ? {} : { hostname: plan.hostname }),
      },
      this.networks,
      realNetworkSystem(),
      this.options.networkCniPluginTimeoutMs === undefined ? {} : { timeoutMs: this.options.networkCniPluginTimeoutMs },
    );
  }

  // ------------------------------------------------------------ updates

  private runtimeDirectoryOf(containerId: string): string {
    return `${this.workDir.runtimeDir}/${containerId}`;
  }

  /** Runs `work` after the current call: the master is never called back from inside its own call. */
  private later(work: () => void): void {
    setImmediate(work);
  }

  private send(run: Run, update: StatusFields): void {
    if (run.silenced) return;
    run.state = update.state;
    const pid = run.container?.pid;
    const networkInfos = run.networks?.networkInfos();
    const status = taskStatus(
      {
        agentId: this.agentId,
        taskId: run.taskId,
        containerId: run.containerId,
        ...(pid === undefined ? {} : { executorPid: pid }),
        ...(networkInfos === undefined ? {} : { networkInfos }),
      },
      update,
    );
    this.later(() => {
      if (!run.silenced) this.manager.update(run.frameworkId, status);
    });
  }

  /** The task's terminal update; the task is forgotten once it is acknowledged (or its framework is gone). */
  private finish(run: Run, update: StatusFields): void {
    run.output?.close();
    if (run.stackedRootfs === true) {
      // The container is gone: its writable layer goes too.
      run.stackedRootfs = false;
      const failure = this.rootfsStep.release(run.containerId);
      if (failure !== undefined) this.warn(failure);
    }
    this.send(run, update);
    run.over = true;
    if (run.silenced) this.runs.delete(key(run.frameworkId, run.taskId));
    run.end();
  }
}

