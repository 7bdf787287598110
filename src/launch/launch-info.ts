// What `launch` is asked to do, read from JSON: the modern `--launch_info`
// (a ContainerLaunchInfo) and the legacy `--command` / `--pre_exec_commands`
// (CommandInfo). Field names and enum names follow Mesos's .proto files, the
// way stout renders a protobuf as JSON: snake_case keys, enums by name,
// repeated fields as arrays, 64-bit integers as JSON numbers.
//
// Everything here is pure: no I/O, no libc. Every bad input ends in a
// LaunchInfoError whose message is one line naming the offending field, so
// the caller can print it as it is.
//
// Protobuf JSON rules kept here: unknown keys are ignored; `null` means the
// field is absent; integers are JSON numbers or strings of decimal digits,
// and must be integral and in the range of the field's type; enums are given
// by name. Two deliberate departures from stout's parser, both stricter: an
// unknown enum name is an error (stout silently drops it unless the field is
// required), and so is `null` inside an array (stout skips it).
import { type JsonObject, type JsonValue, quoteValue } from '../subcommand/flags';
import { RLIM_INFINITY } from '../../native/libc';

// ---------------------------------------------------------------------------
// Errors

export type LaunchInfoErrorKind = 'parse' | 'validate';

/**
 * A launch description we refuse. `kind` is 'parse' for malformed input (the
 * message is "<path>: <what is wrong>") and 'validate' for the checks Mesos
 * makes after parsing, whose messages are Mesos's own one-liners, e.g.
 * "Shell command is not specified".
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

/** How many characters of an input value an error message quotes. */
export const QUOTE_LIMIT = 80;

/** Renders `value` for an error message: escaped, cut to QUOTE_LIMIT code points. */
export function quote(value: string): string {
  return quoteValue(value, QUOTE_LIMIT);
}

function fail(path: string, reason: string): never {
  throw new LaunchInfoError(`${path}: ${reason}`, path, 'parse');
}

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

/** `Environment.Variable.Type`. */
const VARIABLE_TYPES = ['UNKNOWN', 'VALUE', 'SECRET'] as const;

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
// Readers for protobuf-JSON scalars. Each takes the value (possibly anything
// at all) and the path to name in an error.

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of `name` in `object`, or undefined when absent or null. */
function get(object: JsonObject, name: string): unknown {
  if (!Object.hasOwn(object, name)) return undefined;
  const value: unknown = object[name];
  return value === null ? undefined : value;
}

function readMessage(value: unknown, path: string): JsonObject {
  if (!isObject(value)) fail(path, 'expected an object');
  return value;
}

function readString(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'expected a string');
  return value;
}

function readBool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'expected a boolean');
  return value;
}

const DIGITS = /^-?[0-9]+$/;

/** An integral JSON number, or a string of decimal digits, as a bigint. */
function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? BigInt(value) : undefined;
  }
  if (typeof value === 'string' && DIGITS.test(value)) {
    const negative = value.startsWith('-');
    const digits = value.slice(negative ? 1 : 0).replace(/^0+(?=[0-9])/, '');
    if (digits.length > 20) return undefined; // beyond any 64-bit value
    const magnitude = BigInt(digits);
    return negative ? -magnitude : magnitude;
  }
  return undefined;
}

interface IntegerType {
  min: bigint;
  max: bigint;
  noun: string;
}

const INT32: IntegerType = { min: -(2n ** 31n), max: 2n ** 31n - 1n, noun: '32-bit integer' };
const UINT32: IntegerType = { min: 0n, max: 2n ** 32n - 1n, noun: 'unsigned 32-bit integer' };
const UINT64: IntegerType = { min: 0n, max: 2n ** 64n - 1n, noun: 'unsigned 64-bit integer' };

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function readInteger(value: unknown, path: string, type: IntegerType): bigint {
  const n = toBigInt(value);
  if (n === undefined || n < type.min || n > type.max) fail(path, `expected ${article(type.noun)}`);
  return n;
}

const readInt32 = (value: unknown, path: string): number => Number(readInteger(value, path, INT32));
const readUint32 = (value: unknown, path: string): number => Number(readInteger(value, path, UINT32));
const readUint64 = (value: unknown, path: string): bigint => readInteger(value, path, UINT64);

/**
 * An enum given by name. `known` holds every name of the proto's enum;
 * `accepted` maps the usable ones to what we return. A known but unusable
 * name (UNKNOWN) is "not supported", anything else "unknown".
 */
function readEnum<T>(
  value: unknown,
  path: string,
  accepted: ReadonlyMap<string, T>,
  unsupported: readonly string[] = ['UNKNOWN'],
): T {
  if (typeof value !== 'string') fail(path, 'expected an enum value name (a string)');
  const found = accepted.get(value);
  if (found !== undefined) return found;
  if (unsupported.includes(value)) fail(path, `value '${quote(value)}' is not supported`);
  return fail(path, `unknown value '${quote(value)}'`);
}

function nameMap<T extends string>(names: readonly T[]): ReadonlyMap<string, T> {
  return new Map(names.map((name) => [name, name]));
}

const FILE_OPERATION_MAP = nameMap(FILE_OPERATIONS);
const SECCOMP_ACTION_MAP = nameMap(SECCOMP_ACTIONS);
const SECCOMP_ARCHITECTURE_MAP = nameMap(SECCOMP_ARCHITECTURES);
const SECCOMP_OPERATOR_MAP = nameMap(SECCOMP_OPERATORS);
const VARIABLE_TYPE_MAP = nameMap(VARIABLE_TYPES);

// Field access: optional scalars, required scalars and repeated fields.

function optional<T>(
  object: JsonObject,
  name: string,
  path: string,
  read: (value: unknown, path: string) => T,
): T | undefined {
  const value = get(object, name);
  return value === undefined ? undefined : read(value, `${path}.${name}`);
}

function required<T>(
  object: JsonObject,
  name: string,
  path: string,
  read: (value: unknown, path: string) => T,
): T {
  const value = get(object, name);
  if (value === undefined) fail(`${path}.${name}`, 'missing required field');
  return read(value, `${path}.${name}`);
}

function repeated<T>(
  object: JsonObject,
  name: string,
  path: string,
  noun: string,
  read: (value: unknown, path: string) => T,
): T[] {
  const value = get(object, name);
  if (value === undefined) return [];
  const fieldPath = `${path}.${name}`;
  if (!Array.isArray(value)) fail(fieldPath, `expected an array of ${noun}`);
  const result: T[] = [];
  for (let i = 0; i < value.length; i++) {
    result.push(read(value[i] as unknown, `${fieldPath}[${i}]`));
  }
  return result;
}

// ---------------------------------------------------------------------------
// Messages

function parseVariable(value: unknown, path: string): EnvironmentVariable {
  const object = readMessage(value, path);
  const name = required(object, 'name', path, readString);
  const type = optional(object, 'type', path, (v, p) => readEnum(v, p, VARIABLE_TYPE_MAP, [])) ?? 'VALUE';
  if (type === 'SECRET') {
    fail(`${path}.type`, 'SECRET environment variables are not supported (expected VALUE)');
  }
  if (type === 'UNKNOWN') {
    fail(`${path}.type`, "value 'UNKNOWN' is not supported (expected VALUE)");
  }
  // Like Mesos, a VALUE variable without a value is the empty string.
  const variableValue = optional(object, 'value', path, readString) ?? '';
  return { name, value: variableValue };
}

function parseEnvironment(value: unknown, path: string): Environment {
  const object = readMessage(value, path);
  return { variables: repeated(object, 'variables', path, 'objects', parseVariable) };
}

/**
 * Parses a `CommandInfo`: `--command`, an element of `--pre_exec_commands`
 * or `launch_info.command`. `root` names it in error messages.
 */
export function parseCommandInfo(json: JsonValue, root: string): CommandInfo {
  const object = readMessage(json, root);
  const command: CommandInfo = {
    shell: optional(object, 'shell', root, readBool) ?? true,
    arguments: repeated(object, 'arguments', root, 'strings', readString),
  };
  const value = optional(object, 'value', root, readString);
  if (value !== undefined) command.value = value;
  const environment = optional(object, 'environment', root, parseEnvironment);
  if (environment !== undefined) command.environment = environment;
  const user = optional(object, 'user', root, readString);
  if (user !== undefined) command.user = user;
  return command;
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

function readCapability(value: unknown, path: string): number {
  return readEnum(value, path, CAPABILITY_BY_NAME);
}

function uniqueSorted(numbers: number[]): number[] {
  return [...new Set(numbers)].sort((a, b) => a - b);
}

function parseCapabilityInfo(value: unknown, path: string): number[] {
  const object = readMessage(value, path);
  return uniqueSorted(repeated(object, 'capabilities', path, 'capability names', readCapability));
}

function parseRLimit(value: unknown, path: string): RLimit {
  const object = readMessage(value, path);
  const type = get(object, 'type');
  if (type === undefined) fail(`${path}.type`, 'missing rlimit type');
  const resource = readEnum(type, `${path}.type`, RLIMIT_BY_NAME);
  const soft = optional(object, 'soft', path, readUint64);
  const hard = optional(object, 'hard', path, readUint64);
  if ((soft === undefined) !== (hard === undefined)) {
    fail(path, 'Invalid rlimit values: soft and hard must be both set or both unset');
  }
  return {
    type: type as RLimitName,
    resource,
    soft: soft ?? RLIM_INFINITY,
    hard: hard ?? RLIM_INFINITY,
  };
}

function parseRLimitInfo(value: unknown, path: string): RLimit[] {
  const object = readMessage(value, path);
  return repeated(object, 'rlimits', path, 'objects', parseRLimit);
}

function parseMountInfo(value: unknown, path: string): MountInfo {
  const object = readMessage(value, path);
  const mount: MountInfo = {
    target: required(object, 'target', path, readString),
    flags: optional(object, 'flags', path, readUint32) ?? 0,
  };
  const source = optional(object, 'source', path, readString);
  if (source !== undefined) mount.source = source;
  const type = optional(object, 'type', path, readString);
  if (type !== undefined) mount.type = type;
  const options = optional(object, 'options', path, readString);
  if (options !== undefined) mount.options = options;
  return mount;
}

function parseSourceTarget(value: unknown, path: string): { source: string; target: string } {
  const object = readMessage(value, path);
  return {
    source: optional(object, 'source', path, readString) ?? '',
    target: optional(object, 'target', path, readString) ?? '',
  };
}

function parseMkdir(value: unknown, path: string): { target: string; recursive: boolean } {
  const object = readMessage(value, path);
  return {
    target: optional(object, 'target', path, readString) ?? '',
    recursive: optional(object, 'recursive', path, readBool) ?? false,
  };
}

function parseFileOperation(value: unknown, path: string): FileOperation {
  const object = readMessage(value, path);
  const operation = required(object, 'operation', path, (v, p) => readEnum(v, p, FILE_OPERATION_MAP));
  // The parameters are a oneof; only the one the operation names is read.
  const parameters = (name: string): unknown => {
    const found = get(object, name);
    if (found === undefined) fail(`${path}.${name}`, `missing required field for operation ${operation}`);
    return found;
  };
  switch (operation) {
    case 'SYMLINK':
      return { operation, symlink: parseSourceTarget(parameters('symlink'), `${path}.symlink`) };
    case 'MOUNT':
      return { operation, mount: parseMountInfo(parameters('mount'), `${path}.mount`) };
    case 'RENAME':
      return { operation, rename: parseSourceTarget(parameters('rename'), `${path}.rename`) };
    case 'MKDIR':
      return { operation, mkdir: parseMkdir(parameters('mkdir'), `${path}.mkdir`) };
  }
}

function parseSeccompArg(value: unknown, path: string): SeccompArg {
  const object = readMessage(value, path);
  return {
    index: required(object, 'index', path, readUint32),
    op: required(object, 'op', path, (v, p) => readEnum(v, p, SECCOMP_OPERATOR_MAP)),
    value: required(object, 'value', path, readUint64),
    valueTwo: required(object, 'value_two', path, readUint64),
  };
}

function parseSeccompSyscall(value: unknown, path: string): SeccompSyscall {
  const object = readMessage(value, path);
  const syscall: SeccompSyscall = {
    names: repeated(object, 'names', path, 'strings', readString),
    action: required(object, 'action', path, (v, p) => readEnum(v, p, SECCOMP_ACTION_MAP)),
    args: repeated(object, 'args', path, 'objects', parseSeccompArg),
  };
  const includes = optional(object, 'includes', path, parseCapabilityInfo);
  if (includes !== undefined) syscall.includes = includes;
  const excludes = optional(object, 'excludes', path, parseCapabilityInfo);
  if (excludes !== undefined) syscall.excludes = excludes;
  return syscall;
}

function parseSeccompProfile(value: unknown, path: string): SeccompProfile {
  const object = readMessage(value, path);
  return {
    defaultAction: required(object, 'default_action', path, (v, p) => readEnum(v, p, SECCOMP_ACTION_MAP)),
    architectures: repeated(object, 'architectures', path, 'architecture names', (v, p) =>
      readEnum(v, p, SECCOMP_ARCHITECTURE_MAP),
    ),
    syscalls: repeated(object, 'syscalls', path, 'objects', parseSeccompSyscall),
  };
}

/**
 * Parses `--launch_info` (a ContainerLaunchInfo) and makes Mesos's checks of
 * its command: it must be present ("Launch command is not specified") and
 * have a `value` (see validateCommand). Those three errors are of kind
 * 'validate'; everything else is 'parse'.
 */
export function parseLaunchInfo(json: JsonValue, root = 'launch_info'): LaunchInfo {
  const object = readMessage(json, root);
  const path = root;

  const preExecCommands = repeated(object, 'pre_exec_commands', path, 'objects', (v, p) =>
    parseCommandInfo(v as JsonValue, p),
  );
  const command = optional(object, 'command', path, (v, p) => parseCommandInfo(v as JsonValue, p));

  const info: Omit<LaunchInfo, 'command'> = {
    preExecCommands,
    supplementaryGroups: repeated(object, 'supplementary_groups', path, 'unsigned 32-bit integers', readUint32),
    taskSupplementaryGroups: repeated(
      object,
      'task_supplementary_groups',
      path,
      'unsigned 32-bit integers',
      readUint32,
    ),
    cloneNamespaces: repeated(object, 'clone_namespaces', path, '32-bit integers', readInt32),
    enterNamespaces: repeated(object, 'enter_namespaces', path, '32-bit integers', readInt32),
    mounts: repeated(object, 'mounts', path, 'objects', parseMountInfo),
    maskedPaths: repeated(object, 'masked_paths', path, 'strings', readString),
    fileOperations: repeated(object, 'file_operations', path, 'objects', parseFileOperation),
  };

  const set = <K extends keyof LaunchInfo>(key: K, value: LaunchInfo[K] | undefined): void => {
    if (value !== undefined) (info as Partial<LaunchInfo>)[key] = value;
  };
  set('environment', optional(object, 'environment', path, parseEnvironment));
  set('taskEnvironment', optional(object, 'task_environment', path, parseEnvironment));
  set('rootfs', optional(object, 'rootfs', path, readString));
  set('workingDirectory', optional(object, 'working_directory', path, readString));
  set('user', optional(object, 'user', path, readString));
  // `capabilities` is the field's name before Mesos 1.4 renamed it.
  set(
    'effectiveCapabilities',
    optional(object, 'effective_capabilities', path, parseCapabilityInfo) ??
      optional(object, 'capabilities', path, parseCapabilityInfo),
  );
  set('boundingCapabilities', optional(object, 'bounding_capabilities', path, parseCapabilityInfo));
  set('rlimits', optional(object, 'rlimits', path, parseRLimitInfo));
  set('ttySlavePath', optional(object, 'tty_slave_path', path, readString));
  set('seccompProfile', optional(object, 'seccomp_profile', path, parseSeccompProfile));
  set('noNewPrivileges', optional(object, 'no_new_privileges', path, readBool));

  if (command === undefined) {
    throw new LaunchInfoError('Launch command is not specified', `${root}.command`, 'validate');
  }
  validateCommand(command);
  return { command, ...info };
}
