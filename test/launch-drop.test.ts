// The task's privilege drop as data: the capability sets Mesos's launcher
// would leave the task with, and the bytes the waiter reads (native/drop.h).
// No root needed.
import t from 'tap';
import { taskCapabilities, type ProcessCapabilities } from '../src/launch/capabilities';
import { encodeDrop } from '../src/launch/drop';

const ALL = (1n << 41n) - 1n;
const bit = (capability: number): bigint => 1n << BigInt(capability);
const CHOWN = 0;
const SETPCAP = 8;
const NET_RAW = 13;
const SYS_ADMIN = 21;
const root: ProcessCapabilities = { effective: ALL, permitted: ALL, inheritable: 0n, bounding: ALL, ambient: 0n };

t.test('taskCapabilities', async (t) => {
  t.test('an effective set lands in all five sets', async (t) => {
    const sets = taskCapabilities(root, true, [CHOWN, NET_RAW], undefined);
    const mask = bit(CHOWN) | bit(NET_RAW);
    t.same(sets, { effective: mask, permitted: mask, inheritable: mask, bounding: mask, ambient: mask });
  });

  t.test('a bounding set alone: after a uid change the task keeps SETPCAP effective and its permitted set, as in Mesos', async (t) => {
    const sets = taskCapabilities(root, true, undefined, [CHOWN]);
    t.same(sets, { effective: bit(SETPCAP), permitted: ALL, inheritable: bit(CHOWN), bounding: bit(CHOWN), ambient: 0n });
  });

  t.test('a bounding set alone, no uid change: the effective set stays', async (t) => {
    const sets = taskCapabilities(root, false, undefined, [CHOWN, SYS_ADMIN]);
    const mask = bit(CHOWN) | bit(SYS_ADMIN);
    t.same(sets, { effective: ALL, permitted: ALL, inheritable: mask, bounding: mask, ambient: 0n });
  });

  t.test('both: the bounding set wins for bounding and inheritable', async (t) => {
    const sets = taskCapabilities(root, false, [CHOWN, NET_RAW], [CHOWN]);
    const effective = bit(CHOWN) | bit(NET_RAW);
    t.same(sets, { effective, permitted: effective, inheritable: bit(CHOWN), bounding: bit(CHOWN), ambient: effective });
  });
});

t.test('encodeDrop: struct drop and its arrays, in this machine byte order', async (t) => {
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const program = new Uint8Array(16).map((_, index) => index + 1);
  const bytes = encodeDrop({
    rlimits: [{ resource: 7, soft: 100n, hard: 200n }],
    user: { uid: 65534, gid: 65533, groups: [1, 2, 3] },
    capabilities: { effective: 1n, permitted: 2n, inheritable: 3n, bounding: 4n, ambient: 5n },
    noNewPrivileges: true,
    seccompProgram: program,
    execNotifyFd: 9,
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (offset: number) => view.getUint32(offset, little);
  const u64 = (offset: number) => view.getBigUint64(offset, little);
  const header = 72;
  const groups = 16; // three gids, padded to 8 bytes
  t.equal(bytes.length, header + groups + 24 + 16);
  t.same(
    [u32(0), u32(4), u32(8), u32(12), u32(16), u32(20), u32(24)],
    [0x3150524d, 0x7, 65534, 65533, 3, 1, 2],
    'magic, flags (user, capabilities, no_new_privs), ids, counts',
  );
  t.equal(view.getInt32(28, little), 9, 'the exec notification fd');
  t.same([u64(32), u64(40), u64(48), u64(56), u64(64)], [1n, 2n, 3n, 4n, 5n], 'effective, permitted, inheritable, bounding, ambient');
  t.same([u32(header), u32(header + 4), u32(header + 8)], [1, 2, 3], 'the groups');
  t.same([u32(header + groups), u64(header + groups + 8), u64(header + groups + 16)], [7, 100n, 200n], 'the rlimit');
  t.same([...bytes.slice(header + groups + 24)], [...program], 'the program, last');

  const nothing = encodeDrop({ rlimits: [], noNewPrivileges: false });
  t.equal(nothing.length, header, 'no arrays');
  t.equal(new DataView(nothing.buffer).getUint32(4, little), 0, 'no flags');
  t.equal(new DataView(nothing.buffer).getInt32(28, little), -1, 'no exec notification fd');

  t.throws(() => encodeDrop({ rlimits: [], noNewPrivileges: false, seccompProgram: new Uint8Array(5) }), /8-byte instructions/);
});
