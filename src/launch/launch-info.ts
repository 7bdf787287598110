// What `launch` is asked to do: the modern `--launch_info` (a
// ContainerLaunchInfo) and the legacy `--command` / `--pre_exec_commands`
// (CommandInfo), read through the protobuf layer's JSON mapping
// (src/proto/json.ts) in its strict mode, then turned into what the launch
// carries out.
//
// The mapping does the protobuf part, with stout's rules and words: field
// names, types, ranges, enum names, null as unset, unknown keys ignored,
// required fields. Strict, because what we launch must be what was asked:
// an unknown enum name is an error (stout drops it, and a dropped
// capability or seccomp rule changes the container silently), and so are
// null and arrays inside arrays, a single value for a repeated field, and
// number or boolean strings (digit strings for integers excepted). What is
// left here is Mesos's own checks and ours: values we can't carry out
// (UNKNOWN, SECRET), rlimits given by halves, a file operation without its
// parameters, and the command itself.
//
// Everything here is pure: no I/O, no libc. Every bad input ends in a
// LaunchInfoError whose message is one line naming the offending field, so
// the caller can print it as it is.
import { RLIM_INFINITY } from '../../native/libc';
import { ProtoError, quote } from '../proto/errors';
import { readJson } from '../proto/json';
import {
  CapabilityInfo as CapabilityInfoType,
  CommandInfo as CommandInfoType,
  type CommandInfoMessage,
  ContainerLaunchInfo,
  type ContainerLaunchInfoMessage,
} from '../proto/launch';
import type { mesos } from '../proto/generated/types';
import type { MessageType } from '../proto/schema';
import type { JsonValue } from '../subcommand/flags';

// ---------------------------------------------------------------------------
// Errors

export type LaunchInfoErrorKind = 'parse' | 'validate';

/**
 * A launch description we refuse. `kind` is 'parse' for malformed input and
 * for values we can't carry out: the mapping's words naming the field
 * ("Not expecting a JSON number for field 'launch_info.rootfs'") or ours
 * ("<path>: <what is wrong>"), `path` being that field. 'validate' is for
 * the checks Mesos makes after parsing, whose messages are Mesos's own
 * one-liners, e.g. "Shell command is not specified".
 */
export class LaunchInfoError extends Error {
  override readonly name = 'LaunchInfoError';

  constructor(
    message: string,
    readonly path?: string,
    readonly kind: LaunchInfoErrorKind = 'parse',
  ) {
    super(message);
  }
}

// How many characters of an input value an error message quotes, and how:
// the protobuf layer's rule, so that its errors and ours quote alike.
export { QUOTE_LIMIT, quote } from '../proto/errors';

// ---------------------------------------------------------------------------
// Tables

/**
 * Linux capability numbers by the names of Mesos's `CapabilityInfo.Capability`
 * enum (whose values are these plus 1000). PERFMON, BPF and CHECKPOINT_RESTORE
 * (Linux 5.8/5.9) are accepted too.
 */
export const CAPABILITIES = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  LINUX_IMMUTABLE: 9,
  NET_BIND_SERVICE: 10,
  NET_BROADCAST: 11,
  NET_ADMIN: 12,
  NET_RAW: 13,
  IPC_LOCK: 14,
  IPC_OWNER: 15,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_PACCT: 20,
  SYS_ADMIN: 21,
  SYS_BOOT: 22,
  SYS_NICE: 23,
  SYS_RESOURCE: 24,
  SYS_TIME: 25,
  SYS_TTY_CONFIG: 26,
  MKNOD: 27,
  LEASE: 28,
  AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30,
  SETFCAP: 31,
  MAC_OVERRIDE: 32,
  MAC_ADMIN: 33,
  SYSLOG: 34,
  WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36,
  AUDIT_READ: 37,
  PERFMON: 38,
  BPF: 39,
  CHECKPOINT_RESTORE: 40,
} as const;

export type CapabilityName = keyof typeof CAPABILITIES;

/** The highest capability number we know a name for. */
export const LAST_CAPABILITY = 40;

const CAPABILITY_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(CAPABILITIES));
const CAPABILITY_BY_NUMBER: ReadonlyMap<number, CapabilityName> = new Map(
  (Object.entries(CAPABILITIES) as [CapabilityName, number][]).map(([name, n]) => [n, name]),
);

/** The Linux number of a capability named as in Mesos (`NET_RAW`), if known. */
export function capabilityNumber(name: string): number | undefined {
  return CAPABILITY_BY_NAME.get(name);
}

/** The Mesos name of a Linux capability number (13 → `NET_RAW`), if known. */
export function capabilityName(n: number): CapabilityName | undefined {
  return CAPABILITY_BY_NUMBER.get(n);
}

/**
 * Linux resource numbers (`RLIMIT_*`, as on x86, arm and most other
 * architectures) by the names of Mesos's `RLimitInfo.RLimit.Type` enum.
 */
export const RLIMITS = {
  RLMT_CPU: 0,
  RLMT_FSIZE: 1,
  RLMT_DATA: 2,
  RLMT_STACK: 3,
  RLMT_CORE: 4,
  RLMT_RSS: 5,
  RLMT_NPROC: 6,
  RLMT_NOFILE: 7,
  RLMT_MEMLOCK: 8,
  RLMT_AS: 9,
  RLMT_LOCKS: 10,
  RLMT_SIGPENDING: 11,
  RLMT_MSGQUEUE: 12,
  RLMT_NICE: 13,
  RLMT_RTPRIO: 14,
  RLMT_RTTIME: 15,
} as const;

export type RLimitName = keyof typeof RLIMITS;

const RLIMIT_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(RLIMITS));

/** `ContainerFileOperation.Operation`. */
export const FILE_OPERATIONS = ['SYMLINK', 'MOUNT', 'RENAME', 'MKDIR'] as const;
export type FileOperationName = (typeof FILE_OPERATIONS)[number];

/** `ContainerSeccompProfile.Syscall.Action` (without UNKNOWN). */
export const SECCOMP_ACTIONS = ['ACT_KILL', 'ACT_TRAP', 'ACT_ERRNO', 'ACT_TRACE', 'ACT_ALLOW'] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

/** `ContainerSeccompProfile.Architecture` (without UNKNOWN). */
export const SECCOMP_ARCHITECTURES = [
  'ARCH_X86',
  'ARCH_X86_64',
  'ARCH_X32',
  'ARCH_ARM',
  'ARCH_AARCH64',
  'ARCH_MIPS',
  'ARCH_MIPSEL',
  'ARCH_MIPS64',
  'ARCH_MIPSEL64',
  'ARCH_MIPS64N32',
  'ARCH_MIPSEL64N32',
  'ARCH_PPC',
  'ARCH_PPC64',
  'ARCH_PPC64LE',
  'ARCH_S390',
  'ARCH_S390X',
] as const;
export type SeccompArchitecture = (typeof SECCOMP_ARCHITECTURES)[number];

/** `ContainerSeccompProfile.Syscall.Arg.Operator` (without UNKNOWN). */
export const SECCOMP_OPERATORS = [
  'CMP_NE',
  'CMP_LT',
  'CMP_LE',
  'CMP_EQ',
  'CMP_GE',
  'CMP_GT',
  'CMP_MASKED_EQ',
] as const;
export type SeccompOperator = (typeof SECCOMP_OPERATORS)[number];


// ---------------------------------------------------------------------------
// Output types

export interface EnvironmentVariable {
  name: string;
  value: string;
}

/** `Environment`: variables in order; a later duplicate overrides an earlier one. */
export interface Environment {
  variables: EnvironmentVariable[];
}

/** `CommandInfo`; `uris` and the other fetcher-only fields are dropped. */
export interface CommandInfo {
  /** Run `value` through `sh -c` (the default) or exec it with `arguments`. */
  shell: boolean;
  value?: string;
  /** The argv of a non-shell command, argv[0] included. */
  arguments: string[];
  environment?: Environment;
  user?: string;
}

/** `ContainerMountInfo`: the arguments of one mount(2). */
export interface MountInfo {
  target: string;
  source?: string;
  /** The filesystem type (`type` in the proto). */
  type?: string;
  /** `MS_*` flags; 0 when absent. */
  flags: number;
  options?: string;
}

export type FileOperation =
  | { operation: 'SYMLINK'; symlink: { source: string; target: string } }
  | { operation: 'MOUNT'; mount: MountInfo }
  | { operation: 'RENAME'; rename: { source: string; target: string } }
  | { operation: 'MKDIR'; mkdir: { target: string; recursive: boolean } };

/** `RLimitInfo.RLimit`, ready for setrlimit(2). */
export interface RLimit {
  type: RLimitName;
  /** The Linux `RLIMIT_*` number. */
  resource: number;
  /** RLIM_INFINITY when the input gave neither soft nor hard. */
  soft: bigint;
  hard: bigint;
}

export interface SeccompArg {
  index: number;
  op: SeccompOperator;
  value: bigint;
  valueTwo: bigint;
}

export interface SeccompSyscall {
  names: string[];
  action: SeccompAction;
  args: SeccompArg[];
  /** `includes.capabilities` as Linux capability numbers (sorted, unique). */
  includes?: number[];
  /** `excludes.capabilities` as Linux capability numbers (sorted, unique). */
  excludes?: number[];
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  architectures: SeccompArchitecture[];
  syscalls: SeccompSyscall[];
}

/**
 * `ContainerLaunchInfo`. Optional fields are absent when the input did not
 * set them; repeated fields are always arrays. Capability sets are Linux
 * numbers, sorted and unique; an empty array (given as `{}`) is a real,
 * empty set, unlike an absent one.
 */
export interface LaunchInfo {
  command: CommandInfo;
  preExecCommands: CommandInfo[];
  environment?: Environment;
  taskEnvironment?: Environment;
  rootfs?: string;
  workingDirectory?: string;
  user?: string;
  supplementaryGroups: number[];
  taskSupplementaryGroups: number[];
  cloneNamespaces: number[];
  enterNamespaces: number[];
  effectiveCapabilities?: number[];
  boundingCapabilities?: number[];
  rlimits?: RLimit[];
  ttySlavePath?: string;
  mounts: MountInfo[];
  maskedPaths: string[];
  fileOperations: FileOperation[];
  seccompProfile?: SeccompProfile;
  noNewPrivileges?: boolean;
}

// ---------------------------------------------------------------------------
// From the mapping's messages to the launch's

function fail(path: string, reason: string): never {
  throw new LaunchInfoError(`${path}: ${reason}`, path, 'parse');
}

/** Reads `json` as a message of `type`, strictly; the mapping's errors become LaunchInfoErrors. */
function read<T>(type: MessageType<T>, json: unknown, root: string): T {
  try {
    return readJson(type, json, { strict: true, root });
  } catch (error) {
    if (error instanceof ProtoError) throw new LaunchInfoError(error.message, error.path, 'parse');
    throw error;
  }
}

/** UNKNOWN is a name the schema has but the launch can't carry out. */
function supported<T extends string>(name: T | 'UNKNOWN', path: string): T {
  if (name === 'UNKNOWN') fail(path, `value '${quote(name)}' is not supported`);
  return name;
}

function environmentOf(environment: mesos.Environment, path: string): Environment {
  const variables = (environment.variables ?? []).map((variable, i): EnvironmentVariable => {
    const at = `${path}.variables[${i}].type`;
    const type = variable.type ?? 'VALUE';
    if (type === 'SECRET') fail(at, 'SECRET environment variables are not supported (expected VALUE)');
    if (type === 'UNKNOWN') fail(at, "value 'UNKNOWN' is not supported (expected VALUE)");
    // Like Mesos, a VALUE variable without a value is the empty string.
    return { name: variable.name, value: variable.value ?? '' };
  });
  return { variables };
}

function commandOf(message: CommandInfoMessage, path: string): CommandInfo {
  const command: CommandInfo = { shell: message.shell ?? true, arguments: message.arguments ?? [] };
  if (message.value !== undefined) command.value = message.value;
  if (message.environment !== undefined) command.environment = environmentOf(message.environment, `${path}.environment`);
  if (message.user !== undefined) command.user = message.user;
  return command;
}

/**
 * Parses a `CommandInfo`: `--command`, an element of `--pre_exec_commands`
 * or `launch_info.command`. `root` names it in error messages. Its `uris`
 * are read (they must be well formed) but not used: the fetcher's business.
 */
export function parseCommandInfo(json: JsonValue, root: string): CommandInfo {
  return commandOf(read(CommandInfoType, json, root), root);
}

/**
 * Mesos's check of the command to launch, with Mesos's messages (kind
 * 'validate'): a shell command needs a `value`, and so does an executable.
 */
export function validateCommand(command: CommandInfo): void {
  if (command.value === undefined) {
    throw new LaunchInfoError(
      command.shell ? 'Shell command is not specified' : 'Executable path is not specified',
      undefined,
      'validate',
    );
  }
}

/**
 * Mesos's check of a pre-exec command, made just before running it, with
 * Mesos's message (kind 'validate').
 */
export function validatePreExecCommand(command: CommandInfo): void {
  if (command.value === undefined) {
    throw new LaunchInfoError("The 'value' of a preparation command is not specified", undefined, 'validate');
  }
}

/** A CapabilityInfo, or a seccomp Filter (the same field): Linux numbers, sorted and unique. */
function capabilitiesOf(info: { capabilities?: mesos.CapabilityInfo.Capability[] }, path: string): number[] {
  const numbers = (info.capabilities ?? []).map((name, i) => CAPABILITY_BY_NAME.get(supported(name, `${path}.capabilities[${i}]`))!);
  return [...new Set(numbers)].sort((a, b) => a - b);
}

function rlimitsOf(info: mesos.RLimitInfo, path: string): RLimit[] {
  return (info.rlimits ?? []).map((rlimit, i): RLimit => {
    const at = `${path}.rlimits[${i}]`;
    if (rlimit.type === undefined) fail(`${at}.type`, 'missing rlimit type');
    const type = supported(rlimit.type, `${at}.type`);
    if ((rlimit.soft === undefined) !== (rlimit.hard === undefined)) {
      fail(at, 'Invalid rlimit values: soft and hard must be both set or both unset');
    }
    return {
      type,
      resource: RLIMIT_BY_NAME.get(type)!,
      soft: rlimit.soft ?? RLIM_INFINITY,
      hard: rlimit.hard ?? RLIM_INFINITY,
    };
  });
}

function mountOf(message: mesos.slave.ContainerMountInfo): MountInfo {
  const mount: MountInfo = { target: message.target, flags: message.flags ?? 0 };
  if (message.source !== undefined) mount.source = message.source;
  if (message.type !== undefined) mount.type = message.type;
  if (message.options !== undefined) mount.options = message.options;
  return mount;
}

function fileOperationOf(message: mesos.slave.ContainerFileOperation, path: string): FileOperation {
  if (message.operation === undefined) fail(`${path}.operation`, 'missing required field');
  const operation = message.operation;
  // The parameters are a oneof: the member the operation names must be the one set.
  const parameters = <K extends 'symlink' | 'mount' | 'rename' | 'mkdir'>(name: K): NonNullable<mesos.slave.ContainerFileOperation[K]> => {
    const found = message[name];
    if (found === undefined) fail(`${path}.${name}`, `missing required field for operation ${operation}`);
    return found!;
  };
  const sourceTarget = (found: { source?: string; target?: string }) => ({ source: found.source ?? '', target: found.target ?? '' });
  switch (operation) {
    case 'SYMLINK':
      return { operation, symlink: sourceTarget(parameters('symlink')) };
    case 'MOUNT':
      return { operation, mount: mountOf(parameters('mount')) };
    case 'RENAME':
      return { operation, rename: sourceTarget(parameters('rename')) };
    case 'MKDIR': {
      const mkdir = parameters('mkdir');
      return { operation, mkdir: { target: mkdir.target ?? '', recursive: mkdir.recursive ?? false } };
    }
  }
}

function seccompOf(profile: mesos.seccomp.ContainerSeccompProfile, path: string): SeccompProfile {
  return {
    defaultAction: supported(profile.default_action, `${path}.default_action`),
    architectures: (profile.architectures ?? []).map((name, i) => supported(name, `${path}.architectures[${i}]`)),
    syscalls: (profile.syscalls ?? []).map((syscall, i): SeccompSyscall => {
      const at = `${path}.syscalls[${i}]`;
      const result: SeccompSyscall = {
        names: syscall.names ?? [],
        action: supported(syscall.action, `${at}.action`),
        args: (syscall.args ?? []).map((arg, j) => ({
          index: arg.index,
          op: supported(arg.op, `${at}.args[${j}].op`),
          value: arg.value,
          valueTwo: arg.value_two,
        })),
      };
      if (syscall.includes !== undefined) result.includes = capabilitiesOf(syscall.includes, `${at}.includes`);
      if (syscall.excludes !== undefined) result.excludes = capabilitiesOf(syscall.excludes, `${at}.excludes`);
      return result;
    }),
  };
}

/** Sets `info[key]` unless `value` is undefined, so absent stays absent. */
function set<K extends keyof LaunchInfo>(info: Partial<LaunchInfo>, key: K, value: LaunchInfo[K] | undefined): void {
  if (value !== undefined) info[key] = value;
}

/**
 * Parses `--launch_info` (a ContainerLaunchInfo) and makes Mesos's checks of
 * its command: it must be present ("Launch command is not specified") and
 * have a `value` (see validateCommand). Those three errors are of kind
 * 'validate'; everything else is 'parse'.
 */
export function parseLaunchInfo(json: JsonValue, root = 'launch_info'): LaunchInfo {
  const message: ContainerLaunchInfoMessage = read(ContainerLaunchInfo, json, root);
  const at = (name: string): string => `${root}.${name}`;

  const info: Omit<LaunchInfo, 'command'> = {
    preExecCommands: (message.pre_exec_commands ?? []).map((command, i) => commandOf(command, at(`pre_exec_commands[${i}]`))),
    supplementaryGroups: message.supplementary_groups ?? [],
    taskSupplementaryGroups: message.task_supplementary_groups ?? [],
    cloneNamespaces: message.clone_namespaces ?? [],
    enterNamespaces: message.enter_namespaces ?? [],
    mounts: (message.mounts ?? []).map(mountOf),
    maskedPaths: message.masked_paths ?? [],
    fileOperations: (message.file_operations ?? []).map((operation, i) => fileOperationOf(operation, at(`file_operations[${i}]`))),
  };
  const command = message.command === undefined ? undefined : commandOf(message.command, at('command'));
  if (message.environment !== undefined) info.environment = environmentOf(message.environment, at('environment'));
  if (message.task_environment !== undefined) {
    info.taskEnvironment = environmentOf(message.task_environment, at('task_environment'));
  }
  set(info, 'rootfs', message.rootfs);
  set(info, 'workingDirectory', message.working_directory);
  set(info, 'user', message.user);
  // `capabilities` is the field's name before Mesos 1.4 renamed it: read
  // only when the new name is absent.
  let effective = message.effective_capabilities;
  let effectivePath = at('effective_capabilities');
  const old = typeof json === 'object' && json !== null && Object.hasOwn(json, 'capabilities') ? (json as { capabilities: JsonValue }).capabilities : null;
  if (effective === undefined && old !== null) {
    effectivePath = at('capabilities');
    effective = read(CapabilityInfoType, old, effectivePath);
  }
  if (effective !== undefined) info.effectiveCapabilities = capabilitiesOf(effective, effectivePath);
  if (message.bounding_capabilities !== undefined) {
    info.boundingCapabilities = capabilitiesOf(message.bounding_capabilities, at('bounding_capabilities'));
  }
  if (message.rlimits !== undefined) info.rlimits = rlimitsOf(message.rlimits, at('rlimits'));
  set(info, 'ttySlavePath', message.tty_slave_path);
  if (message.seccomp_profile !== undefined) info.seccompProfile = seccompOf(message.seccomp_profile, at('seccomp_profile'));
  set(info, 'noNewPrivileges', message.no_new_privileges);

  if (command === undefined) {
    throw new LaunchInfoError('Launch command is not specified', `${root}.command`, 'validate');
  }
  validateCommand(command);
  return { command, ...info };
}
