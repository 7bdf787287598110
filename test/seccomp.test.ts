// seccomp_profile: the mapping to libseccomp's numbers, then real filters
// through launch (as root). Run `npm run build` first.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeccompFailure, type SeccompStage } from '../native/libc';
import { testDir } from './helpers/process';
import { CONTAINERIZER, cleanEnv, isRoot } from './helpers/run';
import { parseLaunchInfo, type SeccompProfile, type SeccompSyscall } from '../src/launch/launch-info';
import {
  SECCOMP_ACTION_VALUES,
  SECCOMP_ARCHITECTURE_TOKENS,
  SECCOMP_OPERATOR_VALUES,
  compileSeccompProfile,
  ruleApplies,
  seccompFailureLine,
} from '../src/launch/seccomp';

const CAP_CHOWN = 0;
const CAP_NET_RAW = 13;
const CAP_SYS_ADMIN = 21;

const tempDir = (t: tap.Test): string => testDir(t, 'mc-seccomp-');

function rule(names: string[], action: SeccompSyscall['action'], extra: Partial<SeccompSyscall> = {}): SeccompSyscall {
  return { names, action, args: [], ...extra };
}

/** A capability set as a mask, bit N for capability N. */
const mask = (...capabilities: number[]): bigint =>
  capabilities.reduce((bits, capability) => bits | (1n << BigInt(capability)), 0n);
const ALL = (1n << 41n) - 1n;

t.test('libseccomp values', async (t) => {
  t.same(SECCOMP_ACTION_VALUES, {
    ACT_KILL: 0x80000000, // SCMP_ACT_KILL_PROCESS
    ACT_TRAP: 0x30000,
    ACT_ERRNO: 0x50001, // EPERM
    ACT_TRACE: 0x7ff00001,
    ACT_ALLOW: 0x7fff0000,
  });
  // The kernel's AUDIT_ARCH_* values (linux/audit.h).
  t.same(SECCOMP_ARCHITECTURE_TOKENS, {
    ARCH_X86: 0x40000003,
    ARCH_X86_64: 0xc000003e,
    ARCH_X32: 0x4000003e,
    ARCH_ARM: 0x40000028,
    ARCH_AARCH64: 0xc00000b7,
    ARCH_MIPS: 0x8,
    ARCH_MIPSEL: 0x40000008,
    ARCH_MIPS64: 0x80000008,
    ARCH_MIPSEL64: 0xc0000008,
    ARCH_MIPS64N32: 0xa0000008,
    ARCH_MIPSEL64N32: 0xe0000008,
    ARCH_PPC: 0x14,
    ARCH_PPC64: 0x80000015,
    ARCH_PPC64LE: 0xc0000015,
    ARCH_S390: 0x16,
    ARCH_S390X: 0x80000016,
  });
  t.same(Object.values(SECCOMP_OPERATOR_VALUES), [1, 2, 3, 4, 5, 6, 7]);
});

t.test('includes and excludes', async (t) => {
  const bounding = mask(CAP_CHOWN, CAP_SYS_ADMIN);
  t.ok(ruleApplies(rule(['mount'], 'ACT_ALLOW'), bounding), 'no filter');
  t.ok(ruleApplies(rule(['mount'], 'ACT_ALLOW', { includes: [CAP_SYS_ADMIN] }), bounding));
  t.ok(ruleApplies(rule(['mount'], 'ACT_ALLOW', { includes: [CAP_SYS_ADMIN, CAP_CHOWN] }), bounding));
  t.notOk(ruleApplies(rule(['mount'], 'ACT_ALLOW', { includes: [CAP_SYS_ADMIN, CAP_NET_RAW] }), bounding), 'all needed');
  t.ok(ruleApplies(rule(['mount'], 'ACT_ALLOW', { excludes: [CAP_NET_RAW] }), bounding));
  t.notOk(ruleApplies(rule(['mount'], 'ACT_ALLOW', { excludes: [CAP_NET_RAW, CAP_SYS_ADMIN] }), bounding), 'any one');
  t.notOk(ruleApplies(rule(['x'], 'ACT_ALLOW', { includes: [CAP_SYS_ADMIN], excludes: [CAP_CHOWN] }), bounding));
  t.ok(ruleApplies(rule(['x'], 'ACT_ALLOW', { includes: [], excludes: [] }), 0n), 'empty lists filter nothing');
});

t.test('compiling a profile', async (t) => {
  const profile: SeccompProfile = {
    defaultAction: 'ACT_ERRNO',
    architectures: ['ARCH_X86_64', 'ARCH_X86'],
    syscalls: [
      rule(['read', 'write'], 'ACT_ALLOW'),
      rule(['personality'], 'ACT_ALLOW', {
        args: [
          { index: 0, op: 'CMP_EQ', value: 0n, valueTwo: 0n },
          { index: 1, op: 'CMP_MASKED_EQ', value: 0xffffffffffffffffn, valueTwo: 8n },
        ],
      }),
      rule(['mount'], 'ACT_ALLOW', { includes: [CAP_SYS_ADMIN] }),
      rule(['ptrace'], 'ACT_KILL', { excludes: [CAP_SYS_ADMIN] }),
      rule(['kexec_load'], 'ACT_TRAP', { includes: [], excludes: [] }),
    ],
  };
  const withAdmin = compileSeccompProfile(profile, mask(CAP_SYS_ADMIN));
  t.equal(withAdmin.defaultAction, 0x50001);
  t.same(withAdmin.architectures, [0xc000003e, 0x40000003]);
  t.same(
    withAdmin.rules.map((r) => r.name),
    ['read', 'write', 'personality', 'mount', 'kexec_load'],
    'one rule per name, in order; ptrace excluded by CAP_SYS_ADMIN',
  );
  t.same(withAdmin.ruleActions, ['ACT_ALLOW', 'ACT_ALLOW', 'ACT_ALLOW', 'ACT_ALLOW', 'ACT_TRAP']);
  t.same(withAdmin.rules[2], {
    name: 'personality',
    action: 0x7fff0000,
    comparisons: [
      { index: 0, op: 4, value: 0n, valueTwo: 0n },
      { index: 1, op: 7, value: 0xffffffffffffffffn, valueTwo: 8n },
    ],
  });
  t.same(withAdmin.rules[4]!.action, 0x30000);

  const without = compileSeccompProfile(profile, mask(CAP_CHOWN));
  t.same(
    without.rules.map((r) => [r.name, r.action]),
    [
      ['read', 0x7fff0000],
      ['write', 0x7fff0000],
      ['personality', 0x7fff0000],
      ['ptrace', 0x80000000],
      ['kexec_load', 0x30000],
    ],
  );

  const plain: SeccompProfile = { defaultAction: 'ACT_ALLOW', architectures: [], syscalls: [rule(['mkdir'], 'ACT_ERRNO')] };
  t.same(compileSeccompProfile(plain, 0n).rules, [{ name: 'mkdir', action: 0x50001, comparisons: [] }]);
});

t.test('from launch_info JSON to a filter', async (t) => {
  const info = parseLaunchInfo({
    command: { value: 'true' },
    seccomp_profile: {
      default_action: 'ACT_ALLOW',
      architectures: ['ARCH_X86_64'],
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'ACT_ERRNO' },
        {
          names: ['personality'],
          action: 'ACT_KILL',
          args: [{ index: 0, op: 'CMP_EQ', value: 4294967295, value_two: 0 }],
          excludes: { capabilities: ['SYS_ADMIN'] },
        },
      ],
    },
    bounding_capabilities: { capabilities: ['CHOWN'] },
  });
  // The task's bounding set: bounding_capabilities (CHOWN), no SYS_ADMIN.
  const filter = compileSeccompProfile(info.seccompProfile!, mask(...info.boundingCapabilities!));
  t.same(filter.rules, [
    { name: 'mkdir', action: 0x50001, comparisons: [] },
    { name: 'mkdirat', action: 0x50001, comparisons: [] },
    { name: 'personality', action: 0x80000000, comparisons: [{ index: 0, op: 4, value: 0xffffffffn, valueTwo: 0n }] },
  ]);
});

t.test('failure lines', async (t) => {
  const profile: SeccompProfile = {
    defaultAction: 'ACT_ALLOW',
    architectures: ['ARCH_X86', 'ARCH_PPC64'],
    syscalls: [rule(['read'], 'ACT_ERRNO'), rule(['nosuch', 'write'], 'ACT_ALLOW')],
  };
  const filter = compileSeccompProfile(profile, ALL);
  const line = (stage: SeccompStage, index: number, errno: number, reason: string) =>
    seccompFailureLine(new SeccompFailure(stage, index, 'call', '', errno, reason), profile, filter);
  t.equal(
    line('library', 0, 0, 'libseccomp.so.2: cannot open shared object file: No such file or directory'),
    'Failed to create Seccomp filter: libseccomp.so.2 is not available: libseccomp.so.2: cannot open shared object file: No such file or directory',
  );
  t.equal(line('name', 1, 0, 'unknown syscall'), "Failed to create Seccomp filter: Unrecognized syscall 'nosuch'");
  t.equal(
    line('architecture', 1, 33, 'Numerical argument out of domain'),
    "Failed to create Seccomp filter: Failed to add Seccomp architecture 'ARCH_PPC64': Numerical argument out of domain",
  );
  t.equal(
    line('rule', 0, 22, 'Invalid argument'),
    "Failed to create Seccomp filter: Failed to add rule for syscall 'read' with action 'ACT_ERRNO': Invalid argument",
  );
  t.equal(
    line('rule', 2, 13, 'Permission denied'),
    "Failed to create Seccomp filter: Failed to add rule for syscall 'write' with action 'ACT_ALLOW': " +
      "Permission denied (the profile's default action is ACT_ALLOW too)",
  );
  t.equal(
    line('export', 0, 28, 'No space left on device'),
    'Failed to create Seccomp filter: Failed to export the BPF program: No space left on device',
  );
});

// ---------------------------------------------------------------------------
// Real filters, through `launch`: compiled on the host, installed by the
// waiter right before the task's execve.

/** A profile as launch_info's JSON (the proto's field names). */
type ProfileJson = Record<string, unknown>;

interface Launched {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  status?: string;
}

t.test('filters through launch', { skip: isRoot ? false : 'needs root' }, async (t) => {
  const work = tempDir(t);
  let runs = 0;
  /** `launch` of `sh -c script` with `profile`, and more of launch_info; the status with a runtime directory. */
  function launch(profile: ProfileJson, script: string, extra: Record<string, unknown> = {}, withStatus = false): Launched {
    const info = { command: { value: script }, seccomp_profile: profile, ...extra };
    const runtime = join(work, `run-${runs++}`);
    const flags = [`--launch_info=${JSON.stringify(info)}`];
    if (withStatus) {
      mkdirSync(runtime);
      flags.push(`--runtime_directory=${runtime}`);
    }
    const result = spawnSync(CONTAINERIZER, ['launch', ...flags], { encoding: 'utf8', timeout: 20_000, env: cleanEnv() });
    if (result.error !== undefined) throw result.error;
    const launched: Launched = { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
    if (withStatus) launched.status = readFileSync(join(runtime, 'status'), 'utf8');
    return launched;
  }
  const denyMkdir: ProfileJson = {
    default_action: 'ACT_ALLOW',
    architectures: ['ARCH_X86_64', 'ARCH_X86', 'ARCH_X32', 'ARCH_AARCH64', 'ARCH_ARM'],
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'ACT_ERRNO' }],
  };
  const withAction = (action: string): ProfileJson => ({ ...denyMkdir, syscalls: [{ names: ['mkdir', 'mkdirat'], action }] });

  t.test('ACT_ERRNO fails the call with EPERM; other calls work', async (t) => {
    const result = launch(denyMkdir, `mkdir ${work}/a; echo mkdir=$?; echo x > ${work}/file && cat ${work}/file && rm ${work}/file && echo rest=ok`);
    t.equal(result.code, 0);
    t.match(result.stderr, /Operation not permitted/);
    t.equal(result.stdout, 'mkdir=1\nx\nrest=ok\n');
    t.notOk(existsSync(join(work, 'a')));
  });

  t.test('ACT_KILL kills the task with SIGSYS', async (t) => {
    const result = launch(withAction('ACT_KILL'), `exec mkdir ${work}/c`, {}, true);
    t.equal(result.code, 0, 'the waiter wrote the status');
    t.equal(result.status, '31', 'killed by SIGSYS');
    t.notOk(existsSync(join(work, 'c')));
  });

  t.test('ACT_TRAP sends SIGSYS too', async (t) => {
    const result = launch(withAction('ACT_TRAP'), `exec mkdir ${work}/d`, {}, true);
    t.equal(result.status, '31');
  });

  t.test('ACT_TRACE without a tracer fails the call with ENOSYS', async (t) => {
    const result = launch(withAction('ACT_TRACE'), `mkdir ${work}/e`);
    t.match(result.stderr, /Function not implemented/);
    t.notOk(existsSync(join(work, 'e')));
  });

  t.test('argument comparisons', async (t) => {
    // chmod to 0700 is refused, to 0755 is not. busybox and coreutils use
    // fchmodat (mode third) or chmod (mode second), depending on the build.
    const profile: ProfileJson = {
      default_action: 'ACT_ALLOW',
      syscalls: [
        { names: ['chmod'], action: 'ACT_ERRNO', args: [{ index: 1, op: 'CMP_EQ', value: 0o700, value_two: 0 }] },
        { names: ['fchmodat', 'fchmodat2'], action: 'ACT_ERRNO', args: [{ index: 2, op: 'CMP_EQ', value: 0o700, value_two: 0 }] },
      ],
    };
    const file = join(work, 'mode');
    writeFileSync(file, '');
    const result = launch(profile, `chmod 700 ${file}; echo a=$?; chmod 755 ${file}; echo b=$?`);
    t.equal(result.stdout, 'a=1\nb=0\n');
  });

  t.test("includes and excludes follow the task's bounding set", async (t) => {
    const profile: ProfileJson = {
      default_action: 'ACT_ALLOW',
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'ACT_ERRNO', includes: { capabilities: ['SYS_ADMIN'] } },
        { names: ['rmdir', 'unlinkat'], action: 'ACT_ERRNO', excludes: { capabilities: ['NET_RAW'] } },
      ],
    };
    const script = (name: string) => `mkdir ${work}/${name} 2>/dev/null; echo mkdir=$?; rmdir ${work}/${name} 2>/dev/null; echo rmdir=$?`;
    const bounding = (...names: string[]) => ({ bounding_capabilities: { capabilities: names } });
    t.equal(launch(profile, script('f'), bounding('SYS_ADMIN')).stdout, 'mkdir=1\nrmdir=1\n', 'both kept: SYS_ADMIN held, NET_RAW not');
    t.equal(launch(profile, script('g'), bounding('NET_RAW')).stdout, 'mkdir=0\nrmdir=0\n', 'mkdir rule needs SYS_ADMIN; rmdir excluded by NET_RAW');
    mkdirSync(join(work, 'h'));
    t.equal(launch(profile, script('h'), bounding('SYS_ADMIN', 'NET_RAW')).stdout, 'mkdir=1\nrmdir=0\n', 'both held: mkdir kept, rmdir left out');
  });

  t.test('the filter covers the task and not the privilege drop: a profile denying setuid and capset', async (t) => {
    // Mesos loads the filter before setuid; here it goes in after it, so a
    // profile that denies the calls the drop makes still launches.
    const profile: ProfileJson = {
      default_action: 'ACT_ALLOW',
      syscalls: [{ names: ['setuid', 'setresuid', 'setgid', 'setresgid', 'setgroups', 'prctl'], action: 'ACT_KILL' }],
    };
    const result = launch(profile, 'id -u; grep -E "^Seccomp:" /proc/self/status', { user: 'nobody' }, true);
    t.equal(result.stderr, '');
    t.equal(result.stdout, '65534\nSeccomp:\t2\n', 'the task runs as nobody, filtered');
    t.equal(result.status, '0');
  });

  t.test('a task without CAP_SYS_ADMIN and without no_new_privs is filtered all the same', async (t) => {
    const result = launch(denyMkdir, `mkdir ${work}/n; echo mkdir=$?; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status`, {
      user: 'nobody',
      effective_capabilities: { capabilities: ['CHOWN'] },
    });
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, 'mkdir=1\nCapEff:\t0000000000000001\nNoNewPrivs:\t0\nSeccomp:\t2\n', 'CAP_SYS_ADMIN used for the filter, then gone');
    const plain = launch(denyMkdir, `mkdir ${work}/o; echo mkdir=$?; grep -E "^(CapEff|Seccomp):" /proc/self/status`, { user: 'nobody' });
    t.equal(plain.stdout, 'mkdir=1\nCapEff:\t0000000000000000\nSeccomp:\t2\n', 'a plain uid change leaves no capability');
    const nnp = launch(denyMkdir, `grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status`, { user: 'nobody', no_new_privileges: true });
    t.equal(nnp.stdout, 'NoNewPrivs:\t1\nSeccomp:\t2\n');
  });

  t.test('a profile that denies rt_sigprocmask still starts the task with no signal blocked', async (t) => {
    const profile: ProfileJson = { default_action: 'ACT_ALLOW', syscalls: [{ names: ['rt_sigprocmask'], action: 'ACT_ERRNO' }] };
    const result = launch(profile, 'grep -E "^SigBlk:" /proc/self/status', {}, true);
    t.equal(result.stdout, 'SigBlk:\t0000000000000000\n', result.stderr);
    t.equal(result.status, '0');
  });

  t.test('an unknown syscall name is one clear line, the status 256', async (t) => {
    const result = launch({ ...denyMkdir, syscalls: [{ names: ['mkdir', 'no_such_call'], action: 'ACT_ERRNO' }] }, `mkdir ${work}/m`, {}, true);
    t.equal(result.code, 1);
    t.equal(result.stderr, "Failed to create Seccomp filter: Unrecognized syscall 'no_such_call'\n");
    t.equal(result.status, '256');
    t.notOk(existsSync(join(work, 'm')), 'the task never ran');
  });

  t.test('libseccomp errors name the step', async (t) => {
    const sameAsDefault = launch({ ...denyMkdir, syscalls: [{ names: ['mkdir'], action: 'ACT_ALLOW' }] }, 'true');
    t.equal(
      sameAsDefault.stderr,
      "Failed to create Seccomp filter: Failed to add rule for syscall 'mkdir' with action 'ACT_ALLOW': " +
        "Permission denied (the profile's default action is ACT_ALLOW too)\n",
    );
    const badIndex = launch(
      { ...denyMkdir, syscalls: [{ names: ['mkdir'], action: 'ACT_ERRNO', args: [{ index: 6, op: 'CMP_EQ', value: 0, value_two: 0 }] }] },
      'true',
    );
    t.equal(
      badIndex.stderr,
      "Failed to create Seccomp filter: Failed to add rule for syscall 'mkdir' with action 'ACT_ERRNO': Invalid argument\n",
    );
    // A little-endian filter can't hold a big-endian ABI.
    const bigEndian = launch({ ...denyMkdir, architectures: ['ARCH_X86', 'ARCH_S390X'] }, 'true');
    t.equal(
      bigEndian.stderr,
      "Failed to create Seccomp filter: Failed to add Seccomp architecture 'ARCH_S390X': Numerical argument out of domain\n",
    );
  });

  const library = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).stdout?.match(/libseccomp\.so\.2 .*=> (\S+)/)?.[1];
  const unshare = spawnSync('unshare', ['--version']).status === 0;
  const hidable = library !== undefined && unshare ? false : 'needs ldconfig to find libseccomp.so.2, and unshare(1)';
  t.test('without libseccomp.so.2 on the host', { skip: hidable }, async (t) => {
    // In a mount namespace of its own, the library is hidden under an empty file.
    const info = { command: { value: 'true' }, seccomp_profile: denyMkdir };
    const script = `mount --bind /dev/null ${realpathSync(library!)} && exec "$@"`;
    const result = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', CONTAINERIZER, 'launch', `--launch_info=${JSON.stringify(info)}`],
      { encoding: 'utf8', timeout: 20_000, env: cleanEnv() },
    );
    t.equal(result.status, 1);
    t.match(result.stderr, /^Failed to create Seccomp filter: libseccomp\.so\.2 is not available: .*libseccomp\.so\.2.*\n$/);
  });
});
