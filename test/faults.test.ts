// Faults around `launch`, as root: the agent's control pipe going away
// before, during and after the handshake; every catchable signal at each
// phase (waiting for the agent, running a pre-exec command, waiting for the
// task); a runtime directory that can't take the status file; a pre-exec
// command killed from outside; and a task that leaves children behind.
// Run `npm run build` first.
import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINERIZER, isRoot } from './helpers/run';
import {
  ControlPipe,
  describe,
  exited,
  type Exited,
  helperEnv,
  pool,
  readStatus,
  spawnContainerizer,
  WITHOUT_TAP,
} from './helpers/fuzz';
import { blockedReading, childrenOf, killQuietly, openFds, sleep, tempDir, waitFor } from './helpers/process';

/** How long an exited child may wait to be reaped before it counts as left a zombie. */
const ZOMBIE_GRACE_MS = 250;

/** Every signal a process can catch, minus SIGCHLD and glibc's own 32 and 33. */
const CATCHABLE = Array.from({ length: 64 }, (_, i) => i + 1).filter((n) => ![9, 17, 19, 32, 33].includes(n));
/** How many launches run at once in the signal loops. */
const WIDTH = 4;

/** Sends signal number `n` the way an operator would: Node's kill() knows no realtime signals. */
function sendSignal(pid: number, n: number): void {
  execFileSync('sh', ['-c', `kill -${n} ${pid}`], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** What one test started, undone at teardown whatever happened. */
class Leftovers {
  private readonly pids = new Set<number>();
  private readonly actions: Array<() => void> = [];
  private readonly running: Array<Promise<unknown>> = [];

  constructor(t: Test) {
    t.teardown(() => this.cleanup());
  }

  pid(pid: number | undefined): void {
    if (pid !== undefined) this.pids.add(pid);
  }

  add(action: () => void): void {
    this.actions.push(action);
  }

  wait(done: Promise<unknown>): void {
    this.running.push(done.catch(() => undefined));
  }

  async cleanup(): Promise<void> {
    for (const pid of this.pids) killQuietly(pid);
    await Promise.race([Promise.all(this.running), sleep(5000)]);
    for (const action of this.actions.reverse()) {
      try {
        action();
      } catch {
        // Keep undoing the rest.
      }
    }
  }
}

interface Launch {
  pid: number;
  dir: string;
  pipe?: ControlPipe;
  result: Promise<Exited>;
}

/** `launch --runtime_directory=<fresh dir>` plus `args`, optionally with a control pipe on fds 3 and 4. */
function startLaunch(left: Leftovers, args: readonly string[], options: { pipe?: boolean; prefix?: string[] } = {}): Launch {
  const dir = tempDir('mc-faults-');
  left.add(dir.cleanup);
  const pipe = options.pipe ? new ControlPipe(join(dir.path, 'control')) : undefined;
  if (pipe !== undefined) left.add(() => pipe.close());
  const child = spawnContainerizer(
    CONTAINERIZER,
    ['launch', `--runtime_directory=${dir.path}`, ...(pipe === undefined ? [] : ['--pipe_read=3', '--pipe_write=4']), ...args],
    {
      env: helperEnv(),
      cwd: dir.path,
      stdio: pipe === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', pipe.readEnd, pipe.writeEnd],
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    },
  );
  pipe?.release();
  if (child.pid === undefined) throw new Error('launch did not start');
  left.pid(child.pid);
  const result = exited(child);
  left.wait(result);
  return { pid: child.pid, dir: dir.path, ...(pipe === undefined ? {} : { pipe }), result };
}

const launchInfo = (value: string, extra: Record<string, unknown> = {}) =>
  `--launch_info=${JSON.stringify({ command: { value }, ...extra })}`;

/** Waits until the helper closed its write end and sits in read(2) on the pipe: its handlers are in place. */
async function waitForHandshake(launch: Launch): Promise<void> {
  await waitFor(`launch ${launch.pid} to block on the control pipe`, () =>
    blockedReading(launch.pid, 3) && !openFds(launch.pid).has(4) ? true : undefined,
  );
}

function hasStackTrace(stderr: string): boolean {
  return stderr.split('\n').some((line) => line.startsWith('    at '));
}

/** What a launch that a signal stopped before its task left: exit code, status, whether the task ran, a stack trace. */
function failureOutcome(result: Exited, launch: Launch, marker: string): string {
  const trace = hasStackTrace(result.stderr) ? ' stack trace' : '';
  return `exit=${result.code} status=${readStatus(launch.dir)} ran=${existsSync(marker)}${trace}`;
}

/** One assertion that what was `observed` for each of `signals` (in order) is what `expected` says for it. */
function sameForEverySignal(t: Test, signals: readonly number[], observed: readonly string[], expected: (n: number) => string): void {
  t.same(
    Object.fromEntries(signals.map((n, i) => [n, observed[i]])),
    Object.fromEntries(signals.map((n) => [n, expected(n)])),
    `${signals.length} signals`,
  );
}

t.test('faults', { skip: isRoot ? false : 'needs root' }, async (t) => {
  t.test('the agent closes the control pipe before launch starts', async (t) => {
    // The agent died before the helper even ran: the read gets end of file.
    const left = new Leftovers(t);
    const marker = join(tempDirFor(left), 'ran');
    const launch = startLaunch(left, [launchInfo(`touch ${marker}`)], { pipe: true });
    launch.pipe!.hangUp();
    const result = await launch.result;
    t.equal(result.code, 1, 'exit 1');
    t.equal(result.stderr, "Failed to synchronize with agent (it's probably exited)\n", 'one line on stderr');
    t.equal(readStatus(launch.dir), '256', 'status 256');
    t.notOk(existsSync(marker), 'the task did not run');
  });

  t.test('the agent closes the control pipe while launch waits on it', async (t) => {
    const left = new Leftovers(t);
    const marker = join(tempDirFor(left), 'ran');
    const launch = startLaunch(left, [launchInfo(`touch ${marker}`)], { pipe: true });
    await waitForHandshake(launch);
    launch.pipe!.hangUp();
    const result = await launch.result;
    t.equal(result.code, 1, 'exit 1');
    t.equal(result.stderr, "Failed to synchronize with agent (it's probably exited)\n", 'one line on stderr');
    t.equal(readStatus(launch.dir), '256', 'status 256');
    t.notOk(existsSync(marker), 'the task did not run');
  });

  t.test('the agent writes the byte, then closes the pipe: the launch goes on', async (t) => {
    const left = new Leftovers(t);
    const launch = startLaunch(left, [launchInfo('echo ran; exit 3')], { pipe: true });
    await waitForHandshake(launch);
    launch.pipe!.send();
    const result = await launch.result;
    t.equal(result.code, 0, `the waiter exits 0 ${describe(result)}`);
    t.equal(result.stdout, 'ran\n', 'the task ran');
    t.equal(readStatus(launch.dir), String(3 << 8), 'status 768: the task exited 3');
  });

  t.test('every catchable signal while waiting for the agent: status N, exit 1, the task never runs', async (t) => {
    const left = new Leftovers(t);
    const scratch = tempDirFor(left);
    const observed = await pool(CATCHABLE, WIDTH, async (n) => {
      const marker = join(scratch, `ran-${n}`);
      const launch = startLaunch(left, [launchInfo(`touch ${marker}`)], { pipe: true });
      await waitForHandshake(launch);
      sendSignal(launch.pid, n);
      const result = await launch.result;
      return failureOutcome(result, launch, marker);
    });
    sameForEverySignal(t, CATCHABLE, observed, (n) => `exit=1 status=${n} ran=false`);
  });

  t.test('every catchable signal during a pre-exec command: status N, exit 1, no hang', async (t) => {
    const left = new Leftovers(t);
    const scratch = tempDirFor(left);
    const observed = await pool(CATCHABLE, WIDTH, async (n) => {
      const marker = join(scratch, `ran-${n}`);
      const launch = startLaunch(left, [
        launchInfo(`touch ${marker}`, { pre_exec_commands: [{ shell: false, value: 'sleep', arguments: ['sleep', '30'] }] }),
      ]);
      const preExec = await waitFor(`the pre-exec command of ${launch.pid}`, () =>
        childrenOf(launch.pid).find((child) => child.comm === 'sleep'),
      );
      left.pid(preExec.pid);
      sendSignal(launch.pid, n);
      // exited() does not wait for the pipes the orphaned sleep still holds.
      const result = await launch.result;
      killQuietly(preExec.pid);
      return failureOutcome(result, launch, marker);
    });
    sameForEverySignal(t, CATCHABLE, observed, (n) => `exit=1 status=${n} ran=false`);
  });

  t.test('every catchable signal after the fork is forwarded to the task', async (t) => {
    // The task traps the signal and exits 100+N: its exit code proves that
    // this very signal reached it. The waiter records (100+N)<<8, exits 0.
    const left = new Leftovers(t);
    const scratch = tempDirFor(left);
    const observed = await pool(CATCHABLE, WIDTH, async (n) => {
      const ready = join(scratch, `ready-${n}`);
      const launch = startLaunch(left, [
        launchInfo(`ulimit -c 0; trap 'kill $! 2>/dev/null; exit ${100 + n}' ${n}; sleep 30 & touch ${ready}; wait`),
      ]);
      await waitFor(`task of ${launch.pid} to be ready`, () => (existsSync(ready) ? true : undefined));
      sendSignal(launch.pid, n);
      const result = await launch.result;
      return `exit=${result.code} status=${readStatus(launch.dir)}`;
    });
    sameForEverySignal(t, CATCHABLE, observed, (n) => `exit=0 status=${(100 + n) << 8}`);
  });

  t.test('a signal forwarded to a task that does not catch it ends the task with it', async (t) => {
    // Signals whose default action ends a process (stop, continue and
    // ignore-by-default ones are covered by the trapping task above).
    const signals = CATCHABLE.filter((n) => ![18, 20, 21, 22, 23, 28].includes(n));
    const left = new Leftovers(t);
    const observed = await pool(signals, WIDTH, async (n) => {
      const launch = startLaunch(left, [launchInfo('ulimit -c 0; exec sleep 30')]);
      await waitFor(`task of ${launch.pid} to exec sleep`, () =>
        childrenOf(launch.pid).some((child) => child.comm === 'sleep') ? true : undefined,
      );
      sendSignal(launch.pid, n);
      const result = await launch.result;
      const status = Number(readStatus(launch.dir));
      // A core dump would add 0x80; the signal number is the low 7 bits.
      return `exit=${result.code} signal=${status & 0x7f} exited=${(status & 0x7f) === 0}`;
    });
    sameForEverySignal(t, signals, observed, (n) => `exit=0 signal=${n} exited=false`);
  });

  t.test('a read-only runtime directory: the status file cannot be opened', async (t) => {
    // In a private mount namespace, so the host never sees the read-only bind.
    const left = new Leftovers(t);
    const runtime = tempDirFor(left);
    const marker = join(tempDirFor(left), 'ran');
    const child = spawn(
      WITHOUT_TAP[0]!,
      [...WITHOUT_TAP.slice(1), 'unshare', '-m', 'sh', '-c', 'mount --bind "$D" "$D" && mount -o remount,ro,bind "$D" && exec "$NODE" "$C" launch --runtime_directory="$D" "$INFO"'],
      {
        env: helperEnv({ D: runtime, NODE: process.execPath, C: CONTAINERIZER, INFO: launchInfo(`touch ${marker}`) }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    left.pid(child.pid);
    const result = await exited(child);
    t.equal(result.code, 1, 'exit 1');
    t.match(
      result.stderr,
      new RegExp(`^Failed to open file for writing the container status '${runtime}/status': .*Read-only file system\\n$`),
      'one line naming the file and the reason',
    );
    t.notOk(existsSync(marker), 'the task did not run');
    t.notOk(existsSync(join(runtime, 'status')), 'no status file appeared');
  });

  t.test('a full runtime directory: the task runs, the helper says the status could not be written', async (t) => {
    // A 4 KiB tmpfs, filled, in a private mount namespace: the status file
    // can be created but not written.
    const left = new Leftovers(t);
    const runtime = tempDirFor(left);
    const script = [
      'mount -t tmpfs -o size=4k tmpfs "$D" || exit 99',
      'dd if=/dev/zero of="$D/fill" bs=1024 count=64 2>/dev/null',
      '"$NODE" "$C" launch --runtime_directory="$D" "$INFO"',
      'echo "exit=$?"',
      'echo "status=[$(cat "$D/status")]"',
    ].join('\n');
    const child = spawn(WITHOUT_TAP[0]!, [...WITHOUT_TAP.slice(1), 'unshare', '-m', 'sh', '-c', script], {
      env: helperEnv({ D: runtime, NODE: process.execPath, C: CONTAINERIZER, INFO: launchInfo('echo ran') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    left.pid(child.pid);
    const result = await exited(child);
    t.equal(result.code, 0, `the script ran through ${describe(result)}`);
    t.equal(result.stdout, 'ran\nexit=1\nstatus=[]\n', 'the task ran; the waiter exited 1 (the checkpoint failed); the status is empty');
    t.match(result.stderr, /^Failed to write container status '0': No space left on device\n$/, 'one line saying so');
  });

  t.test('a pre-exec command killed from outside: the launch fails with one line', async (t) => {
    const left = new Leftovers(t);
    const scratch = tempDirFor(left);
    const forms = {
      exec: { shell: false, value: 'sleep', arguments: ['sleep', '30'] },
      shell: { value: 'sleep 30' },
    };
    for (const [form, command] of Object.entries(forms)) {
      const marker = join(scratch, `ran-${form}`);
      const json = JSON.stringify(command);
      const launch = startLaunch(left, [launchInfo(`touch ${marker}`, { pre_exec_commands: [command] })]);
      const preExec = await waitFor(`the pre-exec command of ${launch.pid}`, () => childrenOf(launch.pid)[0]);
      // Whatever the shell started goes too (some shells fork sleep, some exec it).
      const sleeper = await waitFor('sleep to start', () =>
        preExec.comm === 'sleep' ? preExec : childrenOf(preExec.pid).find((child) => child.comm === 'sleep'),
      );
      left.pid(sleeper.pid);
      killQuietly(preExec.pid, 'SIGKILL');
      const result = await launch.result;
      killQuietly(sleeper.pid);
      const lines = result.stderr.trimEnd().split('\n');
      t.equal(result.code, 1, `${form}: exit 1`);
      t.equal(readStatus(launch.dir), '256', `${form}: status 256`);
      t.same(
        lines,
        [`Executing pre-exec command '${json}'`, `Failed to execute pre-exec command '${json}': terminated with signal Killed`],
        `${form}: the note, then one line saying what failed`,
      );
      t.notOk(existsSync(marker), `${form}: the task did not run`);
    }
  });

  t.test('a task that leaves children behind: they are reaped, no zombies', async (t) => {
    const cases: Array<{ name: string; prefix?: string[] }> = [
      { name: 'in our pid namespace' },
      { name: 'as pid 1 of a new pid namespace', prefix: ['unshare', '-p', '-f', '--mount-proc'] },
    ];
    for (const { name, prefix } of cases) {
      const left = new Leftovers(t);
      // Two orphans die while the task still runs: the waiter (a subreaper)
      // must reap them as they go.
      const launch = startLaunch(left, [launchInfo('(sleep 0.2 &); (sleep 0.3 &); sleep 1.2; exit 0')], prefix === undefined ? {} : { prefix });
      const waiter =
        prefix === undefined
          ? launch.pid
          : (await waitFor('the waiter in the new pid namespace', () => childrenOf(launch.pid)[0])).pid;
      left.pid(waiter);
      // Watch the waiter's children until it exits: the orphans show up
      // there (proof that they were reparented to it), and none stays a
      // zombie. A child is a zombie for the instant between its exit and the
      // waiter's wait, so only one that lingers counts.
      const zombieSince = new Map<number, number>();
      const lingering = new Set<string>();
      const orphans = new Set<number>();
      let done = false;
      void launch.result.finally(() => (done = true));
      while (!done) {
        const now = Date.now();
        for (const child of childrenOf(waiter)) {
          if (child.state === 'Z') {
            const since = zombieSince.get(child.pid) ?? now;
            zombieSince.set(child.pid, since);
            if (now - since > ZOMBIE_GRACE_MS) lingering.add(`${child.pid} ${child.comm}`);
          } else if (child.comm === 'sleep') orphans.add(child.pid);
        }
        await sleep(5);
      }
      const result = await launch.result;
      t.ok(orphans.size >= 1, `${name}: the orphans were reparented to the waiter (saw ${orphans.size})`);
      t.same([...lingering], [], `${name}: no child of the waiter stayed a zombie while it ran`);
      t.equal(result.code, 0, `${name}: the waiter exits 0 ${describe(result)}`);
      t.equal(readStatus(launch.dir), '0', `${name}: status 0`);
    }

    // The orphan outlives the task.
    const left = new Leftovers(t);
    const launch = startLaunch(left, [launchInfo('(sleep 0.5 &); exit 0')]);
    const result = await launch.result;
    t.equal(result.code, 0, `orphan outliving the task: the waiter exits 0 ${describe(result)}`);
    t.equal(readStatus(launch.dir), '0', 'orphan outliving the task: status 0');
  });
});

/** A scratch directory that the test's teardown removes. */
function tempDirFor(left: Leftovers): string {
  const dir = tempDir('mc-faults-scratch-');
  left.add(dir.cleanup);
  return dir.path;
}
