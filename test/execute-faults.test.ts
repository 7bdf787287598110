// mesos-execute with its local cluster, as a demanding user treats it (as
// root): the task's bytes pass through exactly while our lines go to
// stderr; a reader that stops reading stdout or stderr never holds up a
// kill; lines that can't be written fail the run; a closed terminal
// (SIGHUP, then EIO) kills the task and ends the program cleanly; a second
// Ctrl-C kills at once; after a SIGKILL the next run removes what was left.
// Each run works under a TMPDIR of its own, so that its cluster's work
// directory and cgroups can be told from any other. Run `npm run build`
// first.
import t, { type Test } from 'tap';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prctl } from '../native/libc';
import { statFields } from '../src/subcommand/proc-stat';
import { agentCgroups, cgroupsRootFor } from '../src/agent/work-dir';
import { childrenOf, finished, processesInNamespace, procStat, sleep, testDir, waitFor } from './helpers/process';
import { cleanEnv, EXECUTE, isRoot } from './helpers/run';

const PR_SET_CHILD_SUBREAPER = 36;

/** A TMPDIR of the test's own, and what the clusters under it made. */
class Sandbox {
  readonly tmp: string;
  /** The agents' cgroup names seen while a run went on. */
  private readonly cgroupRoots = new Set<string>();

  constructor(t: Test) {
    this.tmp = realpathSync(testDir(t, 'execute-faults-'));
  }

  get env(): NodeJS.ProcessEnv {
    return cleanEnv({ TMPDIR: this.tmp });
  }

  private get workRoot(): string {
    return join(this.tmp, 'mesos', 'work');
  }

  /** The clusters' work directories now. */
  clusters(): string[] {
    try {
      return readdirSync(this.workRoot).map((name) => join(this.workRoot, name));
    } catch {
      return [];
    }
  }

  /** Notes the agents' cgroup names of the clusters there now. */
  look(): void {
    for (const cluster of this.clusters()) {
      try {
        for (const agent of readdirSync(join(cluster, 'agents'))) this.cgroupRoots.add(cgroupsRootFor(join(cluster, 'agents', agent, 'work')));
      } catch {
        // Not made yet, or gone already.
      }
    }
  }

  /** Notes cgroup names every few ms while `child` runs. */
  watch(child: ChildProcess): void {
    const timer = setInterval(() => this.look(), 10);
    child.once('close', () => clearInterval(timer));
  }

  /** What is left: work directories and the agents' cgroups. */
  leftovers(): string[] {
    const cgroups = [...this.cgroupRoots].flatMap((root) => agentCgroups(root)).filter((path) => existsSync(path));
    return [...this.clusters(), ...cgroups];
  }
}

function start(sandbox: Sandbox, args: string[], stdio: Array<'pipe' | 'ignore' | number> = ['ignore', 'pipe', 'pipe']): ChildProcess {
  const child = spawn(EXECUTE, args, { env: sandbox.env, stdio: stdio as never });
  sandbox.watch(child);
  return child;
}

function killOnTeardown(t: Test, child: ChildProcess): void {
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/** Resolves once `text` has come on `stream`, with everything read so far. */
function seen(stream: NodeJS.ReadableStream, text: string | RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let all = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      all += chunk;
      if (typeof text === 'string' ? all.includes(text) : text.test(all)) resolve(all);
    });
    stream.once('end', () => reject(new Error(`the output ended without ${String(text)}: ${all}`)));
  });
}

const rootOnly = { skip: !isRoot && 'needs root (namespaces, mounts and cgroups)' };

t.test("the task's bytes pass through exactly; our lines go to stderr", rootOnly, async (t) => {
  const sandbox = new Sandbox(t);
  const data = join(sandbox.tmp, 'data');
  writeFileSync(data, randomBytes(3 * 1024 * 1024));
  const child = start(sandbox, ['--name=bytes', `--command=cat ${data}; echo to-stderr >&2`]);
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  let lines = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (lines += chunk));
  const { code } = await finished(child);
  t.equal(code, 0, lines);
  const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
  t.equal(md5(Buffer.concat(chunks)), md5(readFileSync(data)), "stdout is the task's, byte for byte");
  t.match(lines, /^Subscribed with ID .*\nSubmitted task 'bytes' to agent /);
  t.match(lines, /^to-stderr$/m, "the task's stderr passes through");
  t.match(lines, /Received status update TASK_FINISHED for task 'bytes'\n  message: 'Command exited with status 0'\n  source: SOURCE_EXECUTOR\n$/);
  t.same(sandbox.leftovers(), [], 'nothing left');
});

t.test('a reader that stops reading stdout does not hold up --kill_after', rootOnly, async (t) => {
  const sandbox = new Sandbox(t);
  // Nobody reads the pipe: the task blocks in write once it is full.
  const child = start(sandbox, ['--name=flood', '--command=yes', '--kill_after=1secs']);
  killOnTeardown(t, child);
  const lines = seen(child.stderr!, 'TASK_RUNNING');
  const started = Date.now();
  const exit = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const took = Date.now() - started;
  t.equal(exit, 1);
  t.ok(took < 8000, `killed and ended in ${took} ms: the kill never waited on the reader`);
  t.match(await Promise.race([lines, sleep(1000).then(() => '')]), /TASK_RUNNING/);
  child.stdout!.destroy();
  await waitFor('the cluster to be gone', () => (sandbox.leftovers().length === 0 ? true : undefined), 5000).catch(() => undefined);
  t.same(sandbox.leftovers(), [], 'nothing left');
});

t.test('a reader that stops reading our lines (stderr) does not hold up --kill_after', rootOnly, async (t) => {
  const sandbox = new Sandbox(t);
  // The task fills the stderr pipe, so that none of our later lines gets in.
  const child = start(sandbox, ['--name=quiet', '--command=head -c 1000000 /dev/zero >&2; sleep 60', '--kill_after=1secs']);
  killOnTeardown(t, child);
  child.stdout!.resume();
  const started = Date.now();
  const exit = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const took = Date.now() - started;
  t.equal(exit, 1, 'the lines that could not be written fail the run');
  t.ok(took < 10_000, `killed and ended in ${took} ms`);
  child.stderr!.destroy();
  t.same(sandbox.leftovers(), [], 'nothing left');
});

t.test('a full stderr fails a run whose task finished', rootOnly, async (t) => {
  const sandbox = new Sandbox(t);
  const full = openSync('/dev/full', 'w');
  t.teardown(() => closeSync(full));
  const child = start(sandbox, ['--name=full', '--command=true'], ['ignore', 'ignore', full]);
  const { code } = await finished(child);
  t.equal(code, 1);
  t.same(sandbox.leftovers(), [], 'nothing left');
});

t.test('a second Ctrl-C kills at once, without the grace period', rootOnly, async (t) => {
  const sandbox = new Sandbox(t);
  const child = start(sandbox, ['--name=stubborn', '--command=trap "" TERM; while :; do sleep 0.1; done']);
  killOnTeardown(t, child);
  child.stdout!.resume();
  const lines = seen(child.stderr!, 'TASK_RUNNING');
  let all = await lines;
  child.stderr!.on('data', (chunk: string) => (all += chunk));
  child.kill('SIGINT');
  await waitFor('TASK_KILLING', () => (all.includes('TASK_KILLING') ? true : undefined));
  const second = Date.now();
  child.kill('SIGINT');
  const { code } = await finished(child);
  const took = Date.now() - second;
  t.equal(code, 1);
  t.ok(took < 2500, `ended ${took} ms after the second Ctrl-C, before the 3 s grace period`);
  t.match(all, /TASK_KILLED for task 'stubborn'\n  message: 'Command terminated with signal Killed'/);
  t.same(sandbox.leftovers(), [], 'nothing left');
});

/** /proc/<pid>/stat's exit_code (field 52): the wait status of a zombie. */
function zombieStatus(pid: number): number | undefined {
  try {
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return fields[0] === 'Z' ? Number(fields[49]) : undefined;
  } catch {
    return undefined;
  }
}

t.test('closing the terminal (SIGHUP, then EIO) kills the task and ends cleanly', { skip: rootOnly.skip || (!existsSync('/usr/bin/script') && 'no script(1)') }, async (t) => {
  const sandbox = new Sandbox(t);
  // Orphans come to us: mesos-execute's exit status can be read once its terminal's owner is gone.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  t.teardown(() => void prctl(PR_SET_CHILD_SUBREAPER, 0));
  const terminal = spawn('script', ['-qfec', `exec ${EXECUTE} --name=hup --command='echo "pidns=$(readlink /proc/self/ns/pid)"; exec sleep 60'`, '/dev/null'], {
    env: sandbox.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  sandbox.watch(terminal);
  killOnTeardown(t, terminal);
  // The task's line and ours come in either order.
  const output = await seen(terminal.stdout, /^(?=[^]*TASK_RUNNING)(?=[^]*pidns=pid:\[\d+\])/);
  const execute = await waitFor('mesos-execute', () => childrenOf(terminal.pid!).find((child) => child.comm !== 'script'));
  t.teardown(() => {
    if (procStat(execute.pid)?.state !== 'Z') process.kill(execute.pid, 'SIGKILL');
  });
  sandbox.look();
  // The terminal's owner dies: the terminal hangs up.
  terminal.kill('SIGKILL');
  const status = await waitFor('mesos-execute to end', () => zombieStatus(execute.pid), 15_000);
  const ended = Date.now();
  t.equal(status & 0x7f, 0, `it exited rather than dying of a signal (wait status ${status})`);
  t.equal(status >> 8, 1, 'exit status 1: the task was killed');
  const namespace = /pidns=(\S+)/.exec(output)?.[1];
  t.ok(namespace, 'the task said where it ran');
  // Orphans of ours are zombies until this process ends: only the living count.
  const living = () => processesInNamespace(namespace!, ended).filter((entry) => procStat(Number(entry.split(' ')[0]))?.state !== 'Z');
  t.same(living(), [], "no process of the task's is left");
  t.same(sandbox.leftovers(), [], 'nothing left');
});

t.test('after a SIGKILL of mesos-execute, the next run removes what it left', rootOnly, async (t) => {
  const sandbox = new Sandbox(t);
  const child = start(sandbox, ['--name=victim', '--command=exec sleep 60']);
  killOnTeardown(t, child);
  child.stdout!.resume();
  await seen(child.stderr!, 'TASK_RUNNING');
  sandbox.look();
  child.kill('SIGKILL');
  await finished(child);
  t.equal(sandbox.clusters().length, 1, "the killed run's work directory is still there");
  const next = start(sandbox, ['--name=next', '--command=true'], ['ignore', 'ignore', 'ignore']);
  t.equal((await finished(next)).code, 0);
  t.same(sandbox.leftovers(), [], "the next run removed the work directory and the cgroups");
});
