// Hostile images and tasks against the privileged end of `launch`, as root:
// each test is an attack a review reproduced, and says what stops it now.
//
// - Nothing after the root change may come from the image: libseccomp is
//   loaded, and the filter compiled, on the host; the last capability is
//   probed, not read from the image's /proc; the waiter is opened before a
//   setns into another container's mount namespace.
// - The mount-namespace guard fails closed.
// - The task's privilege drop happens in the task's own process, after the
//   fork, so the waiter keeps ids and limits the task can't touch; it is not
//   dumpable, kills what is left of the container and then writes the status
//   at offset 0, truncated.
// - Signals stay blocked across the exec into the waiter.
// - The drop follows runc's order, with the seccomp filter last.
//
// Every launch runs in a mount namespace of the test's own, so that a
// regression can't reach the host's mounts. Run `npm run build` first.
import t, { type Test } from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waiterPath } from '../native/libc';
import { catchesEverySignal } from '../src/agent/standalone/task';
import { makeBusyboxRootfs, type BusyboxRootfs } from './helpers/busybox-rootfs';
import { ControlPipe, describe, exited, helperEnv, readStatus, WITHOUT_TAP } from './helpers/fuzz';
import { killQuietly, sleep, testDir } from './helpers/process';
import { CONTAINERIZER, isRoot } from './helpers/run';

const CLONE_NEWNS = 0x20000;

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `sh -c script` with $NODE and $C (the helper) set, without tap's preload. */
function shell(script: string, env: Record<string, string> = {}): Ran {
  const result = spawnSync(WITHOUT_TAP[0]!, [...WITHOUT_TAP.slice(1), 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 60_000,
    env: helperEnv({ NODE: process.execPath, C: CONTAINERIZER, ...env }),
  });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** A shell word for `value`. */
const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** `launch` as pid 1 of a new pid namespace and in a new mount namespace whose parent is outside it. */
function launchAsPidOne(info: object, runtime?: string): string {
  const flags = [`--launch_info=${JSON.stringify(info)}`];
  if (runtime !== undefined) flags.push(`--runtime_directory=${runtime}`);
  return `unshare -p -f --kill-child unshare -m -- "$NODE" "$C" launch ${flags.map(quote).join(' ')}`;
}

function rootfs(t: Test): BusyboxRootfs {
  const fs = makeBusyboxRootfs('mc-hostile-launch-');
  t.teardown(() => fs.cleanup());
  return fs;
}

const procMount = (root: string, target = 'proc') => ({ source: 'proc', target: `${root}/${target}`, type: 'proc' });

t.test('hostile images and tasks against the privileged launcher', { skip: isRoot ? false : 'needs root' }, async (t) => {
  t.test("an image's own libseccomp.so.2 never runs in the launcher; a rootfs without one gets the filter", async (t) => {
    // The attack: the image ships libseccomp.so.2 with a constructor; a
    // launcher that dlopens it after the root change runs it as root with
    // every capability. What stops it: the filter is compiled on the host.
    const fs = rootfs(t);
    const source = join(fs.base, 'evil.c');
    writeFileSync(
      source,
      [
        '#include <fcntl.h>',
        '#include <unistd.h>',
        '__attribute__((constructor)) static void pwn(void) {',
        '  int fd = open("/evil-library-ran", O_WRONLY | O_CREAT, 0644);',
        '  if (fd >= 0) close(fd);',
        '}',
        'int seccomp_load(void *ctx) { (void)ctx; return 0; }',
      ].join('\n'),
    );
    for (const dir of ['lib', 'lib64', 'usr/lib', 'lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu']) {
      mkdirSync(join(fs.path, dir), { recursive: true });
      execFileSync('cc', ['-shared', '-fPIC', '-o', join(fs.path, dir, 'libseccomp.so.2'), source]);
    }
    const info = {
      command: { value: 'mkdir /made; echo mkdir=$?; grep ^Seccomp: /proc/self/status' },
      rootfs: fs.path,
      clone_namespaces: [CLONE_NEWNS],
      mounts: [procMount(fs.path)],
      environment: { variables: [{ name: 'LD_LIBRARY_PATH', value: '/lib:/usr/lib' }] },
      seccomp_profile: { default_action: 'ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'ACT_ERRNO' }] },
    };
    const result = shell(launchAsPidOne(info));
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, 'mkdir=1\nSeccomp:\t2\n', 'the filter is in force');
    t.notOk(readdirHas(fs.path, 'evil-library-ran'), "the image's library never ran");
    t.notOk(readdirHas(fs.path, 'made'));
  });

  t.test("the last capability is probed, not read from the image's /proc", async (t) => {
    // The attack: an image whose /proc is a plain directory with
    // sys/kernel/cap_last_cap = 5, so that dropping the bounding set stops
    // at capability 5. What stops it: PR_CAPBSET_READ tells the kernel's.
    const fs = rootfs(t);
    mkdirSync(join(fs.path, 'proc', 'sys', 'kernel'), { recursive: true });
    writeFileSync(join(fs.path, 'proc', 'sys', 'kernel', 'cap_last_cap'), '5\n');
    mkdirSync(join(fs.path, 'realproc'));
    const info = {
      command: { value: 'grep -E "^Cap(Bnd|Eff)" /realproc/self/status' },
      rootfs: fs.path,
      clone_namespaces: [CLONE_NEWNS],
      mounts: [procMount(fs.path, 'realproc')],
      effective_capabilities: { capabilities: ['CHOWN'] },
    };
    const result = shell(launchAsPidOne(info));
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, 'CapEff:\t0000000000000001\nCapBnd:\t0000000000000001\n', 'only CHOWN is left, SYS_ADMIN and the rest above 5 included');
  });

  t.test('the mount-namespace guard fails closed', async (t) => {
    // The attack: `unshare -p -f launch` makes launch pid 1 with no visible
    // parent (getppid() is 0); a guard that can't read the parent's
    // namespace let masks land in the namespace it shares. What stops it:
    // the parent is found through /proc, and not knowing means no.
    const dir = testDir(t, 'mc-guard-');
    mkdirSync(join(dir, 'secret'));
    writeFileSync(join(dir, 'secret', 'file'), 'still here\n');
    const info = { command: { value: 'true' }, masked_paths: [join(dir, 'secret')] };
    // All of it in a mount namespace of the test's own, which launch shares with its parent.
    const script = [
      `unshare -p -f --kill-child -- "$NODE" "$C" launch ${quote(`--launch_info=${JSON.stringify(info)}`)}`,
      'echo "exit=$?"',
      `cat ${quote(join(dir, 'secret', 'file'))}`,
      `grep -c ${quote(join(dir, 'secret'))} /proc/self/mountinfo || true`,
    ].join('\n');
    const result = shell(`unshare -m --propagation unchanged sh -c ${quote(script)}`);
    t.match(result.stderr, /^Refusing to change mounts in the mount namespace of the process that started us: [^\n]*\n$/);
    t.equal(result.stdout, 'exit=1\nstill here\n0\n', 'refused, the directory unmasked, nothing mounted');
  });

  t.test('with --namespace_mnt_target, masks and MOUNT operations are refused; the waiter comes from the host', async (t) => {
    const refusals: Array<[object, string]> = [
      [{ masked_paths: ['/etc'] }, "Masked paths are not supported if 'namespace_mnt_target' is set"],
      [
        { file_operations: [{ operation: 'MOUNT', mount: { source: 'tmpfs', target: '/mnt', type: 'tmpfs' } }] },
        "MOUNT file operations are not supported if 'namespace_mnt_target' is set",
      ],
    ];
    for (const [extra, message] of refusals) {
      const info = { command: { value: 'true' }, ...extra };
      // In a namespace of the test's own: a launch that did not refuse would mask the host's /etc.
      const result = shell(`unshare -m --propagation private -- "$NODE" "$C" launch --namespace_mnt_target=1 ${quote(`--launch_info=${JSON.stringify(info)}`)}`);
      t.equal(result.stderr, `${message}\n`);
      t.equal(result.code, 1);
    }

    // The attack: the target container's filesystem has a program at the
    // waiter's path; a launcher that looks the waiter up after the setns
    // runs it in place of the task. What stops it: it is opened first.
    const dir = testDir(t, 'mc-target-');
    const planted = join(dir, 'planted');
    writeFileSync(planted, '#!/bin/sh\necho planted waiter ran\n');
    chmodSync(planted, 0o755);
    const target = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind ${quote(planted)} ${quote(waiterPath())} && exec sleep 30`], {
      stdio: 'ignore',
    });
    t.teardown(() => killQuietly(target.pid!));
    // The sleep is the unshare process itself once the bind is made.
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      await sleep(30);
      ready = readFileSync(`/proc/${target.pid}/cmdline`, 'utf8').startsWith('sleep');
    }
    t.ok(ready, 'the target namespace has the planted program at the waiter path');
    const info = { command: { value: 'echo the real task ran' } };
    const result = shell(
      `unshare -m --propagation private -- "$NODE" "$C" launch --namespace_mnt_target=${target.pid} ${quote(`--launch_info=${JSON.stringify(info)}`)}`,
    );
    t.equal(result.stdout, 'the real task ran\n', describe(result));
    t.equal(result.code, 0);
  });

  t.test('a task can rewrite neither its checkpointed status nor anything the waiter holds', async (t) => {
    // The attack: a root task writes a status of its own through the
    // waiter's fd (/proc/1/fd/N), or has an orphan do it after the task
    // exits. What stops it: the waiter is not dumpable, kills what is left
    // of the container, then writes at offset 0 and truncates.
    const dir = testDir(t, 'mc-forge-');
    const forge = 'for f in /proc/1/fd/*; do printf 00008192 > $f 2>/dev/null; done';
    const cases: Array<[string, string]> = [
      ['the task itself', `${forge}; exit 3`],
      ['an orphan, after the task has exited', `(sleep 0.3; ${forge}) & exit 3`],
    ];
    for (const [who, command] of cases) {
      const runtime = join(dir, who.replace(/\W+/g, '-'));
      mkdirSync(runtime);
      const info = { command: { value: command }, clone_namespaces: [CLONE_NEWNS], mounts: [{ source: 'proc', target: '/proc', type: 'proc' }] };
      const result = shell(launchAsPidOne(info, runtime));
      t.equal(result.code, 0, `${who}: the waiter exits 0 ${describe(result)}`);
      t.equal(readStatus(runtime), '768', `${who}: the status is the task's own (exit 3)`);
    }
    // Without CAP_SYS_PTRACE a root task can't even open the waiter's fds.
    const runtime = join(dir, 'no-ptrace');
    mkdirSync(runtime);
    const info = {
      command: {
        value: 'n=0; for f in /proc/1/fd/*; do readlink $f >/dev/null 2>&1 && n=$((n+1)); done; echo fds=$n; cat /proc/1/environ >/dev/null 2>&1; echo environ=$?',
      },
      clone_namespaces: [CLONE_NEWNS],
      mounts: [{ source: 'proc', target: '/proc', type: 'proc' }],
      effective_capabilities: { capabilities: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETUID', 'SETGID'] },
    };
    const result = shell(launchAsPidOne(info, runtime));
    t.equal(result.stdout, 'fds=0\nenviron=1\n', 'the waiter is not dumpable');
  });

  t.test("the waiter keeps its own ids and limits: the task's rlimits and uid apply to the task alone", async (t) => {
    // The attack: the waiter ran under the task's rlimits and uid, so
    // RLMT_FSIZE of 0 or 1 broke its status write, and a task (even as
    // nobody) could lower the waiter's limits with prlimit. What stops it:
    // the limits and the uid change happen in the task's process.
    const dir = testDir(t, 'mc-limits-');
    const fsize = (value: number) => ({ rlimits: { rlimits: [{ type: 'RLMT_FSIZE', soft: value, hard: value }] } });
    const cases: Array<[string, object, string, number]> = [
      ['RLMT_FSIZE 1, exit 1', { command: { value: 'exit 1' }, ...fsize(1) }, '256', 0],
      ['RLMT_FSIZE 0, exit 1', { command: { value: 'exit 1' }, ...fsize(0) }, '256', 0],
      [
        'nobody lowers the waiter\'s RLMT_FSIZE, then exits 1',
        { command: { value: 'prlimit --pid 1 --fsize=1:1 2>/dev/null; exit 1' }, user: 'nobody' },
        '256',
        0,
      ],
      [
        'RLMT_CPU of 1 second and a busy task',
        { command: { value: 'while :; do :; done' }, rlimits: { rlimits: [{ type: 'RLMT_CPU', soft: 1, hard: 1 }] } },
        // At the hard limit the kernel kills: the task's own end, checkpointed.
        '9',
        0,
      ],
    ];
    let n = 0;
    for (const [name, info, status, code] of cases) {
      const runtime = join(dir, String(n++));
      mkdirSync(runtime);
      const result = shell(launchAsPidOne(info, runtime));
      t.equal(result.code, code, `${name}: ${describe(result)}`);
      t.equal(readStatus(runtime), status, `${name}: the status is the task's`);
    }
  });

  t.test('signals at any moment after the go-ahead never leave an empty status', async (t) => {
    // The attack: a SIGTERM between launch's exec of the waiter and the
    // waiter's handlers (or one the kernel hands a Node helper thread once
    // the handlers were reset) killed the launcher with an empty status
    // file. What stops it: handlers stay in place and signals blocked
    // across the exec.
    const dir = testDir(t, 'mc-signals-');
    const runs = 30;
    const outcomes = new Map<string, number>();
    for (let run = 0; run < runs; run++) {
      const runtime = join(dir, String(run));
      mkdirSync(runtime);
      const pipe = new ControlPipe(join(dir, `fifo-${run}`));
      const info = { command: { shell: false, value: '/bin/sleep', arguments: ['sleep', '5'] } };
      const child = spawn(
        WITHOUT_TAP[0]!,
        [...WITHOUT_TAP.slice(1), 'unshare', '-m', process.execPath, CONTAINERIZER, 'launch', `--launch_info=${JSON.stringify(info)}`, `--runtime_directory=${runtime}`, `--pipe_read=3`, `--pipe_write=4`],
        { env: helperEnv(), stdio: ['ignore', 'pipe', 'pipe', pipe.readEnd, pipe.writeEnd] },
      );
      pipe.release();
      const done = exited(child);
      // Node's own start-up is outside anyone's reach (Node alone handles
      // SIGINT and SIGTERM, only to die of them): begin once launch handles
      // every signal and waits on the pipe, as the agent's kill does.
      for (let i = 0; i < 500 && !catchesEverySignal(child.pid!); i++) await sleep(5);
      // The go-ahead, then SIGTERM over and over from a random moment on.
      pipe.send();
      const delay = Math.random() * 40;
      const start = Date.now();
      while (Date.now() - start < delay) await sleep(0);
      let over = false;
      void done.then(() => (over = true));
      while (!over) {
        try {
          process.kill(child.pid!, 'SIGTERM');
        } catch {
          break;
        }
        await sleep(1);
      }
      const result = await done;
      const status = readStatus(runtime);
      t.ok(status !== undefined && /^\d+$/.test(status), `run ${run}: a status was written (${JSON.stringify(status)}) ${describe(result)}`);
      // Killed before the task (exit 1) or the task killed by the forwarded signal (exit 0): 15 either way.
      t.equal(status, '15', `run ${run}: SIGTERM's wait status`);
      outcomes.set(String(result.code), (outcomes.get(String(result.code)) ?? 0) + 1);
    }
    t.comment(`exit codes over ${runs} runs: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  });

  t.test("the privilege drop follows runc's order, the seccomp filter last", async (t) => {
    // runc: rootfs (pivot_root), rlimits, no_new_privs, the bounding set,
    // the user (setgroups/setgid/setuid), the other capability sets, and the
    // filter as late as it can (right before execve with no_new_privs).
    // Here the filter goes last in both cases: without no_new_privs it goes
    // in while CAP_SYS_ADMIN is still held, and one capset drops it after.
    const strace = spawnSync('strace', ['-V']).status === 0;
    if (!strace) {
      t.fail('strace is needed (Debian package strace)');
      return;
    }
    const fs = rootfs(t);
    const base = {
      command: { shell: false, value: '/bin/true' },
      rootfs: fs.path,
      clone_namespaces: [CLONE_NEWNS],
      user: 'nobody',
      effective_capabilities: { capabilities: ['CHOWN', 'NET_RAW'] },
      rlimits: { rlimits: [{ type: 'RLMT_NOFILE', soft: 100, hard: 200 }] },
      seccomp_profile: { default_action: 'ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'ACT_ERRNO' }] },
    };
    const trace = join(testDir(t, 'mc-order-'), 'trace');
    const calls = 'pivot_root,setrlimit,prlimit64,prctl,setgroups,setgid,setresgid,setuid,setresuid,capset,seccomp,execve';
    for (const noNewPrivileges of [false, true]) {
      const info = { ...base, no_new_privileges: noNewPrivileges };
      rmSync(trace, { force: true });
      const result = shell(
        `strace -f -qq -o ${quote(trace)} -e trace=${calls} unshare -m -- "$NODE" "$C" launch ${quote(`--launch_info=${JSON.stringify(info)}`)}`,
      );
      t.equal(result.code, 0, `launch succeeds ${describe(result)}`);
      const steps = orderOfSteps(readFileSync(trace, 'utf8'));
      const expected = [
        'pivot_root',
        'rlimits',
        ...(noNewPrivileges ? ['no_new_privs'] : []),
        'bounding',
        'keepcaps',
        'setgid',
        'setgroups',
        'setuid',
        'capabilities',
        'seccomp',
        ...(noNewPrivileges ? [] : ['capabilities']),
        'execve task',
      ];
      t.same(steps, expected, `no_new_privileges ${noNewPrivileges}: the steps in order`);
    }
  });
});

function readdirHas(dir: string, name: string): boolean {
  try {
    readFileSync(join(dir, name));
    return true;
  } catch {
    return false;
  }
}

/**
 * The privilege steps in an strace log, in order, after the launcher's own
 * start: one name for each run of calls of a kind.
 */
function orderOfSteps(log: string): string[] {
  const steps: string[] = [];
  const add = (step: string) => {
    if (steps.at(-1) !== step) steps.push(step);
  };
  for (const line of log.split('\n')) {
    const call = /^\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)/.exec(line);
    if (call === null) continue;
    const [, name, args] = call as unknown as [string, string, string];
    if (name === 'pivot_root') add('pivot_root');
    else if (steps.length === 0) continue;
    else if (name === 'prlimit64' || name === 'setrlimit') {
      if (/RLIMIT_NOFILE, \{rlim_cur=100/.test(args)) add('rlimits');
    } else if (name === 'prctl') {
      if (args.startsWith('PR_SET_NO_NEW_PRIVS')) add('no_new_privs');
      else if (args.startsWith('PR_CAPBSET_DROP')) add('bounding');
      else if (args.startsWith('PR_SET_KEEPCAPS')) add('keepcaps');
      else if (args.startsWith('PR_CAP_AMBIENT')) add('capabilities');
    } else if (name === 'setgid' || name === 'setresgid') add('setgid');
    else if (name === 'setgroups') add('setgroups');
    else if (name === 'setuid' || name === 'setresuid') add('setuid');
    else if (name === 'capset') add('capabilities');
    else if (name === 'seccomp') add('seccomp');
    else if (name === 'execve' && args.startsWith('"/bin/true"')) {
      // The task's own calls (busybox resets its ids) are none of ours.
      add('execve task');
      break;
    }
  }
  return steps;
}
