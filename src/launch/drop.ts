// The privilege drop of a task as data, and its encoding for the waiter
// (native/drop.h): launch decides it all on the host, the waiter carries it
// out in the task's own process right before the execve.
import type { ProcessCapabilities } from './capabilities';

export interface PrivilegeDrop {
  /** setrlimit calls, in order. */
  readonly rlimits: ReadonlyArray<{ readonly resource: number; readonly soft: bigint; readonly hard: bigint }>;
  /** setgid, setgroups, setuid. */
  readonly user?: { readonly uid: number; readonly gid: number; readonly groups: readonly number[] };
  /** The five sets the task ends with; none leaves them as they are. */
  readonly capabilities?: ProcessCapabilities;
  readonly noNewPrivileges: boolean;
  /** A BPF program (struct sock_filter instructions), installed last. */
  readonly seccompProgram?: Uint8Array;
  /** An fd the task's exec closes, written 'F' to when it never gets there. */
  readonly execNotifyFd?: number;
}

const MAGIC = 0x3150524d;
const USER = 0x1;
const CAPABILITIES = 0x2;
const NO_NEW_PRIVS = 0x4;
const HEADER_SIZE = 8 * 4 + 5 * 8;
const RLIMIT_SIZE = 24;
const INSTRUCTION_SIZE = 8;

/** struct drop and its arrays, in this machine's byte order. */
export function encodeDrop(drop: PrivilegeDrop): Uint8Array {
  const program = drop.seccompProgram ?? new Uint8Array(0);
  if (program.length % INSTRUCTION_SIZE !== 0) throw new Error('A seccomp program is made of 8-byte instructions');
  const groups = drop.user?.groups ?? [];
  const groupsSize = Math.ceil((groups.length * 4) / 8) * 8;
  const bytes = new Uint8Array(HEADER_SIZE + groupsSize + drop.rlimits.length * RLIMIT_SIZE + program.length);
  const view = new DataView(bytes.buffer);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  let offset = 0;
  const u32 = (value: number) => {
    view.setUint32(offset, value, little);
    offset += 4;
  };
  const u64 = (value: bigint) => {
    view.setBigUint64(offset, value, little);
    offset += 8;
  };
  const flags =
    (drop.user === undefined ? 0 : USER) |
    (drop.capabilities === undefined ? 0 : CAPABILITIES) |
    (drop.noNewPrivileges ? NO_NEW_PRIVS : 0);
  const sets = drop.capabilities ?? { effective: 0n, permitted: 0n, inheritable: 0n, bounding: 0n, ambient: 0n };
  u32(MAGIC);
  u32(flags);
  u32(drop.user?.uid ?? 0);
  u32(drop.user?.gid ?? 0);
  u32(groups.length);
  u32(drop.rlimits.length);
  u32(program.length / INSTRUCTION_SIZE);
  view.setInt32(offset, drop.execNotifyFd ?? -1, little);
  offset += 4;
  for (const set of [sets.effective, sets.permitted, sets.inheritable, sets.bounding, sets.ambient]) u64(set);
  for (const gid of groups) u32(gid);
  offset = HEADER_SIZE + groupsSize;
  for (const limit of drop.rlimits) {
    u32(limit.resource);
    u32(0);
    u64(limit.soft);
    u64(limit.hard);
  }
  bytes.set(program, offset);
  return bytes;
}
