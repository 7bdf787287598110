// launch's identity, capabilities, no_new_privileges and rlimits, for real
// (as root): side by side with runc on the same busybox rootfs, then on their
// own without a rootfs. Run `npm run build` first: these tests run
// bin/mesos-containerizer.
//
// This machine's root has every capability but CAP_SYS_RESOURCE, so limits
// can be lowered but a finite hard limit can't be raised.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPABILITIES, RLIMITS, type RLimitName } from '../src/launch/launch-info';
import { hostBusybox, makeBusyboxRootfs } from './helpers/busybox-rootfs';
import { CONTAINERIZER, cleanEnv, isRoot, type Result } from './helpers/run';

const CLONE_NEWNS = 0x20000;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;

const haveUnshare = spawnSync('unshare', ['--version'], { stdio: 'ignore' }).status === 0;
const haveRunc = spawnSync('runc', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = !isRoot ? 'needs root' : !haveUnshare ? 'needs unshare(1)' : false;
const skipRootfs = skip || (hostBusybox() === undefined ? 'needs busybox-static' : false);
const skipRunc = skipRootfs || (!haveRunc ? 'needs runc' : false);

// ------------------------------------------------------- what the task sees

/** The fields of /proc/self/status compared here. */
const STATUS_FIELDS = ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp'];

/** The rows of /proc/self/limits, by Mesos's names. */
const LIMIT_ROWS: Record<RLimitName, string> = {
  RLMT_CPU: 'Max cpu time',
  RLMT_FSIZE: 'Max file size',
  RLMT_DATA: 'Max data size',
  RLMT_STACK: 'Max stack size',
  RLMT_CORE: 'Max core file size',
  RLMT_RSS: 'Max resident set',
  RLMT_NPROC: 'Max processes',
  RLMT_NOFILE: 'Max open files',
  RLMT_MEMLOCK: 'Max locked memory',
  RLMT_AS: 'Max address space',
  RLMT_LOCKS: 'Max file locks',
  RLMT_SIGPENDING: 'Max pending signals',
  RLMT_MSGQUEUE: 'Max msgqueue size',
  RLMT_NICE: 'Max nice priority',
  RLMT_RTPRIO: 'Max realtime priority',
  RLMT_RTTIME: 'Max realtime timeout',
};

interface Seen {
  status: Map<string, string>;
  /** Row name to "soft hard", e.g. "100 200" or "unlimited unlimited". */
  limits: Map<string, string>;
}

/** Reads `cat /proc/self/status /proc/self/limits`. */
function parseSeen(text: string): Seen {
  const status = new Map<string, string>();
  const limits = new Map<string, string>();
  for (const line of text.split('\n')) {
    const row = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (row !== null) {
      limits.set(row[1]!, `${row[2]} ${row[3]}`);
      continue;
    }
    const field = /^(\w+):\s*(.*)$/.exec(line);
    if (field !== null) status.set(field[1]!, field[2]!.trim().replace(/\s+/g, ' '));
  }
  // The kernel sorts the groups; keep the comparison independent of it anyway.
  const groups = status.get('Groups');
  if (groups !== undefined) {
    status.set('Groups', groups.split(' ').filter((g) => g !== '').map(Number).sort((a, b) => a - b).join(' '));
  }
  return { status, limits };
}

const READ_SELF = ['cat', '/proc/self/status', '/proc/self/limits'];

// -------------------------------------------------------------- the host

function ownLimits(): Map<string, { soft: bigint | 'unlimited'; hard: bigint | 'unlimited' }> {
  const limits = new Map<string, { soft: bigint | 'unlimited'; hard: bigint | 'unlimited' }>();
  for (const [row, value] of parseSeen(readFileSync('/proc/self/limits', 'utf8')).limits) {
    const [soft, hard] = value.split(' ') as [string, string];
    limits.set(row, {
      soft: soft === 'unlimited' ? 'unlimited' : BigInt(soft),
      hard: hard === 'unlimited' ? 'unlimited' : BigInt(hard),
    });
  }
  return limits;
}

function ownCapabilities(field: 'CapPrm' | 'CapEff' | 'CapBnd'): bigint {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${field}:`));
  return BigInt(`0x${line!.split(/\s+/)[1]}`);
}

const CAP_SYS_RESOURCE = CAPABILITIES.SYS_RESOURCE;
const haveSysResource = isRoot && ((ownCapabilities('CapEff') >> BigInt(CAP_SYS_RESOURCE)) & 1n) === 1n;

type CapabilityName = keyof typeof CAPABILITIES;

function mask(names: readonly CapabilityName[]): bigint {
  return names.reduce((bits, name) => bits | (1n << BigInt(CAPABILITIES[name])), 0n);
}

function hex(bits: bigint): string {
  return bits.toString(16).padStart(16, '0');
}

function namesOf(bits: bigint): CapabilityName[] {
  return (Object.keys(CAPABILITIES) as CapabilityName[]).filter((name) => ((bits >> BigInt(CAPABILITIES[name])) & 1n) === 1n);
}

/** getgrouplist(3) of a host user: what Mesos looks up before the root changes. */
function hostGroups(user: string): number[] {
  const result = spawnSync('id', ['-G', user], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`id -G ${user}: ${result.stderr}`);
  return result.stdout.trim().split(/\s+/).map(Number);
}

function hostUser(uid: number): { name: string; uid: number; gid: number } | undefined {
  const result = spawnSync('getent', ['passwd', String(uid)], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const [name, , , gid] = result.stdout.trim().split(':');
  return { name: name!, uid, gid: Number(gid) };
}

/**
 * A limit lowered from the test process's own (which the helper inherits):
 * the preferred values, but never above the current hard limit.
 */
function lowered(type: RLimitName, soft: bigint, hard: bigint): { soft: bigint; hard: bigint } {
  const current = ownLimits().get(LIMIT_ROWS[type])!;
  const cap = (value: bigint) => (current.hard !== 'unlimited' && current.hard < value ? current.hard : value);
  const newHard = cap(hard);
  return { soft: soft < newHard ? soft : newHard, hard: newHard };
}

// -------------------------------------------------------------- launching

function runLaunch(info: Record<string, unknown>, wrap: readonly string[] = []): Result {
  const argv = [...wrap, CONTAINERIZER, 'launch', `--launch_info=${JSON.stringify(info)}`];
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000, env: cleanEnv() });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, signal: result.signal, stdout: String(result.stdout), stderr: String(result.stderr) };
}

function readSelfCommand(): Record<string, unknown> {
  return { shell: false, value: '/bin/cat', arguments: READ_SELF };
}

interface RuncProcess {
  user: { uid: number; gid: number; additionalGids?: number[] };
  capabilities: Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', CapabilityName[]>;
  noNewPrivileges: boolean;
  rlimits: Array<{ type: RLimitName; soft: bigint; hard: bigint }>;
}

/** `runc run` of READ_SELF in `rootfs`, from `runc spec` changed as little as it takes. */
function runcRun(t: Test, rootfs: string, process: RuncProcess): Result {
  const bundle = mkdtempSync(join(tmpdir(), 'launch-runc-bundle-'));
  const state = mkdtempSync(join(tmpdir(), 'launch-runc-state-'));
  const id = `launch-cmp-${randomBytes(6).toString('hex')}`;
  t.teardown(() => {
    spawnSync('runc', ['--root', state, 'delete', '--force', id], { stdio: 'ignore' });
    rmSync(bundle, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  });
  const spec = spawnSync('runc', ['spec', '--bundle', bundle], { encoding: 'utf8' });
  if (spec.status !== 0) throw new Error(`runc spec: ${spec.stderr}`);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  config.root = { path: rootfs, readonly: false };
  config.process.terminal = false;
  config.process.args = READ_SELF;
  config.process.cwd = '/';
  config.process.user = process.user;
  config.process.capabilities = Object.fromEntries(
    Object.entries(process.capabilities).map(([set, names]) => [set, names.map((name) => `CAP_${name}`)]),
  );
  config.process.noNewPrivileges = process.noNewPrivileges;
  config.process.rlimits = process.rlimits.map(({ type, soft, hard }) => ({
    type: type.replace('RLMT_', 'RLIMIT_'),
    soft: Number(soft),
    hard: Number(hard),
  }));
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  const result = spawnSync('runc', ['--root', state, 'run', '--bundle', bundle, id], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, signal: result.signal, stdout: String(result.stdout), stderr: String(result.stderr) };
}

// ------------------------------------------------- 1. side by side with runc

interface Comparison {
  name: string;
  /** A host user, looked up on the host as Mesos does; none means root. */
  user?: { name: string; uid: number; gid: number };
  supplementaryGroups: number[];
  effective?: CapabilityName[];
  bounding?: CapabilityName[];
  noNewPrivileges: boolean;
  rlimits: Array<{ type: RLimitName; soft: bigint; hard: bigint }>;
  /** runc's five sets, set to what Mesos computes just before the exec. */
  runcCapabilities: RuncProcess['capabilities'];
  /** What the kernel leaves after the exec: CapInh, CapPrm, CapEff, CapBnd, CapAmb. */
  expected: [bigint, bigint, bigint, bigint, bigint];
}

function comparisons(): Comparison[] {
  const nobody = hostUser(65534);
  const uid1000 = hostUser(1000);
  const rootPermitted = namesOf(ownCapabilities('CapPrm'));
  const limits = [
    { type: 'RLMT_NOFILE' as const, ...lowered('RLMT_NOFILE', 100n, 200n) },
    { type: 'RLMT_NPROC' as const, ...lowered('RLMT_NPROC', 4000n, 5000n) },
    { type: 'RLMT_CORE' as const, ...lowered('RLMT_CORE', 1024n, 2048n) },
  ];
  const cases: Comparison[] = [];
  const effective: CapabilityName[] = ['CHOWN', 'SETUID', 'SETGID', 'NET_BIND_SERVICE', 'NET_RAW'];
  const bounding: CapabilityName[] = ['CHOWN', 'KILL', 'NET_RAW', 'SYS_CHROOT'];
  if (nobody !== undefined) {
    // An effective set goes into all five sets, ambient included; with
    // PR_SET_KEEPCAPS across setuid, a non-root task keeps it through the
    // exec through the ambient set. runc gets the same set five times.
    cases.push({
      name: 'effective set, user nobody with supplementary groups, no_new_privileges',
      user: nobody,
      supplementaryGroups: [1000, 2000],
      effective,
      noNewPrivileges: true,
      rlimits: limits,
      runcCapabilities: { bounding: effective, effective, permitted: effective, inheritable: effective, ambient: effective },
      expected: [mask(effective), mask(effective), mask(effective), mask(effective), mask(effective)],
    });
    // A bounding set alone: Mesos sets the bounding set and makes the
    // inheritable set follow it (runc would keep its own inheritable set, so
    // it is given the bounding set). The effective and permitted sets are
    // what is left after setuid with KEEPCAPS: root's permitted set, and an
    // effective set of just SETPCAP (re-added to change the bounding set);
    // no ambient set. A non-root exec without file capabilities keeps none
    // of them.
    cases.push({
      name: 'bounding set, user nobody with supplementary groups',
      user: nobody,
      supplementaryGroups: [4242],
      bounding,
      noNewPrivileges: false,
      rlimits: limits,
      runcCapabilities: {
        bounding,
        inheritable: bounding,
        permitted: rootPermitted,
        effective: ['SETPCAP'],
        ambient: [],
      },
      expected: [mask(bounding), 0n, 0n, mask(bounding), 0n],
    });
  }
  // A bounding set, staying root: Mesos leaves root's effective and permitted
  // sets; the exec as root gives permitted = effective = inheritable |
  // bounding = the bounding set.
  cases.push({
    name: 'bounding set, root, no_new_privileges',
    supplementaryGroups: [],
    bounding,
    noNewPrivileges: true,
    rlimits: limits,
    runcCapabilities: {
      bounding,
      inheritable: bounding,
      permitted: rootPermitted,
      effective: rootPermitted,
      ambient: [],
    },
    expected: [mask(bounding), mask(bounding), mask(bounding), mask(bounding), 0n],
  });
  if (uid1000 !== undefined) {
    // Another identity, with the groups the host's databases give it.
    const kill: CapabilityName[] = ['KILL'];
    cases.push({
      name: `effective set, user ${uid1000.name} (uid 1000)`,
      user: uid1000,
      supplementaryGroups: [],
      effective: kill,
      noNewPrivileges: false,
      rlimits: [limits[0]!],
      runcCapabilities: { bounding: kill, effective: kill, permitted: kill, inheritable: kill, ambient: kill },
      expected: [mask(kill), mask(kill), mask(kill), mask(kill), mask(kill)],
    });
  }
  return cases;
}

t.test('identity, capabilities, no_new_privileges and rlimits match runc', { skip: skipRunc }, async (t) => {
  const rootfs = makeBusyboxRootfs();
  t.teardown(() => rootfs.cleanup());
  const r = rootfs.path;
  for (const comparison of comparisons()) {
    await t.test(comparison.name, async (t) => {
      const info: Record<string, unknown> = {
        command: readSelfCommand(),
        rootfs: r,
        clone_namespaces: [CLONE_NEWNS],
        mounts: [{ source: 'proc', target: `${r}/proc`, type: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC }],
        rlimits: {
          rlimits: comparison.rlimits.map(({ type, soft, hard }) => ({ type, soft: Number(soft), hard: Number(hard) })),
        },
      };
      if (comparison.user !== undefined) info['user'] = comparison.user.name;
      if (comparison.supplementaryGroups.length > 0) info['supplementary_groups'] = comparison.supplementaryGroups;
      if (comparison.effective !== undefined) info['effective_capabilities'] = { capabilities: comparison.effective };
      if (comparison.bounding !== undefined) info['bounding_capabilities'] = { capabilities: comparison.bounding };
      if (comparison.noNewPrivileges) info['no_new_privileges'] = true;
      const ours = runLaunch(info, ['unshare', '-p', '-f', '--kill-child', 'unshare', '-m', '--']);
      t.equal(ours.code, 0, 'launch succeeds', { stderr: ours.stderr });

      const uid = comparison.user?.uid ?? 0;
      const gid = comparison.user?.gid ?? 0;
      // Mesos: getgrouplist on the host, then supplementary_groups.
      const groups = comparison.user === undefined ? [] : [...hostGroups(comparison.user.name), ...comparison.supplementaryGroups];
      const runc = runcRun(t, r, {
        user: { uid, gid, ...(groups.length > 0 ? { additionalGids: groups } : {}) },
        capabilities: comparison.runcCapabilities,
        noNewPrivileges: comparison.noNewPrivileges,
        rlimits: comparison.rlimits,
      });
      t.equal(runc.code, 0, 'runc succeeds', { stderr: runc.stderr });

      const a = parseSeen(ours.stdout);
      const b = parseSeen(runc.stdout);
      for (const field of STATUS_FIELDS) {
        t.equal(a.status.get(field), b.status.get(field), `${field}: launch ${a.status.get(field)}, runc ${b.status.get(field)}`);
      }
      for (const { type } of comparison.rlimits) {
        const row = LIMIT_ROWS[type];
        t.equal(a.limits.get(row), b.limits.get(row), `${row}: launch ${a.limits.get(row)}, runc ${b.limits.get(row)}`);
      }

      // And both are what was asked for, so that agreeing on a mistake fails too.
      const [inh, prm, eff, bnd, amb] = comparison.expected;
      t.same(
        STATUS_FIELDS.map((field) => a.status.get(field)),
        [
          `${uid} ${uid} ${uid} ${uid}`,
          `${gid} ${gid} ${gid} ${gid}`,
          [...new Set(groups)].sort((x, y) => x - y).join(' '),
          hex(inh),
          hex(prm),
          hex(eff),
          hex(bnd),
          hex(amb),
          comparison.noNewPrivileges ? '1' : '0',
          '0',
        ],
        'the fields are the expected ones',
      );
      for (const { type, soft, hard } of comparison.rlimits) {
        t.equal(a.limits.get(LIMIT_ROWS[type]), `${soft} ${hard}`, `${type} is ${soft}/${hard}`);
      }
    });
  }
});

// ------------------------------------------------------------- 9. rlimits

/** Values below any sane hard limit, that a Node process and `cat` live with. */
const PREFERRED: Record<RLimitName, [bigint, bigint]> = {
  RLMT_CPU: [3600n, 7200n],
  RLMT_FSIZE: [1n << 30n, 1n << 31n],
  RLMT_DATA: [16n << 30n, 32n << 30n],
  RLMT_STACK: [4n << 20n, 8n << 20n],
  RLMT_CORE: [1024n, 2048n],
  RLMT_RSS: [1n << 30n, 1n << 31n],
  RLMT_NPROC: [4000n, 5000n],
  RLMT_NOFILE: [100n, 200n],
  RLMT_MEMLOCK: [65536n, 131072n],
  RLMT_AS: [32n << 30n, 64n << 30n],
  RLMT_LOCKS: [100n, 200n],
  RLMT_SIGPENDING: [1000n, 2000n],
  RLMT_MSGQUEUE: [4096n, 8192n],
  RLMT_NICE: [0n, 0n],
  RLMT_RTPRIO: [0n, 0n],
  RLMT_RTTIME: [1_000_000n, 2_000_000n],
};

t.test('every rlimit Mesos lists, lowered, lands', { skip }, async (t) => {
  t.same(Object.keys(PREFERRED).sort(), Object.keys(RLIMITS).sort(), 'every RLMT_ type of RLimitInfo is here');
  const limits = (Object.keys(PREFERRED) as RLimitName[]).map((type) => ({
    type,
    ...lowered(type, PREFERRED[type][0], PREFERRED[type][1]),
  }));
  const result = runLaunch({
    command: { shell: false, value: '/bin/cat', arguments: ['cat', '/proc/self/limits'] },
    rlimits: { rlimits: limits.map(({ type, soft, hard }) => ({ type, soft: Number(soft), hard: Number(hard) })) },
  });
  t.equal(result.code, 0, 'launch succeeds', { stderr: result.stderr });
  t.equal(result.stderr, '', 'nothing on stderr');
  const seen = parseSeen(result.stdout).limits;
  for (const { type, soft, hard } of limits) {
    t.equal(seen.get(LIMIT_ROWS[type]), `${soft} ${hard}`, `${type} is ${soft}/${hard}`);
  }
});

t.test('an rlimit with neither soft nor hard asks for unlimited', { skip }, async (t) => {
  // Raising a finite hard limit takes CAP_SYS_RESOURCE; without it setrlimit
  // fails with EPERM, and Mesos prints strerror after its own words.
  for (const type of Object.keys(RLIMITS) as RLimitName[]) {
    const current = ownLimits().get(LIMIT_ROWS[type])!;
    const result = runLaunch({
      command: { shell: false, value: '/bin/cat', arguments: ['cat', '/proc/self/limits'] },
      rlimits: { rlimits: [{ type }] },
    });
    if (current.hard === 'unlimited' || haveSysResource) {
      t.equal(result.code, 0, `${type}: launch succeeds`, { stderr: result.stderr });
      t.equal(parseSeen(result.stdout).limits.get(LIMIT_ROWS[type]), 'unlimited unlimited', `${type}: unlimited`);
    } else {
      t.equal(result.code, 1, `${type}: the hard limit ${current.hard} can't be raised`);
      t.equal(result.stdout, '', `${type}: the task did not run`);
      t.equal(result.stderr, `Failed to set ${type} limit: Operation not permitted\n`, `${type}: one line, as Mesos's`);
    }
  }
});

t.test('an rlimit with only one of soft and hard is refused', { skip }, async (t) => {
  for (const given of [{ soft: 10 }, { hard: 10 }]) {
    const result = runLaunch({
      command: { shell: false, value: '/bin/cat', arguments: ['cat', '/proc/self/limits'] },
      rlimits: { rlimits: [{ type: 'RLMT_NOFILE', ...given }] },
    });
    const what = JSON.stringify(given);
    t.equal(result.code, 1, `${what}: exit 1`);
    t.equal(result.stdout, '', `${what}: the task did not run`);
    t.equal(result.stderr.split('\n').length, 2, `${what}: one line`, { stderr: result.stderr });
    t.match(result.stderr, /^Failed to parse launch info: .*Invalid rlimit values/, `${what}: Invalid rlimit values`);
  }
});

// -------------------------------------------- 10. capabilities, no rootfs

t.test('capabilities without a rootfs', { skip }, async (t) => {
  const nobody = hostUser(65534);
  const set: CapabilityName[] = ['CHOWN', 'NET_RAW'];
  const wider: CapabilityName[] = ['CHOWN', 'KILL', 'NET_RAW'];
  const cases: Array<{
    name: string;
    info: Record<string, unknown>;
    uid: number;
    /** CapInh, CapPrm, CapEff, CapBnd, CapAmb, NoNewPrivs */
    expected: [bigint, bigint, bigint, bigint, bigint, string];
  }> = [
    {
      name: 'an effective set lands in all five sets',
      info: { effective_capabilities: { capabilities: set } },
      uid: 0,
      expected: [mask(set), mask(set), mask(set), mask(set), mask(set), '0'],
    },
    {
      // Root's exec: permitted = effective = inheritable | bounding.
      name: 'a bounding set alone sets bounding and inheritable',
      info: { bounding_capabilities: { capabilities: set } },
      uid: 0,
      expected: [mask(set), mask(set), mask(set), mask(set), 0n, '0'],
    },
    {
      // The bounding set wins over the effective one for bounding (and so
      // inheritable); the exec as root gains the rest of the bounding set.
      name: 'a bounding set with an effective set',
      info: { effective_capabilities: { capabilities: set }, bounding_capabilities: { capabilities: wider } },
      uid: 0,
      expected: [mask(wider), mask(wider), mask(wider), mask(wider), mask(set), '0'],
    },
    {
      // With no_new_privileges the exec gains nothing beyond the permitted set.
      name: 'no_new_privileges sets NoNewPrivs and caps what the exec gains',
      info: {
        effective_capabilities: { capabilities: set },
        bounding_capabilities: { capabilities: wider },
        no_new_privileges: true,
      },
      uid: 0,
      expected: [mask(wider), mask(set), mask(set), mask(wider), mask(set), '1'],
    },
    {
      name: 'no_new_privileges false leaves NoNewPrivs 0',
      info: { no_new_privileges: false },
      uid: 0,
      expected: [0n, ownCapabilities('CapPrm'), ownCapabilities('CapPrm'), ownCapabilities('CapBnd'), 0n, '0'],
    },
  ];
  if (nobody !== undefined) {
    cases.push(
      {
        name: 'an effective set is kept across the switch to user nobody',
        info: { effective_capabilities: { capabilities: set }, user: 'nobody', no_new_privileges: true },
        uid: 65534,
        expected: [mask(set), mask(set), mask(set), mask(set), mask(set), '1'],
      },
      {
        name: 'a bounding set alone, as user nobody, leaves nothing to use',
        info: { bounding_capabilities: { capabilities: set }, user: 'nobody' },
        uid: 65534,
        expected: [mask(set), 0n, 0n, mask(set), 0n, '0'],
      },
      {
        name: 'user nobody without capabilities has none',
        info: { user: 'nobody' },
        uid: 65534,
        expected: [0n, 0n, 0n, ownCapabilities('CapBnd'), 0n, '0'],
      },
    );
  }
  for (const { name, info, uid, expected } of cases) {
    const result = runLaunch({ command: readSelfCommand(), ...info });
    t.equal(result.code, 0, `${name}: launch succeeds`, { stderr: result.stderr });
    const seen = parseSeen(result.stdout).status;
    const [inh, prm, eff, bnd, amb, nnp] = expected;
    t.same(
      ['Uid', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'].map((field) => seen.get(field)),
      [`${uid} ${uid} ${uid} ${uid}`, hex(inh), hex(prm), hex(eff), hex(bnd), hex(amb), nnp],
      name,
    );
  }
});
