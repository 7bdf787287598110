// The native pieces of `launch`: the waiter program and the addon's exit
// handlers and clean exec. Run `npm run build` first.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waiterPath } from '../native/libc';
import { bundleWithAddon, childrenOf, finishedText, killQuietly, procStat, type ProcStat, sleep, testDir, waitFor } from './helpers/process';
import { ROOT } from './helpers/run';

// Seen by the task through the waiter's environment.
process.env.MC_NATIVE_TEST = 'inherited';

const tempDir = (t: tap.Test): string => testDir(t, 'mc-native-');

/** How long a test waits for a process to show up or go. */
const WAIT_MS = 5000;

/** Starts the waiter with a fresh status file as its fd 3. */
function startWaiter(t: tap.Test, task: string[]) {
  const statusPath = join(tempDir(t), 'status');
  const statusFd = openSync(statusPath, 'w', 0o600);
  const child = spawn(waiterPath(), ['3', '-', ...task], { stdio: ['ignore', 'pipe', 'pipe', statusFd] });
  closeSync(statusFd);
  // SIGTERM, which the waiter forwards: killing it outright would orphan the task.
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return { child, done: finishedText(child), status: () => readFileSync(statusPath, 'utf8') };
}

/** The first child of `pid` that runs `comm`. */
function taskOf(pid: number, comm: string): Promise<ProcStat> {
  return waitFor(`${comm} under ${pid}`, () => childrenOf(pid).find((stat) => stat.comm === comm), WAIT_MS);
}

t.test('waiter', async (t) => {
  t.test('exit code 3 is recorded as 768', async (t) => {
    const waiter = startWaiter(t, ['/bin/sh', 'sh', '-c', 'exit 3']);
    const result = await waiter.done;
    t.equal(result.code, 0);
    t.equal(waiter.status(), '768');
    t.equal(result.stderr, '');
  });

  t.test('a task killed by SIGKILL is recorded as 9', async (t) => {
    const waiter = startWaiter(t, ['/bin/sh', 'sh', '-c', 'kill -9 $$']);
    const result = await waiter.done;
    t.equal(result.code, 0);
    t.equal(waiter.status(), '9');
  });

  t.test('success is 0, and the task inherits stdout and the environment', async (t) => {
    const waiter = startWaiter(t, ['/bin/sh', 'sh', '-c', 'echo "$MC_NATIVE_TEST"']);
    const result = await waiter.done;
    t.equal(result.code, 0);
    t.equal(waiter.status(), '0');
    t.equal(result.stdout, 'inherited\n');
  });

  t.test('/bin/true', async (t) => {
    const waiter = startWaiter(t, ['/bin/true', 'true']);
    const result = await waiter.done;
    t.equal(result.code, 0);
    t.equal(waiter.status(), '0');
  });

  t.test('the status fd is not leaked to the task', async (t) => {
    const waiter = startWaiter(t, ['/bin/ls', 'ls', '-l', '/proc/self/fd']);
    const result = await waiter.done;
    t.equal(waiter.status(), '0');
    const targets = [...result.stdout.matchAll(/ -> (.*)$/gm)].map(([, target]) => target);
    t.ok(targets.length >= 3, 'ls listed its fds');
    t.notOk(targets.some((target) => target!.endsWith('/status')), 'no fd names the status file');
  });

  t.test('SIGTERM is forwarded to the task', async (t) => {
    const waiter = startWaiter(t, ['/bin/sleep', 'sleep', '30']);
    await taskOf(waiter.child.pid!, 'sleep');
    waiter.child.kill('SIGTERM');
    const result = await waiter.done;
    t.equal(result.code, 0);
    t.equal(result.signal, null);
    t.equal(waiter.status(), '15');
  });

  t.test('orphans of the task are adopted and reaped', async (t) => {
    // The subshell exits at once, orphaning its `sleep 0.3`, while the task
    // itself lives on for a while.
    const waiter = startWaiter(t, ['/bin/sh', 'sh', '-c', '(sleep 0.3 &); sleep 1.5']);
    const pid = waiter.child.pid!;
    const shell = await taskOf(pid, 'sh');
    const orphan = await waitFor(
      'the orphan to be adopted',
      () => childrenOf(pid).find((stat) => stat.pid !== shell.pid && stat.comm === 'sleep'),
      WAIT_MS,
    );
    t.pass(`sleep ${orphan.pid} was reparented to the waiter`);
    // Gone from /proc altogether means reaped, not left a zombie.
    await waitFor('the orphan to be reaped', () => (procStat(orphan.pid) === undefined ? true : undefined), 1000);
    t.ok(procStat(shell.pid) !== undefined, 'while the task still runs');
    t.same(
      childrenOf(pid).filter((stat) => stat.state === 'Z'),
      [],
      'no zombie children',
    );
    const result = await waiter.done;
    t.equal(result.code, 0);
    t.equal(waiter.status(), '0');
  });

  t.test('a task that exits leaving a background child', async (t) => {
    const waiter = startWaiter(t, ['/bin/sh', 'sh', '-c', 'sleep 0.2 & exit 0']);
    const pid = waiter.child.pid!;
    const result = await waiter.done;
    t.equal(result.code, 0);
    t.equal(waiter.status(), '0');
    t.same(childrenOf(pid), [], 'nothing is left with the waiter as parent');
  });

  t.test('a missing program is a failed launch: 256, exit 1 and one line on stderr', async (t) => {
    const waiter = startWaiter(t, ['/nonexistent/program', 'program']);
    const result = await waiter.done;
    t.equal(result.code, 1);
    t.equal(waiter.status(), '256');
    t.equal(result.stderr, "Failed to execute '/nonexistent/program': No such file or directory\n");
  });

  t.test('stays small in memory', async (t) => {
    const waiter = startWaiter(t, ['/bin/sleep', 'sleep', '30']);
    const pid = waiter.child.pid!;
    await taskOf(pid, 'sleep');
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
    t.ok(line, 'VmRSS is reported');
    const rss = Number(line![1]);
    t.comment(`waiter VmRSS: ${rss} kB`);
    t.ok(rss > 0 && rss <= 4096, `VmRSS ${rss} kB <= 4096 kB`);
    waiter.child.kill('SIGTERM');
    await waiter.done;
  });

  t.test('bad usage', async (t) => {
    const usages = [[], ['3', '-', '/bin/true'], ['x', '-', '/bin/true', 'true'], ['-1', '-', '/bin/true', 'true'], ['-', '7', '/bin/true', 'true']];
    for (const args of usages) {
      const result = await finishedText(spawn(waiterPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] }));
      t.equal(result.code, 1, `exit 1 for ${JSON.stringify(args)}`);
      t.match(result.stderr, /^[^\n]+\n$/, 'one line on stderr');
    }
    // A closed status fd is refused before anything runs.
    const result = await finishedText(
      spawn(waiterPath(), ['9', '-', '/bin/true', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    t.equal(result.code, 1);
    t.equal(result.stderr, "Invalid status fd '9': Bad file descriptor\n");
  });
});

t.test('the addon: exit handlers and a clean exec', async (t) => {
  // The wrapper, bundled the way dist/ bundles it, placed in a tree that
  // mirrors the package layout so its upward search finds the library.
  const { helper: bundle } = bundleWithAddon(tempDir(t), { helper: 'native/libc.ts' });
  t.ok(existsSync(bundle));

  /** Runs `script` in a fresh Node with `helper` bound to the wrapper. */
  function node(script: string, stdio: Array<'pipe' | 'ignore' | number>, args: string[] = []) {
    const prelude = `const helper = require(${JSON.stringify(bundle)});\n`;
    return spawn(process.execPath, ['-e', prelude + script, ...args], {
      stdio,
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
    });
  }

  function statusFile(t: tap.Test) {
    const path = join(tempDir(t), 'status');
    const fd = openSync(path, 'w', 0o600);
    t.teardown(() => closeSync(fd));
    return { fd, read: () => readFileSync(path, 'utf8') };
  }

  // Handlers on, then the main thread blocks in read(2) in the addon, where
  // no JavaScript listener could run.
  const blockedInRead = `
    helper.installExitHandlers(3);
    require('fs').writeSync(1, 'ready\\n');
    helper.readSome(0, new Uint8Array(1));
    process.exit(7);
  `;

  for (const [signal, expected] of [
    ['TERM', '15'],
    [40, '40'],
  ] as const) {
    t.test(`a signal (${signal}) during a blocking read writes ${expected} and exits 1`, async (t) => {
      const status = statusFile(t);
      const child = node(blockedInRead, ['pipe', 'pipe', 'pipe', status.fd]);
      t.teardown(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      const done = finishedText(child);
      await new Promise<void>((ready) => child.stdout!.once('data', () => ready()));
      await sleep(50);
      // By number through the shell: Node's kill() knows no realtime signals.
      execFileSync('/bin/sh', ['-c', `kill -${signal} ${child.pid}`]);
      const result = await done;
      t.equal(result.code, 1);
      t.equal(result.signal, null);
      t.equal(status.read(), expected);
    });
  }

  t.test('without a status fd a signal still means exit 1', async (t) => {
    const child = node(blockedInRead.replace('installExitHandlers(3)', 'installExitHandlers(-1)'), [
      'pipe',
      'pipe',
      'pipe',
    ]);
    const done = finishedText(child);
    await new Promise<void>((ready) => child.stdout!.once('data', () => ready()));
    child.kill('SIGHUP');
    const result = await done;
    t.equal(result.code, 1);
  });

  // What the exec'd program gets: each script reports what Node had first.
  const before = `
    const fs = require('fs');
    const ignored = fs.readFileSync('/proc/self/status', 'utf8').match(/^SigIgn:\\s*(\\S+)$/m)[1];
    fs.writeSync(2, 'ignored ' + ignored + ' fds ' + fs.readdirSync('/proc/self/fd').length + '\\n');
  `;

  t.test('exec resets ignored signals and keeps every signal blocked for the program to unblock', async (t) => {
    const result = await finishedText(
      node(
        `${before}
        helper.execClean('/bin/grep', ['grep', '-E', '^(SigIgn|SigBlk):', '/proc/self/status'], []);`,
        ['ignore', 'pipe', 'pipe'],
      ),
    );
    const ignored = result.stderr.match(/^ignored (\S+)/)?.[1];
    t.not(BigInt(`0x${ignored}`) & (1n << 12n), 0n, 'Node itself ignores SIGPIPE');
    t.equal(result.code, 0);
    const [blocked, ignoredAfter] = result.stdout.trim().split('\n');
    t.equal(ignoredAfter, 'SigIgn:\t0000000000000000');
    const mask = BigInt(`0x${blocked!.replace(/^SigBlk:\s*/, '')}`);
    for (const signal of [1, 2, 15, 17, 31]) t.not(mask & (1n << BigInt(signal - 1)), 0n, `signal ${signal} is blocked`);
  });

  t.test('exec closes every fd but stdio', async (t) => {
    const status = statusFile(t);
    const extra = openSync('/dev/null', 'r');
    t.teardown(() => closeSync(extra));
    const result = await finishedText(
      node(`${before} helper.execClean('/bin/ls', ['ls', '/proc/self/fd'], []);`, [
        'ignore',
        'pipe',
        'pipe',
        status.fd,
        extra,
      ]),
    );
    const fds = Number(result.stderr.match(/ fds (\d+)/)?.[1]);
    t.ok(fds > 5, `Node had ${fds} fds open`);
    t.equal(result.code, 0);
    // 3 is ls's own handle on the directory.
    t.same(result.stdout.trim().split('\n'), ['0', '1', '2', '3']);
  });

  t.test('exec keeps the fds it is asked to keep open', async (t) => {
    const kept = join(tempDir(t), 'kept');
    const keptFd = openSync(kept, 'w');
    t.teardown(() => closeSync(keptFd));
    const extra = openSync('/dev/null', 'r');
    t.teardown(() => closeSync(extra));
    const result = await finishedText(
      node(`helper.execClean('/bin/ls', ['ls', '-l', '/proc/self/fd'], [], [4]);`, [
        'ignore',
        'pipe',
        'pipe',
        extra,
        keptFd,
      ]),
    );
    t.equal(result.code, 0);
    const links = new Map(
      [...result.stdout.matchAll(/ (\d+) -> (.*)$/gm)].map(([, fd, target]) => [Number(fd), target]),
    );
    t.same([...links.keys()].sort(), [0, 1, 2, 3, 4]);
    t.equal(links.get(4), kept, 'fd 4 is the kept file');
    t.not(links.get(3), '/dev/null', 'fd 3 (the other inherited one) was closed');
  });

  t.test('exec passes exactly the given environment', async (t) => {
    const result = await finishedText(
      node(`helper.execClean('/usr/bin/env', ['env'], ['ONLY=this']);`, ['ignore', 'pipe', 'pipe']),
    );
    t.equal(result.code, 0);
    t.equal(result.stdout, 'ONLY=this\n');
  });

  t.test('a failed exec throws naming the path and the reason', async (t) => {
    const result = await finishedText(
      node(
        `try { helper.execClean('/nonexistent/program', ['program'], []); }
         catch (error) { process.stderr.write(error.message + '\\n'); process.exit(3); }`,
        ['ignore', 'pipe', 'pipe'],
      ),
    );
    t.equal(result.code, 3);
    t.equal(result.stderr, "execve '/nonexistent/program': No such file or directory\n");
  });

  t.test('a closed fd to keep is reported as such', async (t) => {
    const result = await finishedText(
      node(
        `const fs = require('fs');
         const closed = fs.openSync('/dev/null', 'r');
         fs.closeSync(closed);
         try { helper.execClean('/bin/true', ['true'], [], [closed]); }
         catch (error) { process.stderr.write(error.message + '\\n'); process.exit(3); }`,
        ['ignore', 'pipe', 'pipe'],
      ),
    );
    t.equal(result.code, 3);
    t.match(result.stderr, /^fcntl fd \d+: Bad file descriptor\n$/);
  });

  t.test('waiterPath finds the built program', async (t) => {
    t.equal(waiterPath(), join(ROOT, 'native', 'build', 'waiter'));
  });
});

t.test('the clone program: signals', async (t) => {
  const clone = join(ROOT, 'native', 'build', 'clone');
  /** Gone from /proc, or a zombie nobody reaps: either way it runs no more. */
  const ended = (pid: number) => {
    const stat = procStat(pid);
    return stat === undefined || stat.state === 'Z' || stat.state === 'X';
  };
  /** Pids of running processes whose command line is exactly `argv`. */
  const running = (argv: readonly string[]) =>
    readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((name) => {
        try {
          return readFileSync(`/proc/${name}/cmdline`, 'utf8') === `${argv.join('\0')}\0`;
        } catch {
          return false;
        }
      })
      .map(Number);
  const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const nonce = () => `${process.pid}${Math.floor(Math.random() * 1e6)}`;

  t.test('a SIGTERM at any moment after start is never lost', async (t) => {
    // The attack on the old order: a signal between the handlers' install
    // and the mask that held it found no child and was dropped, leaving
    // the program and its child running. Now every signal is held from the
    // first instruction until there is a child to pass it to.
    const RUNS = 120;
    const outcomes = new Map<string, number>();
    for (let i = 0; i < RUNS; i++) {
      const argv = ['sleep', `1000.${nonce()}`];
      const child = spawn(clone, ['0', '3', '--', ...argv], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
      // From 0 to 3 ms after the exec: before, during and after the set-up.
      pause((i % 31) / 10);
      child.kill('SIGTERM');
      const exit = await Promise.race([
        new Promise<string>((done) => child.once('exit', (code, signal) => done(signal ?? `exit ${code}`))),
        sleep(WAIT_MS).then(() => 'still running'),
      ]);
      if (exit === 'still running') {
        child.kill('SIGKILL');
        for (const pid of running(argv)) killQuietly(pid);
      }
      outcomes.set(exit, (outcomes.get(exit) ?? 0) + 1);
      t.not(exit, 'still running', `run ${i}: the program ended`);
      t.same(running(argv), [], `run ${i}: no child is left running`);
    }
    t.comment(`outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    // Killed before it could hold signals, or its child killed by the forwarded one.
    t.same(
      [...outcomes.keys()].filter((outcome) => outcome !== 'SIGTERM' && outcome !== 'exit 143'),
      [],
      'each run ended by SIGTERM itself, or with 143 from its child killed by it',
    );
  });

  /**
   * A Node agent that starts the clone program (holding the read end of its
   * pid pipe, as the real agent does), prints the program's pid and then,
   * after `delayMs` or once the child's pid came, dies by SIGKILL.
   */
  function agent(argv: readonly string[], when: number | 'after the pid') {
    const script = `
      const { spawn } = require('child_process');
      const { writeSync } = require('fs');
      const c = spawn(${JSON.stringify(clone)}, ['0', '3', '--', ...${JSON.stringify(argv)}], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
      writeSync(1, c.pid + '\\n');
      const die = () => process.kill(process.pid, 'SIGKILL');
      if (${JSON.stringify(when)} === 'after the pid') c.stdio[3].once('data', (pid) => { writeSync(1, pid + '\\n'); die(); });
      else { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${typeof when === 'number' ? when : 0}); die(); }
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    return finishedText(child);
  }

  t.test("the agent's death kills the child", async (t) => {
    const argv = ['sleep', `1000.${nonce()}`];
    const result = await agent(argv, 'after the pid');
    t.equal(result.signal, 'SIGKILL', 'the agent died');
    const [clonePid, childPid] = result.stdout.trim().split('\n').map(Number);
    t.ok(clonePid! > 0 && childPid! > 0, `the program (${clonePid}) reported its child (${childPid})`);
    await waitFor('the child to end', () => (ended(childPid!) ? true : undefined), WAIT_MS);
    await waitFor('the clone program to end', () => (ended(clonePid!) ? true : undefined), WAIT_MS);
    t.same(running(argv), [], 'nothing is left running');
  });

  t.test('an agent that dies at once leaves nothing running', async (t) => {
    // Sometimes before the program watches for it (PR_SET_PDEATHSIG), even
    // before its first instruction: then the pid pipe, which nobody reads
    // any more, or the changed parent tells.
    for (let i = 0; i < 30; i++) {
      const argv = ['sleep', `1000.${nonce()}`];
      const result = await agent(argv, (i % 10) / 5);
      const clonePid = Number(result.stdout.trim().split('\n')[0]);
      t.ok(clonePid > 0, `run ${i}: the program started`);
      const gone = await waitFor('the clone program to end', () => (ended(clonePid) ? true : undefined), WAIT_MS).catch(
        () => false,
      );
      t.ok(gone, `run ${i}: the program ended`);
      const left = running(argv);
      for (const pid of left) killQuietly(pid);
      t.same(left, [], `run ${i}: no child is left running`);
    }
  });
});
