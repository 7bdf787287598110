// `ContainerLaunchInfo.seccomp_profile`: the profile, turned into
// libseccomp's numbers as Mesos's launcher does it (src/linux/seccomp/
// seccomp.cpp there) and compiled to a BPF program while the launcher still
// sees the host's files; the waiter installs it right before the task's
// execve (native/waiter.c).
import * as libc from '../../native/libc';
import type {
  SeccompAction,
  SeccompArchitecture,
  SeccompOperator,
  SeccompProfile,
  SeccompSyscall,
} from './launch-info';

const EPERM = 1;

/**
 * libseccomp's action for each profile action. ACT_ERRNO fails the call
 * with EPERM; ACT_TRACE hands it to a ptrace tracer with message 1 (EPERM's
 * number), and fails it with ENOSYS when there is none; ACT_KILL is
 * SCMP_ACT_KILL_PROCESS: the whole process dies of SIGSYS. (Mesos uses
 * SCMP_ACT_KILL, which kills only the calling thread: a threaded task would
 * be left running without it, or hanging on it.)
 */
export const SECCOMP_ACTION_VALUES: Readonly<Record<SeccompAction, number>> = {
  ACT_KILL: 0x80000000,
  ACT_TRAP: 0x00030000,
  ACT_ERRNO: 0x00050000 | EPERM,
  ACT_TRACE: 0x7ff00000 | EPERM,
  ACT_ALLOW: 0x7fff0000,
};

// An architecture's token is the kernel's AUDIT_ARCH_* value: its ELF
// machine number plus flags for a 64-bit ABI, little-endian, MIPS n32.
const ABI_64 = 0x80000000;
const LITTLE_ENDIAN = 0x40000000;
const MIPS_N32 = 0x20000000;
const EM_386 = 3;
const EM_MIPS = 8;
const EM_PPC = 20;
const EM_PPC64 = 21;
const EM_S390 = 22;
const EM_ARM = 40;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

const token = (...parts: number[]): number => parts.reduce((sum, part) => sum + part, 0);

/** libseccomp's SCMP_ARCH_* token for each profile architecture. */
export const SECCOMP_ARCHITECTURE_TOKENS: Readonly<Record<SeccompArchitecture, number>> = {
  ARCH_X86: token(EM_386, LITTLE_ENDIAN),
  ARCH_X86_64: token(EM_X86_64, ABI_64, LITTLE_ENDIAN),
  ARCH_X32: token(EM_X86_64, LITTLE_ENDIAN),
  ARCH_ARM: token(EM_ARM, LITTLE_ENDIAN),
  ARCH_AARCH64: token(EM_AARCH64, ABI_64, LITTLE_ENDIAN),
  ARCH_MIPS: token(EM_MIPS),
  ARCH_MIPSEL: token(EM_MIPS, LITTLE_ENDIAN),
  ARCH_MIPS64: token(EM_MIPS, ABI_64),
  ARCH_MIPSEL64: token(EM_MIPS, ABI_64, LITTLE_ENDIAN),
  ARCH_MIPS64N32: token(EM_MIPS, ABI_64, MIPS_N32),
  ARCH_MIPSEL64N32: token(EM_MIPS, ABI_64, MIPS_N32, LITTLE_ENDIAN),
  ARCH_PPC: token(EM_PPC),
  ARCH_PPC64: token(EM_PPC64, ABI_64),
  ARCH_PPC64LE: token(EM_PPC64, ABI_64, LITTLE_ENDIAN),
  ARCH_S390: token(EM_S390),
  ARCH_S390X: token(EM_S390, ABI_64),
};

/** libseccomp's SCMP_CMP_* value for each operator: the proto's numbering. */
export const SECCOMP_OPERATOR_VALUES: Readonly<Record<SeccompOperator, number>> = {
  CMP_NE: 1,
  CMP_LT: 2,
  CMP_LE: 3,
  CMP_EQ: 4,
  CMP_GE: 5,
  CMP_GT: 6,
  CMP_MASKED_EQ: 7,
};

/**
 * The capability sets the task will end up with, as masks (bit N is
 * capability N), e.g. a ProcessCapabilities from ./capabilities.ts. Only the
 * bounding set matters here.
 */
export interface SeccompCapabilities {
  readonly bounding: bigint;
}

const holds = (bounding: bigint, capability: number): boolean => ((bounding >> BigInt(capability)) & 1n) === 1n;

/**
 * Whether a rule applies to a task with this bounding set: every capability
 * in `includes` is in it, and none in `excludes` is. An absent or empty list
 * doesn't filter.
 */
export function ruleApplies(syscall: SeccompSyscall, bounding: bigint): boolean {
  if (syscall.includes !== undefined && !syscall.includes.every((capability) => holds(bounding, capability))) {
    return false;
  }
  if (syscall.excludes !== undefined && syscall.excludes.some((capability) => holds(bounding, capability))) {
    return false;
  }
  return true;
}

/** A profile in libseccomp's numbers: one rule per syscall name, in order. */
export interface SeccompFilter {
  defaultAction: number;
  architectures: number[];
  rules: libc.SeccompRule[];
  /** For messages: the profile's action of each rule. */
  ruleActions: SeccompAction[];
}

/**
 * Turns a profile into libseccomp's numbers, leaving out the rules whose
 * includes/excludes the task's bounding set (a mask) doesn't satisfy.
 */
export function compileSeccompProfile(profile: SeccompProfile, bounding: bigint): SeccompFilter {
  const filter: SeccompFilter = {
    defaultAction: SECCOMP_ACTION_VALUES[profile.defaultAction],
    architectures: profile.architectures.map((architecture) => SECCOMP_ARCHITECTURE_TOKENS[architecture]),
    rules: [],
    ruleActions: [],
  };
  for (const syscall of profile.syscalls) {
    if (!ruleApplies(syscall, bounding)) continue;
    const comparisons = syscall.args.map((arg) => ({
      index: arg.index,
      op: SECCOMP_OPERATOR_VALUES[arg.op],
      value: arg.value,
      valueTwo: arg.valueTwo,
    }));
    for (const name of syscall.names) {
      filter.rules.push({ name, action: SECCOMP_ACTION_VALUES[syscall.action], comparisons });
      filter.ruleActions.push(syscall.action);
    }
  }
  return filter;
}

/** A profile that could not be applied; the message is the whole line to print. */
export class SeccompError extends Error {}

/** The line for a failure of libc.seccompExport, in Mesos's words where it has some. */
export function seccompFailureLine(
  failure: libc.SeccompFailure,
  profile: SeccompProfile,
  filter: SeccompFilter,
): string {
  const create = 'Failed to create Seccomp filter: ';
  const reason = failure.reason;
  switch (failure.stage) {
    case 'library':
      return `${create}libseccomp.so.2 is not available: ${reason}`;
    case 'init':
      return `${create}Failed to initialize Seccomp filter: ${reason}`;
    case 'architecture':
      return `${create}Failed to add Seccomp architecture '${profile.architectures[failure.index]}': ${reason}`;
    case 'name':
      return `${create}Unrecognized syscall '${filter.rules[failure.index]?.name}'`;
    case 'rule': {
      const action = filter.ruleActions[failure.index];
      // libseccomp refuses a rule that would change nothing with EACCES.
      const why =
        action === profile.defaultAction && failure.errno === 13
          ? `${reason} (the profile's default action is ${action} too)`
          : reason;
      return `${create}Failed to add rule for syscall '${filter.rules[failure.index]?.name}' with action '${action}': ${why}`;
    }
    case 'export':
      return `${create}Failed to export the BPF program: ${reason}`;
  }
}

/**
 * Compiles a `seccomp_profile` to the BPF program the waiter installs for
 * the task. Call it before the root changes: libseccomp is loaded from the
 * host, never from an image (whose own libseccomp.so.2 would run as root in
 * the launcher).
 *
 * `capabilities` are the sets the task will end up with (what Mesos's
 * launcher computes from effective_capabilities and bounding_capabilities:
 * taskCapabilities in ./capabilities.ts). Their bounding set decides which
 * rules apply: a rule with `includes` is kept only when it holds all of
 * them, one with `excludes` only when it holds none.
 *
 * Throws a SeccompError whose message is the complete line to print
 * ("Failed to create Seccomp filter: Unrecognized syscall 'x'"): report it
 * as it is, without another prefix.
 */
export function seccompProgram(profile: SeccompProfile, capabilities: SeccompCapabilities): Uint8Array {
  const filter = compileSeccompProfile(profile, capabilities.bounding);
  try {
    return libc.seccompExport(filter.defaultAction, filter.architectures, filter.rules);
  } catch (error) {
    if (error instanceof libc.SeccompFailure) throw new SeccompError(seccompFailureLine(error, profile, filter));
    throw new SeccompError(`Failed to create Seccomp filter: ${(error as Error).message}`);
  }
}
