// A seccomp profile in the format of Mesos's linux/seccomp isolator (which
// is Docker's): the agent reads it from --seccomp_config_dir and hands the
// container its ContainerSeccompProfile in the launch info, for launch to
// compile. As Mesos reads it: `defaultAction`; `archMap`, of which only
// this machine's architecture is kept, with its sub-architectures; and
// `syscalls`, each with `names`, `action`, `args` (index, value, valueTwo,
// op), and `includes`/`excludes` by `caps` (kept for launch, which weighs
// them against the task's bounding set) and by `arches` (weighed here).
// Other keys (`comment`, Docker's `errnoRet`, `minKernel`) are not Mesos's
// and are left alone.
import type { JsonObject, JsonValue } from '../subcommand/flags';

export class SeccompProfileError extends Error {}

const ARCHITECTURES: Readonly<Record<string, string>> = {
  SCMP_ARCH_X86: 'ARCH_X86',
  SCMP_ARCH_X86_64: 'ARCH_X86_64',
  SCMP_ARCH_X32: 'ARCH_X32',
  SCMP_ARCH_ARM: 'ARCH_ARM',
  SCMP_ARCH_AARCH64: 'ARCH_AARCH64',
  SCMP_ARCH_MIPS: 'ARCH_MIPS',
  SCMP_ARCH_MIPSEL: 'ARCH_MIPSEL',
  SCMP_ARCH_MIPS64: 'ARCH_MIPS64',
  SCMP_ARCH_MIPSEL64: 'ARCH_MIPSEL64',
  SCMP_ARCH_MIPS64N32: 'ARCH_MIPS64N32',
  SCMP_ARCH_MIPSEL64N32: 'ARCH_MIPSEL64N32',
  SCMP_ARCH_PPC: 'ARCH_PPC',
  SCMP_ARCH_PPC64: 'ARCH_PPC64',
  SCMP_ARCH_PPC64LE: 'ARCH_PPC64LE',
  SCMP_ARCH_S390: 'ARCH_S390',
  SCMP_ARCH_S390X: 'ARCH_S390X',
};

/** The `arches` names of syscall filters, and the architecture each means. */
const FILTER_ARCHES: Readonly<Record<string, string>> = {
  x86: 'ARCH_X86',
  amd64: 'ARCH_X86_64',
  x32: 'ARCH_X32',
  arm: 'ARCH_ARM',
  arm64: 'ARCH_AARCH64',
  mips: 'ARCH_MIPS',
  mipsel: 'ARCH_MIPSEL',
  mips64: 'ARCH_MIPS64',
  mipsel64: 'ARCH_MIPSEL64',
  mips64n32: 'ARCH_MIPS64N32',
  mipsel64n32: 'ARCH_MIPSEL64N32',
  ppc: 'ARCH_PPC',
  ppc64: 'ARCH_PPC64',
  ppc64le: 'ARCH_PPC64LE',
  s390: 'ARCH_S390',
  s390x: 'ARCH_S390X',
};

const ACTIONS: Readonly<Record<string, string>> = {
  SCMP_ACT_KILL: 'ACT_KILL',
  SCMP_ACT_TRAP: 'ACT_TRAP',
  SCMP_ACT_ERRNO: 'ACT_ERRNO',
  SCMP_ACT_TRACE: 'ACT_TRACE',
  SCMP_ACT_ALLOW: 'ACT_ALLOW',
};

const OPERATORS: Readonly<Record<string, string>> = {
  SCMP_CMP_NE: 'CMP_NE',
  SCMP_CMP_LT: 'CMP_LT',
  SCMP_CMP_LE: 'CMP_LE',
  SCMP_CMP_EQ: 'CMP_EQ',
  SCMP_CMP_GE: 'CMP_GE',
  SCMP_CMP_GT: 'CMP_GT',
  SCMP_CMP_MASKED_EQ: 'CMP_MASKED_EQ',
};

/** This machine's architecture as the profile names it. */
export function nativeArchitecture(arch: string = process.arch): string {
  switch (arch) {
    case 'x64':
      return 'ARCH_X86_64';
    case 'arm64':
      return 'ARCH_AARCH64';
    case 'ia32':
      return 'ARCH_X86';
    case 'arm':
      return 'ARCH_ARM';
    case 'ppc64':
      return 'ARCH_PPC64LE';
    case 's390x':
      return 'ARCH_S390X';
    default:
      throw new SeccompProfileError(`Seccomp is not supported on architecture '${arch}'`);
  }
}

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

function field<T>(object: JsonObject, name: string, what: string, check: (value: JsonValue) => value is T & JsonValue): T {
  const value = object[name];
  if (value === undefined || !check(value)) throw new SeccompProfileError(`Cannot determine '${name}' ${what}`);
  return value;
}

const isString = (value: JsonValue): value is string => typeof value === 'string';
const isArray = (value: JsonValue): value is JsonValue[] => Array.isArray(value);
const isNumber = (value: JsonValue): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function mapped(table: Readonly<Record<string, string>>, name: string, what: string): string {
  const value = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  if (value === undefined) throw new SeccompProfileError(`Unknown ${what} '${name}'`);
  return value;
}

function strings(value: JsonValue | undefined, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isString)) throw new SeccompProfileError(`'${what}' must be a list of strings`);
  return value;
}

/** `CAP_SYS_ADMIN` as CapabilityInfo names it: `SYS_ADMIN`. */
function capabilityName(name: string): string {
  return name.startsWith('CAP_') ? name.slice(4) : name;
}

/**
 * The ContainerSeccompProfile (launch info JSON) of a profile's text, for a
 * machine of `arch` (the profile's ARCH_* name). Throws SeccompProfileError.
 */
export function parseSeccompProfile(text: string, arch: string = nativeArchitecture()): JsonObject {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SeccompProfileError(`Failed to parse the Seccomp profile: ${(error as Error).message}`);
  }
  if (!isObject(json)) throw new SeccompProfileError('The Seccomp profile is not a JSON object');
  const defaultAction = mapped(ACTIONS, field(json, 'defaultAction', 'for the Seccomp configuration', isString), 'Seccomp action');
  const architectures: string[] = [];
  for (const entry of field(json, 'archMap', 'for the Seccomp configuration', isArray)) {
    if (!isObject(entry)) throw new SeccompProfileError("'archMap' contains a non-object item");
    const main = mapped(ARCHITECTURES, field(entry, 'architecture', "field for 'archMap' item", isString), 'architecture');
    if (main !== arch) continue;
    for (const sub of strings(entry['subArchitectures'], 'subArchitectures')) architectures.push(mapped(ARCHITECTURES, sub, 'architecture'));
    architectures.push(main);
  }
  const syscalls: JsonObject[] = [];
  for (const entry of field(json, 'syscalls', 'for the Seccomp configuration', isArray)) {
    if (!isObject(entry)) throw new SeccompProfileError("'syscalls' contains a non-object item");
    const rule: JsonObject = {};
    let applies = true;
    for (const [key, keep] of [['includes', true], ['excludes', false]] as const) {
      const filter = entry[key];
      if (filter === undefined) continue;
      if (!isObject(filter)) throw new SeccompProfileError(`'${key}' of a syscall must be an object`);
      if (filter['arches'] !== undefined) {
        const matched = strings(filter['arches'], 'arches').some((name) => mapped(FILTER_ARCHES, name, 'architecture') === arch);
        if (matched !== keep) applies = false;
      }
      const caps = strings(filter['caps'], 'caps');
      if (caps.length > 0) rule[key] = { capabilities: caps.map(capabilityName) };
    }
    const names = strings(field(entry, 'names', 'field for a syscall', isArray), 'names');
    if (names.length === 0) throw new SeccompProfileError("Syscall 'names' list is empty");
    const action = mapped(ACTIONS, field(entry, 'action', 'field for a syscall', isString), 'Seccomp action');
    const args = entry['args'] ?? [];
    if (!Array.isArray(args)) throw new SeccompProfileError("'args' of a syscall must be a list");
    const parsedArgs = args.map((arg): JsonObject => {
      if (!isObject(arg)) throw new SeccompProfileError("'args' contains a non-object item");
      return {
        index: field(arg, 'index', 'field for a syscall argument', isNumber),
        op: mapped(OPERATORS, field(arg, 'op', 'field for a syscall argument', isString), 'Seccomp operator'),
        value: field(arg, 'value', 'field for a syscall argument', isNumber),
        value_two: field(arg, 'valueTwo', 'field for a syscall argument', isNumber),
      };
    });
    if (!applies) continue;
    syscalls.push({ names, action, ...(parsedArgs.length === 0 ? {} : { args: parsedArgs }), ...rule });
  }
  return { default_action: defaultAction, architectures, syscalls };
}
