// What the agent makes of a TaskInfo: a command task (CommandInfo, no
// ExecutorInfo) becomes the command, the user, the capabilities and
// rlimits of its container (ContainerInfo.linux_info and rlimit_info),
// its cpu and memory limits and its kill grace period. What this agent
// can't honour (custom executors, URIs to fetch, images, volumes,
// secrets, ...) is refused with a terminal update, never ignored. The CNI
// networks it names are handed on as given (see cni/plan.ts). A root
// filesystem directory of this machine comes in a label of ours
// (ROOTFS_LABEL), taken only by an agent told to take it. Pure.
import type { CommandInfo, FrameworkInfo, TaskInfo } from '../master/types';
import { quoteValue } from '../subcommand/quote';
import type { TaskCommand, TaskRLimit } from './launch-info';
import { scalarOf } from './resources';

/**
 * The label that gives a task a directory of the agent's machine as its
 * root filesystem; only agents started with `rootfsLabel` take it.
 */
export const ROOTFS_LABEL = 'mesos-containerizer.rootfs';

/** Mesos's command executor gives a killed task 3 s unless its kill policy says otherwise. */
export const DEFAULT_KILL_GRACE_PERIOD_MS = 3000;

export interface CommandPlan {
  readonly refused?: undefined;
  readonly command: TaskCommand;
  /** CommandInfo's own variables, in order. */
  readonly environment: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** The user to run as; none: the agent's own. */
  readonly user?: string;
  /** A root filesystem directory, from ROOTFS_LABEL (not yet checked on the machine). */
  readonly rootfs?: string;
  /** A Docker image to run in (container.mesos.image), by name: its layers and config come from the provisioner. */
  readonly image?: string;
  /** The image's layers, lowest first, once provisioned (see image-step.ts). */
  readonly imageLayers?: readonly string[];
  /** The working directory the image names. */
  readonly workingDirectory?: string;
  readonly effectiveCapabilities?: readonly string[];
  readonly boundingCapabilities?: readonly string[];
  readonly rlimits?: readonly TaskRLimit[];
  /** `container.linux_info.seccomp`, as given (weighed in defaults.ts). */
  readonly seccomp?: { readonly profileName?: string; readonly unconfined?: boolean };
  readonly cpus?: number;
  readonly memMb?: number;
  readonly gracePeriodMs: number;
  /** `container.network_infos`, as given. */
  readonly networkInfos?: readonly unknown[];
  /** `container.hostname`: only a container on a CNI network can have one (see cni/task-networks.ts). */
  readonly hostname?: string;
}

export interface Refusal {
  readonly refused: true;
  readonly state: 'TASK_ERROR' | 'TASK_FAILED';
  readonly reason: 'REASON_TASK_INVALID' | 'REASON_CONTAINER_LAUNCH_FAILED';
  readonly message: string;
}

type Json = Record<string, unknown>;

const notSupported = (what: string): Refusal => ({
  refused: true,
  state: 'TASK_FAILED',
  reason: 'REASON_CONTAINER_LAUNCH_FAILED',
  message: `Failed to launch container: ${what} not supported by this agent`,
});

/** Labels of letters, digits and inner hyphens, separated by dots. */
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

const invalid = (message: string): Refusal => ({ refused: true, state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message });

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const given = (value: unknown) => value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);

/** A duration's milliseconds. */
export function durationMs(duration: { nanoseconds: number } | undefined): number | undefined {
  return duration === undefined ? undefined : Math.max(0, duration.nanoseconds / 1e6);
}

function capabilityNames(info: unknown, field: string): string[] | Refusal | undefined {
  if (info === undefined || info === null) return undefined;
  const list = isObject(info) ? (info['capabilities'] ?? []) : undefined;
  if (!Array.isArray(list) || !list.every((name): name is string => typeof name === 'string')) {
    return invalid(`Invalid container.linux_info.${field}: 'capabilities' must be a list of capability names`);
  }
  return list;
}

export function commandOf(command: CommandInfo): TaskCommand | Refusal {
  if (command.shell ?? true) {
    if (command.value === undefined) return invalid('Shell command is not specified');
    return { shell: true, value: command.value };
  }
  if (command.value === undefined) return invalid('Executable path is not specified');
  return { shell: false, value: command.value, arguments: command.arguments ?? [command.value] };
}

/** The ROOTFS_LABEL's value, if the task has the label; a Refusal when it can't be taken. */
function rootfsOf(task: TaskInfo, takeLabel: boolean): string | Refusal | undefined {
  const labels = (task.labels?.['labels'] ?? []) as unknown[];
  const values = (Array.isArray(labels) ? labels : [])
    .filter((label): label is Json => isObject(label) && label['key'] === ROOTFS_LABEL)
    .map((label) => label['value']);
  if (values.length === 0) return undefined;
  if (!takeLabel) return notSupported(`the label '${ROOTFS_LABEL}' (a root filesystem directory) is`);
  const [value] = values;
  if (values.length > 1) return invalid(`The label '${ROOTFS_LABEL}' is given ${values.length} times`);
  if (typeof value !== 'string' || !value.startsWith('/')) return invalid(`The label '${ROOTFS_LABEL}' must be an absolute path`);
  return value;
}

export interface PlanOptions {
  /** The agent's own user: a task of that user needs no change of user. */
  readonly agentUser: string;
  /** Whether ROOTFS_LABEL is taken. */
  readonly rootfsLabel?: boolean;
}

/** Stands for the command an image gives, until its config is known. */
const IMAGE_COMMAND: TaskCommand = { shell: false, value: '', arguments: [] };

/** A container.mesos.image's Docker name, or why it can't be run. */
function imageOf(value: unknown): string | Refusal {
  if (!isObject(value)) return invalid('Invalid container.mesos.image: expecting an Image');
  const type = value['type'] ?? 'DOCKER';
  if (type === 'APPC') return notSupported('Appc images are');
  if (type !== 'DOCKER') return notSupported(`${String(type)} images are`);
  const docker = value['docker'];
  const name = isObject(docker) ? docker['name'] : undefined;
  if (typeof name !== 'string' || name === '') return invalid('Invalid container.mesos.image.docker: expecting a name');
  if (value['cached'] === false) return notSupported('images not taken from the store (cached: false) are');
  return name;
}

/** What the container of `task` runs and with which limits, or why it won't. */
export function planCommandTask(framework: FrameworkInfo, task: TaskInfo, options: PlanOptions): CommandPlan | Refusal {
  const { agentUser } = options;
  if (task.executor !== undefined) return notSupported('custom executors are');
  const command = task.command;
  if (command === undefined) return invalid('Task should have at least one (but not both) of CommandInfo or ExecutorInfo present');
  if (given(command.uris)) return notSupported('fetching URIs is');
  if (task.limits !== undefined && Object.keys(task.limits).length > 0) return notSupported('resource limits beyond the requests are');
  if (given(task.health_check) || given(task.check)) return notSupported('health checks and checks are');
  if (task.max_completion_time !== undefined) return notSupported('max_completion_time is');

  const environment: Array<{ name: string; value: string }> = [];
  for (const variable of command.environment?.variables ?? []) {
    if ((variable.type ?? 'VALUE') !== 'VALUE') return notSupported(`the ${variable.type} environment variable '${variable.name}' is`);
    environment.push({ name: variable.name, value: variable.value ?? '' });
  }

  let effective: string[] | undefined;
  let bounding: string[] | undefined;
  let rlimits: TaskRLimit[] | undefined;
  let seccomp: CommandPlan['seccomp'];
  let networkInfos: unknown[] | undefined;
  let hostname: string | undefined;
  let image: string | undefined;
  const container = task.container;
  if (container !== undefined) {
    const type = (container['type'] as string | undefined) ?? 'MESOS';
    if (type !== 'MESOS') return notSupported(`${type} containers are`);
    const mesos = container['mesos'];
    if (isObject(mesos) && given(mesos['image'])) {
      const named = imageOf(mesos['image']);
      if (typeof named !== 'string') return named;
      image = named;
    }
    if (given(container['volumes'])) return notSupported('volumes are');
    const infos = container['network_infos'];
    if (given(infos)) {
      if (!Array.isArray(infos)) return invalid("Invalid container.network_infos: expecting a list of NetworkInfos");
      networkInfos = infos;
    }
    if (given(container['tty_info'])) return notSupported('a terminal is');
    const name = container['hostname'];
    if (name !== undefined && name !== null) {
      // It becomes the hostname and a line of /etc/hosts: a name, nothing more.
      if (typeof name !== 'string' || name.length > 64 || !HOSTNAME.test(name)) {
        return invalid(`Invalid container.hostname '${quoteValue(String(name))}': expecting a host name of at most 64 characters`);
      }
      hostname = name;
    }
    const linux = container['linux_info'];
    if (isObject(linux)) {
      if (linux['share_pid_namespace'] === true) return notSupported("sharing the agent's pid namespace is");
      const seccompInfo = linux['seccomp'];
      if (seccompInfo !== undefined && seccompInfo !== null) {
        const name = isObject(seccompInfo) ? seccompInfo['profile_name'] : undefined;
        const unconfined = isObject(seccompInfo) ? seccompInfo['unconfined'] : undefined;
        if (!isObject(seccompInfo) || (name !== undefined && typeof name !== 'string') || (unconfined !== undefined && typeof unconfined !== 'boolean')) {
          return invalid("Invalid container.linux_info.seccomp: expecting { profile_name: string, unconfined: boolean }");
        }
        seccomp = { ...(name === undefined ? {} : { profileName: name }), ...(unconfined === undefined ? {} : { unconfined }) };
      }
      if (linux['ipc_mode'] !== undefined && linux['ipc_mode'] !== 'PRIVATE') return notSupported(`ipc_mode ${String(linux['ipc_mode'])} is`);
      if (given(linux['shm_size'])) return notSupported('shm_size is');
      const deprecated = capabilityNames(linux['capability_info'], 'capability_info');
      const effectiveNames = capabilityNames(linux['effective_capabilities'], 'effective_capabilities') ?? deprecated;
      const boundingNames = capabilityNames(linux['bounding_capabilities'], 'bounding_capabilities');
      for (const names of [effectiveNames, boundingNames]) if (names !== undefined && !Array.isArray(names)) return names;
      effective = effectiveNames as string[] | undefined;
      bounding = boundingNames as string[] | undefined;
    }
    const rlimitInfo = container['rlimit_info'];
    if (isObject(rlimitInfo)) {
      const list = rlimitInfo['rlimits'] ?? [];
      if (!Array.isArray(list) || !list.every((entry) => isObject(entry) && typeof entry['type'] === 'string')) {
        return invalid("Invalid container.rlimit_info: 'rlimits' must be a list of {type, soft, hard}");
      }
      rlimits = (list as Json[]).map((entry) => ({
        type: entry['type'] as string,
        ...(entry['soft'] === undefined ? {} : { soft: entry['soft'] as number | string }),
        ...(entry['hard'] === undefined ? {} : { hard: entry['hard'] as number | string }),
      }));
    }
  }

  const rootfs = rootfsOf(task, options.rootfsLabel ?? false);
  if (typeof rootfs === 'object') return rootfs;
  if (rootfs !== undefined && image !== undefined) return invalid(`A task in an image can't have the label '${ROOTFS_LABEL}' too`);
  // In an image, a command without a value runs the image's entrypoint: see image-step.ts.
  const parsed = image !== undefined && !(command.shell ?? true) && command.value === undefined ? IMAGE_COMMAND : commandOf(command);
  if ('refused' in parsed) return parsed;
  // Mesos runs the task as its command's user, else as its framework's.
  const user = command.user ?? framework.user;
  const cpus = scalarOf(task.resources, 'cpus');
  const memMb = scalarOf(task.resources, 'mem');
  return {
    command: parsed,
    environment,
    ...(user === undefined || user === '' || user === agentUser ? {} : { user }),
    ...(rootfs === undefined ? {} : { rootfs }),
    ...(image === undefined ? {} : { image }),
    ...(effective === undefined ? {} : { effectiveCapabilities: effective }),
    ...(bounding === undefined ? {} : { boundingCapabilities: bounding }),
    ...(rlimits === undefined ? {} : { rlimits }),
    ...(seccomp === undefined ? {} : { seccomp }),
    ...(cpus === undefined ? {} : { cpus }),
    ...(memMb === undefined ? {} : { memMb }),
    gracePeriodMs: durationMs(task.kill_policy?.grace_period) ?? DEFAULT_KILL_GRACE_PERIOD_MS,
    ...(networkInfos === undefined ? {} : { networkInfos }),
    ...(hostname === undefined ? {} : { hostname }),
  };
}
