// seccomp_profile: the mapping to libseccomp's numbers, then real filters
// loaded in child processes (as root). Run `npm run build` first.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { SeccompFailure, type SeccompStage } from '../native/libc';
import { bundleWithAddon, testDir } from './helpers/process';
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
  t.equal(line('load', 0, 13, 'Permission denied'), 'Failed to load Seccomp filter: Permission denied');
});

// ---------------------------------------------------------------------------
// Real filters, each in a child Node process that loads one and then tries.

t.test('loading filters', { skip: isRoot ? false : 'needs root (CAP_SYS_ADMIN) to load a filter' }, async (t) => {
  // src/launch/seccomp.ts bundled as dist/ bundles it, in a tree that mirrors
  // the package so native/libc.ts finds the addon.
  const { seccomp: bundle, libc: libcBundle } = bundleWithAddon(tempDir(t), {
    seccomp: 'src/launch/seccomp.ts',
    libc: 'native/libc.ts',
  });
  const work = tempDir(t);
  /**
   * `node ...args` without the NODE_OPTIONS tap adds to every child: its
   * exit hooks create files, which some of these profiles refuse.
   */
  function bareNode(args: string[]) {
    const result = spawnSync('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (result.error !== undefined) throw result.error;
    return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  }

  // The child reads the profile (bigints as strings) and the task's bounding
  // set (a mask) from argv, applies them, then runs `after`. A failure to apply is one
  // line on stderr and exit 3.
  const prelude = `
    const seccomp = require(${JSON.stringify(bundle)});
    const libc = require(${JSON.stringify(libcBundle)});
    const fs = require('fs');
    const work = ${JSON.stringify(work)};
    const errno = (action) => { try { action(); return 'ok'; } catch (e) { return e.code; } };
    const profile = JSON.parse(process.argv[1], (k, v) => (k === 'value' || k === 'valueTwo' ? BigInt(v) : v));
    try {
      seccomp.applySeccompProfile(profile, { bounding: BigInt(process.argv[2]) });
    } catch (e) {
      fs.writeSync(2, e.message + '\\n');
      process.exit(3);
    }
  `;

  function child(profile: object, after: string, bounding = ALL) {
    const json = JSON.stringify(profile, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    return bareNode(['-e', prelude + after, json, String(bounding)]);
  }

  const denyMkdir: SeccompProfile = {
    defaultAction: 'ACT_ALLOW',
    architectures: ['ARCH_X86_64', 'ARCH_X86', 'ARCH_X32', 'ARCH_AARCH64', 'ARCH_ARM'],
    syscalls: [rule(['mkdir', 'mkdirat'], 'ACT_ERRNO')],
  };

  t.test('ACT_ERRNO fails the call with EPERM; other calls work', async (t) => {
    const result = child(
      denyMkdir,
      `
      const report = {
        mkdir: errno(() => fs.mkdirSync(work + '/a')),
        write: errno(() => fs.writeFileSync(work + '/file', 'x')),
        read: fs.readFileSync(work + '/file', 'utf8'),
        unlink: errno(() => fs.unlinkSync(work + '/file')),
      };
      console.log(JSON.stringify(report));
    `,
    );
    t.equal(result.stderr, '');
    t.equal(result.code, 0);
    t.same(JSON.parse(result.stdout), { mkdir: 'EPERM', write: 'ok', read: 'x', unlink: 'ok' });
    t.notOk(existsSync(join(work, 'a')));
  });

  t.test('the exec\'d task keeps the filter', async (t) => {
    const result = child(denyMkdir, `libc.execClean('/bin/mkdir', ['mkdir', work + '/b'], []);`);
    t.equal(result.code, 1);
    t.match(result.stderr, /Operation not permitted/);
    t.notOk(existsSync(join(work, 'b')));
  });

  t.test('ACT_KILL kills the task with SIGSYS', async (t) => {
    const result = child(
      { ...denyMkdir, syscalls: [rule(['mkdir', 'mkdirat'], 'ACT_KILL')] },
      `libc.execClean('/bin/mkdir', ['mkdir', work + '/c'], []);`,
    );
    t.equal(result.signal, 'SIGSYS');
    t.notOk(existsSync(join(work, 'c')));
  });

  t.test('ACT_TRAP sends SIGSYS too', async (t) => {
    const result = child(
      { ...denyMkdir, syscalls: [rule(['mkdir', 'mkdirat'], 'ACT_TRAP')] },
      `libc.execClean('/bin/mkdir', ['mkdir', work + '/d'], []);`,
    );
    t.equal(result.signal, 'SIGSYS');
  });

  t.test('ACT_TRACE without a tracer fails the call with ENOSYS', async (t) => {
    const result = child(
      { ...denyMkdir, syscalls: [rule(['mkdir', 'mkdirat'], 'ACT_TRACE')] },
      `console.log(errno(() => fs.mkdirSync(work + '/e')));`,
    );
    t.equal(result.stdout.trim(), 'ENOSYS');
  });

  t.test('argument comparisons', async (t) => {
    // chmod to 0700 is refused, to 0755 is not. glibc uses chmod where the
    // architecture has it and fchmodat (mode third) elsewhere.
    const profile: SeccompProfile = {
      defaultAction: 'ACT_ALLOW',
      architectures: [],
      syscalls: [
        rule(['chmod'], 'ACT_ERRNO', { args: [{ index: 1, op: 'CMP_EQ', value: 0o700n, valueTwo: 0n }] }),
        rule(['fchmodat'], 'ACT_ERRNO', { args: [{ index: 2, op: 'CMP_EQ', value: 0o700n, valueTwo: 0n }] }),
        // Masked: any mode with a group-write bit.
        rule(['fchmod'], 'ACT_ERRNO', { args: [{ index: 1, op: 'CMP_MASKED_EQ', value: 0o020n, valueTwo: 0o020n }] }),
      ],
    };
    const result = child(
      profile,
      `
      fs.writeFileSync(work + '/mode', '');
      const fd = fs.openSync(work + '/mode', 'r');
      console.log(JSON.stringify([
        errno(() => fs.chmodSync(work + '/mode', 0o700)),
        errno(() => fs.chmodSync(work + '/mode', 0o755)),
        errno(() => fs.fchmodSync(fd, 0o664)),
        errno(() => fs.fchmodSync(fd, 0o644)),
      ]));
    `,
    );
    t.equal(result.stderr, '');
    t.same(JSON.parse(result.stdout), ['EPERM', 'ok', 'EPERM', 'ok']);
  });

  t.test('includes and excludes follow the task\'s bounding set', async (t) => {
    const profile: SeccompProfile = {
      defaultAction: 'ACT_ALLOW',
      architectures: [],
      syscalls: [
        rule(['mkdir', 'mkdirat'], 'ACT_ERRNO', { includes: [CAP_SYS_ADMIN] }),
        rule(['rmdir', 'unlinkat'], 'ACT_ERRNO', { excludes: [CAP_NET_RAW] }),
      ],
    };
    const script = (name: string) => `
      console.log(JSON.stringify([
        errno(() => fs.mkdirSync(work + '/${name}')),
        errno(() => fs.rmdirSync(work + '/${name}')),
      ]));
    `;
    const admin = child(profile, script('f'), mask(CAP_SYS_ADMIN));
    t.same(JSON.parse(admin.stdout), ['EPERM', 'EPERM'], 'both kept: SYS_ADMIN held, NET_RAW not');
    const raw = child(profile, script('g'), mask(CAP_NET_RAW));
    t.same(JSON.parse(raw.stdout), ['ok', 'ok'], 'mkdir rule needs SYS_ADMIN; rmdir rule excluded by NET_RAW');
    const both = child(profile, script('h'), mask(CAP_SYS_ADMIN, CAP_NET_RAW));
    t.same(JSON.parse(both.stdout), ['EPERM', 'ENOENT'], 'both held: mkdir kept, rmdir left out');
  });

  t.test('the filter binds the calling thread, not the running pool threads', async (t) => {
    // The libuv pool runs before the filter (a first fs.stat makes sure): its
    // threads stay unfiltered, so async fs calls escape a profile. The task,
    // exec'd from the main thread, does not.
    const warmed = bareNode([
      '-e',
      `
      require('fs').stat('/', () => {
        ${prelude}
        const sync = errno(() => fs.mkdirSync(work + '/k'));
        fs.mkdir(work + '/l', (error) => console.log(JSON.stringify([sync, error ? error.code : 'ok'])));
      });
      `,
      JSON.stringify(denyMkdir),
      String(ALL),
    ]);
    t.equal(warmed.stderr, '');
    t.same(JSON.parse(warmed.stdout), ['EPERM', 'ok'], 'a pool thread started before the filter is not filtered');
  });

  t.test('an unknown syscall name is one clear line', async (t) => {
    const result = child(
      { ...denyMkdir, syscalls: [rule(['mkdir', 'no_such_call'], 'ACT_ERRNO')] },
      `console.log(errno(() => fs.mkdirSync(work + '/m')));`,
    );
    t.equal(result.code, 3);
    t.equal(result.stderr, "Failed to create Seccomp filter: Unrecognized syscall 'no_such_call'\n");
    t.equal(result.stdout, '');
  });

  t.test('libseccomp errors name the step', async (t) => {
    const sameAsDefault = child({ ...denyMkdir, syscalls: [rule(['mkdir'], 'ACT_ALLOW')] }, '');
    t.equal(
      sameAsDefault.stderr,
      "Failed to create Seccomp filter: Failed to add rule for syscall 'mkdir' with action 'ACT_ALLOW': " +
        "Permission denied (the profile's default action is ACT_ALLOW too)\n",
    );
    const badIndex = child(
      { ...denyMkdir, syscalls: [rule(['mkdir'], 'ACT_ERRNO', { args: [{ index: 6, op: 'CMP_EQ', value: 0n, valueTwo: 0n }] })] },
      '',
    );
    t.equal(
      badIndex.stderr,
      "Failed to create Seccomp filter: Failed to add rule for syscall 'mkdir' with action 'ACT_ERRNO': Invalid argument\n",
    );
    // A little-endian filter can't hold a big-endian ABI.
    const bigEndian = child({ ...denyMkdir, architectures: ['ARCH_X86', 'ARCH_S390X'] }, '');
    t.equal(
      bigEndian.stderr,
      "Failed to create Seccomp filter: Failed to add Seccomp architecture 'ARCH_S390X': Numerical argument out of domain\n",
    );
  });

  t.test('without CAP_SYS_ADMIN (and no no_new_privs) the kernel refuses', async (t) => {
    // capset acts on the calling thread: the main one, which loads the filter.
    const unprivileged = bareNode([
      '-e',
      `
      {
        const native = require(${JSON.stringify(libcBundle)});
        const sets = native.capget();
        const drop = ~(1n << ${CAP_SYS_ADMIN}n);
        native.capset({ effective: sets.effective & drop, permitted: sets.permitted & drop, inheritable: sets.inheritable });
      }
      ${prelude}
      `,
      JSON.stringify(denyMkdir),
      String(ALL),
    ]);
    t.equal(unprivileged.code, 3);
    t.equal(unprivileged.stderr, 'Failed to load Seccomp filter: Permission denied\n');
  });

  const library = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).stdout?.match(/libseccomp\.so\.2 .*=> (\S+)/)?.[1];
  const unshare = spawnSync('unshare', ['--version']).status === 0;
  const hidable = library !== undefined && unshare ? false : 'needs ldconfig to find libseccomp.so.2, and unshare(1)';
  t.test('without libseccomp.so.2', { skip: hidable }, async (t) => {
    // In a mount namespace of its own, the library is hidden under an empty file.
    const script = `mount --bind /dev/null ${realpathSync(library!)} && unset NODE_OPTIONS && exec "$@"`;
    const result = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, '-e', prelude, JSON.stringify(denyMkdir), String(ALL)],
      { encoding: 'utf8', timeout: 20_000 },
    );
    t.equal(result.status, 3);
    t.match(result.stderr, /^Failed to create Seccomp filter: libseccomp\.so\.2 is not available: .*libseccomp\.so\.2.*\n$/);
  });
});

// Through the real launch: a profile that kills a syscall the launcher
// itself still makes after loading it must end the launch, not hang it.
t.test('a profile that kills the launcher ends the launch with SIGSYS', async (t) => {
  const info = {
    command: { shell: false, value: '/bin/true' },
    user: 'nobody',
    seccomp_profile: {
      default_action: 'ACT_ALLOW',
      syscalls: [{ names: ['setuid', 'setresuid'], action: 'ACT_KILL' }],
    },
  };
  const result = spawnSync(CONTAINERIZER, ['launch', `--launch_info=${JSON.stringify(info)}`], {
    encoding: 'utf8',
    timeout: 20_000,
    env: cleanEnv(),
  });
  t.equal(result.error, undefined, 'the launch ended by itself');
  t.equal(result.signal, 'SIGSYS');
});
