// --exec_notify_fd: how an agent learns that the task itself has started.
// The fd stays open until the task's own execve closes it; when the launch
// fails before that, it gets 'F' first. Run `npm run build` first.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ControlPipe, exited, helperEnv, readStatus, WITHOUT_TAP } from './helpers/fuzz';
import { sleep, testDir } from './helpers/process';
import { CONTAINERIZER, isRoot } from './helpers/run';

const NOTIFY_FD = 3;

interface Notified {
  /** What came before end of file. */
  bytes: string;
  /** Whether the helper was still running when end of file came. */
  helperRunning: boolean;
  code: number | null;
  stderr: string;
}

/** `launch` with fd 3 as the notification fd (and fds 4 and 5 as a control pipe when `pipe` is given). */
async function launch(args: string[], options: { pipe?: ControlPipe; env?: Record<string, string>; beforeGoAhead?: (pid: number) => Promise<void> } = {}): Promise<Notified> {
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', 'pipe'];
  if (options.pipe !== undefined) stdio.push(options.pipe.readEnd, options.pipe.writeEnd);
  const child = spawn(WITHOUT_TAP[0]!, [...WITHOUT_TAP.slice(1), process.execPath, CONTAINERIZER, 'launch', `--exec_notify_fd=${NOTIFY_FD}`, ...args], {
    env: helperEnv(options.env ?? {}),
    stdio,
  });
  options.pipe?.release();
  const done = exited(child);
  let running = true;
  void done.then(() => (running = false));
  const notify = child.stdio[NOTIFY_FD] as Readable;
  let bytes = '';
  notify.on('data', (chunk: Buffer) => (bytes += chunk.toString()));
  const ended = new Promise<boolean>((resolve) => notify.once('end', () => resolve(running)));
  if (options.beforeGoAhead !== undefined) await options.beforeGoAhead(child.pid!);
  options.pipe?.send();
  const helperRunning = await ended;
  const result = await done;
  return { bytes, helperRunning, code: result.code, stderr: result.stderr };
}

const info = (command: object, extra: object = {}) => `--launch_info=${JSON.stringify({ command, ...extra })}`;

t.test('the exec notification fd', { skip: isRoot ? false : 'needs root' }, async (t) => {
  const dir = testDir(t, 'mc-notify-');

  t.test('a task that starts: end of file, no byte, while the task still runs', async (t) => {
    for (const withStatus of [false, true]) {
      const runtime = join(dir, `ok-${withStatus}`);
      mkdirSync(runtime);
      const extra = withStatus ? [`--runtime_directory=${runtime}`] : [];
      const result = await launch([info({ shell: false, value: '/bin/sleep', arguments: ['sleep', '0.5'] }), ...extra]);
      t.equal(result.bytes, '', `no byte (runtime directory: ${withStatus})`);
      t.ok(result.helperRunning, 'end of file came while the task ran');
      t.equal(result.code, 0);
      if (withStatus) t.equal(readStatus(runtime), '0');
    }
  });

  t.test('a pre-exec command that leaves a process behind does not hold the fd open', async (t) => {
    const started = Date.now();
    let endedAt = 0;
    const result = await launch([
      info({ shell: false, value: '/bin/sleep', arguments: ['sleep', '0.3'] }, { pre_exec_commands: [{ value: 'sleep 3 >/dev/null 2>&1 &' }] }),
    ]).then((value) => {
      endedAt = Date.now();
      return value;
    });
    t.equal(result.bytes, '');
    t.ok(result.helperRunning, 'end of file came while the task ran, not when the leftover process ended');
    t.ok(endedAt - started < 2500, `over in ${endedAt - started} ms`);
  });

  t.test("a launch that fails before the task's exec: 'F', then end of file", async (t) => {
    const runtime = join(dir, 'missing');
    mkdirSync(runtime);
    const cases: Array<[string, string[]]> = [
      ['a missing program, with a runtime directory (the waiter fails)', [info({ shell: false, value: '/nonexistent' }), `--runtime_directory=${runtime}`]],
      ['a missing program, exec in place', [info({ shell: false, value: '/nonexistent' })]],
      ['a pre-exec command that fails (launch itself fails)', [info({ value: 'true' }, { pre_exec_commands: [{ value: 'exit 3' }] })]],
      ['an rlimit above what this process may set (the drop fails)', [info({ value: 'true' }, { user: 'nobody', rlimits: { rlimits: [{ type: 'RLMT_NOFILE', soft: 100000000, hard: 100000000 }] } })]],
      ['flags that cannot be loaded', ['--no_such_flag=1']],
    ];
    for (const [name, args] of cases) {
      const result = await launch(args);
      t.equal(result.bytes, 'F', `${name}: ${result.stderr.trim()}`);
      t.equal(result.code, 1, name);
    }
    t.equal(readStatus(runtime), '256');
  });

  t.test("a signal while launch waits for the agent: 'F'", async (t) => {
    const runtime = join(dir, 'signal');
    mkdirSync(runtime);
    const pipe = new ControlPipe(join(dir, 'fifo'));
    const result = await launch([info({ value: 'true' }), `--runtime_directory=${runtime}`, '--pipe_read=4', '--pipe_write=5'], {
      pipe,
      beforeGoAhead: async (pid) => {
        // Once launch handles signals, as the agent's kill does.
        const { catchesEverySignal } = await import('../src/agent/standalone/task');
        for (let i = 0; i < 500 && !catchesEverySignal(pid); i++) await sleep(5);
        process.kill(pid, 'SIGTERM');
        await sleep(50);
      },
    });
    t.equal(result.bytes, 'F');
    t.equal(readStatus(runtime), '15');
  });
});
