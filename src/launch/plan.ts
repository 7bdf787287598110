// Turns `launch`'s flags into a validated plan: everything that can be
// decided without touching the system is decided here, so that a bad input
// is refused before anything has changed.
import type { Flags, JsonValue } from '../subcommand/flags';
import type { launchFlags } from './flags';
import {
  type CommandInfo,
  type EnvironmentVariable,
  type FileOperation,
  type LaunchInfo,
  LaunchInfoError,
  type MountInfo,
  parseCommandInfo,
  parseLaunchInfo,
  type RLimit,
  type SeccompProfile,
  validateCommand,
} from './launch-info';

export type LaunchFlags = Flags<typeof launchFlags>;

/** The search path a task gets when its environment has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The name of the checkpointed status file in the runtime directory. */
export const STATUS_FILE = 'status';

export class PlanError extends Error {}

export interface PreExecCommand {
  command: CommandInfo;
  /** The command as JSON, the way messages quote it. */
  json: string;
}

export interface LaunchPlan {
  /** Which flags described the launch: `--launch_info`, or Mesos 1.0's. */
  interface: 'modern' | 'legacy';
  statusPath?: string;
  pipe?: { read: number; write: number };
  /** Closed by the task's exec; 'F' written to it first when the launch fails. */
  execNotifyFd?: number;
  ttySlavePath?: string;
  unshareMount: boolean;
  namespaceMntTarget?: number;
  preExecCommands: PreExecCommand[];
  user?: string;
  supplementaryGroups: number[];
  /** A root filesystem: `prepared` is the legacy form that also mounts proc, sys and dev. */
  rootfs?: { path: string; prepared: boolean };
  cloneNamespaces: number[];
  mounts: MountInfo[];
  maskedPaths: string[];
  fileOperations: FileOperation[];
  rlimits: RLimit[];
  effectiveCapabilities?: number[];
  boundingCapabilities?: number[];
  noNewPrivileges: boolean;
  seccompProfile?: SeccompProfile;
  workingDirectory?: string;
  command: CommandInfo;
  /** The task's whole environment; undefined means "inherit ours". */
  environment?: EnvironmentVariable[];
  /** Names that a later duplicate overwrote, for the notes Mesos prints. */
  overwrittenVariables: string[];
}

const LEGACY_ONLY = ['command', 'working_directory', 'rootfs', 'user', 'pre_exec_commands'] as const;

export function statusPathOf(runtimeDirectory: string): string {
  return `${runtimeDirectory.replace(/\/+$/, '')}/${STATUS_FILE}`;
}

export function buildPlan(flags: LaunchFlags): LaunchPlan {
  try {
    return flags.launch_info !== undefined ? modernPlan(flags) : legacyPlan(flags);
  } catch (error) {
    if (error instanceof LaunchInfoError) {
      throw new PlanError(error.kind === 'validate' ? error.message : `Failed to parse launch info: ${error.message}`);
    }
    throw error;
  }
}

function basePlan(flags: LaunchFlags): Omit<LaunchPlan, 'interface' | 'command' | 'preExecCommands'> {
  if ((flags.pipe_read === undefined) !== (flags.pipe_write === undefined)) {
    throw new PlanError('Flag --pipe_read and --pipe_write should either be both set or both not set');
  }
  const plan: Omit<LaunchPlan, 'interface' | 'command' | 'preExecCommands'> = {
    unshareMount: flags.unshare_namespace_mnt,
    supplementaryGroups: [],
    cloneNamespaces: [],
    mounts: [],
    maskedPaths: [],
    fileOperations: [],
    rlimits: [],
    noNewPrivileges: false,
    overwrittenVariables: [],
  };
  if (flags.runtime_directory !== undefined) plan.statusPath = statusPathOf(flags.runtime_directory);
  if (flags.pipe_read !== undefined && flags.pipe_write !== undefined) {
    plan.pipe = { read: flags.pipe_read, write: flags.pipe_write };
  }
  if (flags.namespace_mnt_target !== undefined) plan.namespaceMntTarget = flags.namespace_mnt_target;
  if (flags.exec_notify_fd !== undefined) plan.execNotifyFd = flags.exec_notify_fd;
  if (flags.tty_slave_path !== undefined) plan.ttySlavePath = flags.tty_slave_path;
  return plan;
}

function modernPlan(flags: LaunchFlags): LaunchPlan {
  const given = LEGACY_ONLY.filter((name) => flags[name] !== undefined);
  if (given.length > 0) {
    throw new PlanError(
      `Flag --launch_info can't be combined with the legacy flag${given.length > 1 ? 's' : ''} ${given.map((name) => `--${name}`).join(', ')}`,
    );
  }
  const info: LaunchInfo = parseLaunchInfo(flags.launch_info as JsonValue);
  validateCommand(info.command);
  const plan: LaunchPlan = {
    ...basePlan(flags),
    interface: 'modern',
    command: info.command,
    preExecCommands: info.preExecCommands.map((command, index) => ({
      command,
      json: JSON.stringify((flags.launch_info!['pre_exec_commands'] as JsonValue[])[index]),
    })),
    supplementaryGroups: info.supplementaryGroups,
    cloneNamespaces: info.cloneNamespaces,
    mounts: info.mounts,
    maskedPaths: info.maskedPaths,
    fileOperations: info.fileOperations,
    rlimits: info.rlimits ?? [],
    noNewPrivileges: info.noNewPrivileges ?? false,
  };
  if (info.ttySlavePath !== undefined) plan.ttySlavePath = info.ttySlavePath;
  if (info.user !== undefined) plan.user = info.user;
  if (info.workingDirectory !== undefined) plan.workingDirectory = info.workingDirectory;
  if (info.rootfs !== undefined) plan.rootfs = { path: info.rootfs, prepared: false };
  if (info.effectiveCapabilities !== undefined) plan.effectiveCapabilities = info.effectiveCapabilities;
  if (info.boundingCapabilities !== undefined) plan.boundingCapabilities = info.boundingCapabilities;
  if (info.seccompProfile !== undefined) plan.seccompProfile = info.seccompProfile;
  if (info.environment !== undefined) setEnvironment(plan, info.environment.variables);
  checkNamespaceRules(plan);
  return plan;
}

function legacyPlan(flags: LaunchFlags): LaunchPlan {
  if (flags.command === undefined) throw new PlanError('Flag --launch_info is not specified');
  const command = parseCommandInfo(flags.command, 'command');
  validateCommand(command);
  const preExec = (flags.pre_exec_commands ?? []).map((value, index) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new PlanError('Invalid JSON format for flag --pre_exec_commands');
    }
    return { command: parseCommandInfo(value, `pre_exec_commands[${index}]`), json: JSON.stringify(value) };
  });
  const plan: LaunchPlan = { ...basePlan(flags), interface: 'legacy', command, preExecCommands: preExec };
  if (flags.user !== undefined) plan.user = flags.user;
  if (flags.working_directory !== undefined) plan.workingDirectory = flags.working_directory;
  if (flags.rootfs !== undefined) plan.rootfs = { path: flags.rootfs, prepared: true };
  if (command.environment !== undefined) setEnvironment(plan, command.environment.variables);
  checkNamespaceRules(plan);
  return plan;
}

/** Later duplicates win; PATH is added when the environment has none. */
function setEnvironment(plan: LaunchPlan, variables: readonly EnvironmentVariable[]): void {
  const values = new Map<string, string>();
  for (const { name, value } of variables) {
    if (values.has(name) && values.get(name) !== value) plan.overwrittenVariables.push(name);
    values.set(name, value);
  }
  if (!values.has('PATH')) values.set('PATH', DEFAULT_PATH);
  plan.environment = [...values].map(([name, value]) => ({ name, value }));
}

function checkNamespaceRules(plan: LaunchPlan): void {
  if (plan.namespaceMntTarget === undefined) return;
  if (plan.mounts.length > 0) throw new PlanError("Mounts are not supported if 'namespace_mnt_target' is set");
  if (plan.rootfs !== undefined) throw new PlanError("Container rootfs is not supported if 'namespace_mnt_target' is set");
  // Done before the setns they would land in our own mount namespace, and
  // after it in the target container's: neither is what the agent means.
  if (plan.maskedPaths.length > 0) {
    throw new PlanError("Masked paths are not supported if 'namespace_mnt_target' is set");
  }
  if (plan.fileOperations.some((operation) => operation.operation === 'MOUNT')) {
    throw new PlanError("MOUNT file operations are not supported if 'namespace_mnt_target' is set");
  }
}
