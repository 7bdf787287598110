// `launch` end to end, as root: the real helper, started the way a Mesos
// agent starts it (modern `--launch_info`, on the command line and as
// MESOS_CONTAINERIZER_* variables, and Mesos 1.0's legacy flags), checked
// through what its task sees and what lands in the status file.
// Run `npm run build` first.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MAX_FLAG_FILE_BYTES } from '../src/subcommand/flags';
import { isRoot } from './helpers/run';
import {
  argvCommand,
  ControlPipe,
  launch,
  lines,
  shell,
  startLaunch,
  statusField,
  statusOf,
  tempDir,
  VIAS,
} from './helpers/launch';
import { childrenOf, type Finished, procStat, sleep, waitFor } from './helpers/process';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

if (!isRoot) {
  t.comment('launch tests need root');
  t.end();
} else {
  main();
}

/** Exit 1 and exactly one line on stderr, with no JavaScript stack in it. */
function oneLineFailure(t: Test, result: Finished, message?: string | RegExp): void {
  t.equal(result.code, 1, 'exit 1');
  t.match(result.stderr, /^[^\n]+\n$/, `one line on stderr: ${JSON.stringify(result.stderr)}`);
  t.notMatch(result.stderr, /^ {4}at /m, 'no stack trace');
  if (typeof message === 'string') t.equal(result.stderr, `${message}\n`);
  else if (message !== undefined) t.match(result.stderr, message);
}

/** The user's uid, gid and groups, from the host's databases. */
function idsOf(user: string): { uid: number; gid: number; groups: number[] } {
  const id = (flag: string) => execFileSync('id', [flag, user], { encoding: 'utf8' }).trim();
  return { uid: Number(id('-u')), gid: Number(id('-g')), groups: id('-G').split(/\s+/).map(Number) };
}

/** The flags field of /proc/self/fdinfo/N text, as a number. */
function fdFlags(fdinfo: string): number {
  const flags = statusField(fdinfo, 'flags');
  if (flags === undefined) throw new Error(`no flags in ${JSON.stringify(fdinfo)}`);
  return Number.parseInt(flags, 8);
}

const O_NONBLOCK = 0o4000;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function main(): void {
  t.test('the task gets a clean process', async (t) => {
    for (const via of VIAS) {
      for (const waiter of [false, true]) {
        const mode = `${via}${waiter ? ', --runtime_directory' : ''}`;
        const runtime = (t: Test): Record<string, string> => (waiter ? { runtime_directory: tempDir(t) } : {});

        t.test(`no ignored or blocked signal (${mode})`, async (t) => {
          // The helper's parent ignores a few signals, Node ignores SIGPIPE:
          // none of it may reach the task.
          const result = await launch(
            t,
            {
              ...runtime(t),
              launch_info: { command: argvCommand('/bin/grep', '-E', '^Sig(Ign|Blk):', '/proc/self/status') },
            },
            { via, bashPrefix: "trap '' HUP USR1 PIPE" },
          );
          t.equal(result.code, 0, result.stderr);
          t.same(lines(result.stdout), ['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000']);
        });

        t.test(`only stdio is open, whatever the helper inherited (${mode})`, async (t) => {
          const extra = openSync('/dev/null', 'r');
          const other = openSync(join(tempDir(t), 'other'), 'w');
          t.teardown(() => {
            closeSync(extra);
            closeSync(other);
          });
          const result = await launch(
            t,
            { ...runtime(t), launch_info: { command: argvCommand('/bin/ls', '/proc/self/fd') } },
            { via, stdio: ['ignore', 'pipe', 'pipe', extra, 'ignore', other, extra] },
          );
          t.equal(result.code, 0, result.stderr);
          // 3 is ls's own handle on the directory.
          t.same(lines(result.stdout), ['0', '1', '2', '3']);
        });
      }
    }

    t.test('the legacy interface gets the same clean process', async (t) => {
      const extra = openSync('/dev/null', 'r');
      t.teardown(() => closeSync(extra));
      const result = await launch(
        t,
        { command: shell("grep -E '^Sig(Ign|Blk):' /proc/self/status; ls /proc/self/fd") },
        { stdio: ['ignore', 'pipe', 'pipe', extra, extra], bashPrefix: "trap '' HUP USR1" },
      );
      t.equal(result.code, 0, result.stderr);
      t.same(lines(result.stdout), ['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000', '0', '1', '2', '3']);
    });

    // What the task reports about its stdin and stdout, then what it read.
    const reportStdio = shell('cat /proc/self/fdinfo/0; echo ---; cat /proc/self/fdinfo/1; echo ---; cat');

    function checkBlocking(t: Test, result: Finished): void {
      t.equal(result.code, 0, result.stderr);
      const [stdin, stdout, input] = result.stdout.toString().split('---\n');
      t.equal(fdFlags(stdin!) & O_NONBLOCK, 0, `stdin is blocking (flags ${statusField(stdin!, 'flags')})`);
      t.equal(fdFlags(stdout!) & O_NONBLOCK, 0, `stdout is blocking (flags ${statusField(stdout!, 'flags')})`);
      t.equal(input, 'some input\n', 'the task read its stdin');
    }

    for (const via of VIAS) {
      t.test(`a pipe on stdin stays blocking (${via})`, async (t) => {
        // A real pipe between a `cat` and the helper.
        const started = startLaunch(
          t,
          { launch_info: { command: reportStdio } },
          { via, bashPrefix: 'exec 0< <(cat)' },
        );
        started.child.stdin!.end('some input\n');
        checkBlocking(t, await started.done);
      });

      t.test(`a socket on stdin stays blocking, with --runtime_directory (${via})`, async (t) => {
        const started = startLaunch(t, { runtime_directory: tempDir(t), launch_info: { command: reportStdio } }, { via });
        started.child.stdin!.end('some input\n');
        checkBlocking(t, await started.done);
      });
    }

    t.test('stdio stays blocking even when a NODE_OPTIONS preload touched process.stdout', async (t) => {
      // The helper is a Node program: whatever the agent's environment makes
      // Node load can switch the shared stdio to non-blocking mode. The task
      // must not inherit that (REFERENCE: "don't, or clear it").
      const preload = join(tempDir(t), 'touch-stdio.cjs');
      writeFileSync(preload, 'process.stdout; process.stderr; process.stdin;\n');
      const started = startLaunch(
        t,
        { launch_info: { command: reportStdio } },
        { env: { NODE_OPTIONS: `--require=${preload}` } },
      );
      started.child.stdin!.end('some input\n');
      checkBlocking(t, await started.done);
    });

    const data = randomBytes(20_000_000);
    for (const waiter of [false, true]) {
      const how = waiter ? 'through a pipe, with --runtime_directory' : 'through a socket';
      t.test(`20 MB on stdout arrive intact (${how})`, async (t) => {
        const dir = tempDir(t);
        const file = join(dir, 'data');
        writeFileSync(file, data);
        // The reader holds back at first, so the task meets a full pipe: a
        // non-blocking stdout would make its writes fail with EAGAIN.
        const result = await launch(
          t,
          {
            ...(waiter ? { runtime_directory: dir } : {}),
            launch_info: { command: shell(`cat '${file}' && echo "$(sha256sum < '${file}')" >&2`) },
          },
          // With the waiter, stdout is a real pipe (to a `cat` that relays it).
          { holdStdoutMs: 300, ...(waiter ? { bashPrefix: 'exec 1> >(cat)' } : {}) },
        );
        t.equal(result.code, 0, result.stderr);
        t.equal(result.stdout.length, data.length, 'every byte arrived');
        t.equal(sha256(result.stdout), sha256(data), 'the bytes are the ones written');
        t.equal(result.stderr.split(' ')[0], sha256(data), "the task's own checksum agrees");
        if (waiter) t.equal(statusOf(dir), '0');
      });
    }

    for (const via of VIAS) {
      t.test(`the exit code passes through (${via})`, async (t) => {
        const result = await launch(t, { launch_info: { command: shell('exit 3') } }, { via });
        t.equal(result.code, 3);
        t.equal(result.signal, null);
        t.equal(result.stderr, '');
      });
    }

    t.test('the exit code passes through (legacy)', async (t) => {
      const result = await launch(t, { command: shell('exit 3') });
      t.equal(result.code, 3);
    });

    t.test('a task killed by a signal is seen killed by it', async (t) => {
      const result = await launch(t, { launch_info: { command: shell('kill -9 $$') } });
      t.equal(result.signal, 'SIGKILL');
    });
  });

  t.test('the status file', async (t) => {
    for (const via of VIAS) {
      t.test(`768 after exit 3, and the helper exits 0 (${via})`, async (t) => {
        const dir = tempDir(t);
        const result = await launch(t, { runtime_directory: dir, launch_info: { command: shell('exit 3') } }, { via });
        t.equal(result.code, 0, result.stderr);
        t.equal(statusOf(dir), '768');
        t.equal(statSync(join(dir, 'status')).mode & 0o777, 0o600, 'mode 0600');
      });

      t.test(`0 after success (${via})`, async (t) => {
        const dir = tempDir(t);
        const result = await launch(t, { runtime_directory: dir, launch_info: { command: shell('echo hi') } }, { via });
        t.equal(result.code, 0, result.stderr);
        t.equal(result.stdout.toString(), 'hi\n');
        t.equal(statusOf(dir), '0');
      });

      t.test(`9 after the task is SIGKILLed (${via})`, async (t) => {
        const dir = tempDir(t);
        const result = await launch(t, { runtime_directory: dir, launch_info: { command: shell('kill -9 $$') } }, { via });
        t.equal(result.code, 0, result.stderr);
        t.equal(statusOf(dir), '9');
      });

      t.test(`15 when the helper gets SIGTERM while the task runs (${via})`, async (t) => {
        const dir = tempDir(t);
        const started = startLaunch(
          t,
          { runtime_directory: dir, launch_info: { command: argvCommand('/bin/sleep', '30') } },
          { via },
        );
        // The helper's pid is the waiter's: it was exec'd in place.
        const task = await waitFor('the task under the helper', () =>
          childrenOf(started.pid).find((stat) => stat.comm === 'sleep'),
        );
        process.kill(started.pid, 'SIGTERM');
        const result = await started.done;
        t.equal(result.code, 0, 'the helper exits 0');
        t.equal(result.signal, null);
        t.equal(statusOf(dir), '15');
        t.equal(procStat(task.pid), undefined, 'the task is gone, reaped');
      });

      t.test(`other signals are forwarded too: SIGUSR1 is 10 (${via})`, async (t) => {
        const dir = tempDir(t);
        const started = startLaunch(
          t,
          { runtime_directory: dir, launch_info: { command: argvCommand('/bin/sleep', '30') } },
          { via },
        );
        await waitFor('the task under the helper', () => childrenOf(started.pid).find((stat) => stat.comm === 'sleep'));
        process.kill(started.pid, 'SIGUSR1');
        const result = await started.done;
        t.equal(result.code, 0);
        t.equal(statusOf(dir), '10');
      });

      t.test(`256 when validation fails (${via})`, async (t) => {
        const dir = tempDir(t);
        const result = await launch(t, { runtime_directory: dir, launch_info: { command: { shell: true } } }, { via });
        oneLineFailure(t, result, 'Shell command is not specified');
        t.equal(statusOf(dir), '256');
        t.equal(statSync(join(dir, 'status')).mode & 0o777, 0o600, 'mode 0600');
      });

      t.test(`256 when the flags can't be loaded (${via})`, async (t) => {
        const dir = tempDir(t);
        const result = await launch(
          t,
          { runtime_directory: dir, launch_info: { command: shell('touch should-not-exist') } },
          // An unknown flag only counts on the command line.
          { via, bashPrefix: 'set -- "$@" --bogus' },
        );
        oneLineFailure(t, result, "Failed to parse the flags: Failed to load unknown flag 'bogus'");
        t.equal(statusOf(dir), '256');
      });
    }

    t.test("256, at once, for a launch_info file that never ends or passes the bound", async (t) => {
      const files = tempDir(t, 'mc-flag-files-');
      execFileSync('mkfifo', [join(files, 'fifo')]);
      const json = JSON.stringify({ command: shell('echo task ran') });
      // Valid JSON to the last byte: only the size is wrong.
      writeFileSync(join(files, 'over.json'), json + ' '.repeat(MAX_FLAG_FILE_BYTES + 1 - json.length));
      const cases: Array<[string, string, string]> = [
        ['/dev/zero', 'file:///dev/zero', "Error reading file '/dev/zero': Not a regular file"],
        ['/dev/zero as a JSON path', '/dev/zero', "Error reading file '/dev/zero': Not a regular file"],
        ['a FIFO nobody writes', `file://${files}/fifo`, `Error reading file '${files}/fifo': Not a regular file`],
        ['a file one byte over', `file://${files}/over.json`, `Error reading file '${files}/over.json': File is larger than 16 MiB`],
      ];
      for (const via of VIAS) {
        for (const [name, value, reason] of cases) {
          const dir = tempDir(t);
          const started = Date.now();
          const result = await launch(t, { runtime_directory: dir, launch_info: value }, { via });
          const elapsed = Date.now() - started;
          t.test(`${name} (${via})`, async (t) => {
            oneLineFailure(
              t,
              result,
              `Failed to parse the flags: Failed to load flag 'launch_info': Failed to load value '${value}': ${reason}`,
            );
            t.equal(statusOf(dir), '256');
            t.equal(result.stdout.toString(), '', 'the task did not run');
            t.ok(elapsed < 5000, `refused in ${elapsed} ms`);
          });
        }
      }
    });

    t.test('a launch_info file of exactly the bound is read and run', async (t) => {
      const files = tempDir(t, 'mc-flag-files-');
      const json = JSON.stringify({ command: shell('echo task ran') });
      writeFileSync(join(files, 'at-bound.json'), json + ' '.repeat(MAX_FLAG_FILE_BYTES - json.length));
      for (const via of VIAS) {
        const dir = tempDir(t);
        const result = await launch(t, { runtime_directory: dir, launch_info: `file://${files}/at-bound.json` }, { via });
        t.equal(result.code, 0, `${via}: exit 0 ${result.stderr}`);
        t.equal(result.stdout.toString(), 'task ran\n', `${via}: the task ran`);
        t.equal(statusOf(dir), '0', `${via}: status 0`);
      }
    });

    t.test('256 when the legacy command fails validation', async (t) => {
      const dir = tempDir(t);
      const result = await launch(t, { runtime_directory: dir, command: { shell: false } });
      oneLineFailure(t, result, 'Executable path is not specified');
      t.equal(statusOf(dir), '256');
    });

    t.test('SIGTERM during a pre-exec command: status 15, exit 1', async (t) => {
      const dir = tempDir(t);
      const started = startLaunch(t, {
        runtime_directory: dir,
        launch_info: { command: shell('echo task ran'), pre_exec_commands: [argvCommand('/bin/sleep', '30')] },
      });
      const preExec = await waitFor('the pre-exec command', () =>
        childrenOf(started.pid).find((stat) => stat.comm === 'sleep'),
      );
      const killPreExec = () => {
        try {
          process.kill(preExec.pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      };
      t.teardown(killPreExec);
      const exited = new Promise((done) => started.child.once('exit', done));
      process.kill(started.pid, 'SIGTERM');
      await exited;
      // Left behind by the helper's exit, as by Mesos's; it holds our stdio.
      killPreExec();
      const result = await started.done;
      t.equal(result.code, 1);
      t.equal(result.signal, null);
      t.equal(statusOf(dir), '15');
      t.equal(result.stdout.toString(), '', 'the task did not run');
    });

    t.test('a runtime directory without room for the status file', async (t) => {
      const dir = join(tempDir(t), 'missing');
      const result = await launch(t, { runtime_directory: dir, launch_info: { command: shell('echo task ran') } });
      oneLineFailure(t, result, new RegExp(`^Failed to open file for writing the container status '${dir}/status': `));
      t.equal(result.stdout.toString(), '');
    });

    t.test('a program that can not be executed, without a runtime directory', async (t) => {
      const result = await launch(t, { launch_info: { command: argvCommand('/nonexistent/program') } });
      oneLineFailure(t, result, /^Failed to execute '\/nonexistent\/program': No such file or directory\n$/);
    });

    t.test('256 when the task can not be executed', async (t) => {
      const dir = tempDir(t);
      const result = await launch(t, {
        runtime_directory: dir,
        launch_info: { command: argvCommand('/nonexistent/program') },
      });
      t.equal(statusOf(dir), '256');
      t.match(result.stderr, /\/nonexistent\/program/);
    });
  });

  t.test('the control pipe', async (t) => {
    for (const via of VIAS) {
      t.test(`nothing runs before the byte arrives (${via})`, async (t) => {
        const dir = tempDir(t);
        const marker = join(dir, 'pre-exec-ran');
        const pipe = new ControlPipe(t);
        const started = startLaunch(
          t,
          {
            ...pipe.flags,
            runtime_directory: dir,
            launch_info: {
              command: argvCommand('/bin/ls', '/proc/self/fd'),
              pre_exec_commands: [shell(`touch '${marker}'`)],
            },
          },
          { via, bashPrefix: pipe.bashPrefix },
        );
        await pipe.waiting(started.pid);
        await sleep(300);
        t.notOk(existsSync(marker), 'the pre-exec command has not run while the byte is withheld');
        t.equal(started.child.exitCode, null, 'the helper is still waiting');
        pipe.send();
        const result = await started.done;
        t.equal(result.code, 0, result.stderr);
        t.ok(existsSync(marker), 'the pre-exec command ran after the byte');
        t.same(lines(result.stdout), ['0', '1', '2', '3'], 'neither end of the pipe reaches the task');
        t.equal(statusOf(dir), '0');
      });

      t.test(`the agent closing its end fails the launch (${via})`, async (t) => {
        const dir = tempDir(t);
        const pipe = new ControlPipe(t);
        const started = startLaunch(
          t,
          { ...pipe.flags, runtime_directory: dir, launch_info: { command: shell('echo task ran') } },
          { via, bashPrefix: pipe.bashPrefix },
        );
        await pipe.waiting(started.pid);
        pipe.close();
        const result = await started.done;
        oneLineFailure(t, result, "Failed to synchronize with agent (it's probably exited)");
        t.equal(result.stdout.toString(), '', 'the task did not run');
        t.equal(statusOf(dir), '256');
      });

      t.test(`SIGTERM before the task exists: status 15, exit 1 (${via})`, async (t) => {
        const dir = tempDir(t);
        const pipe = new ControlPipe(t);
        const started = startLaunch(
          t,
          { ...pipe.flags, runtime_directory: dir, launch_info: { command: shell('echo task ran') } },
          { via, bashPrefix: pipe.bashPrefix },
        );
        await pipe.waiting(started.pid);
        process.kill(started.pid, 'SIGTERM');
        const result = await started.done;
        t.equal(result.code, 1);
        t.equal(result.signal, null);
        t.equal(statusOf(dir), '15');
        t.equal(result.stdout.toString(), '', 'the task did not run');
      });
    }

    t.test('the legacy interface waits for the byte too', async (t) => {
      const dir = tempDir(t);
      const marker = join(dir, 'pre-exec-ran');
      const pipe = new ControlPipe(t);
      const started = startLaunch(
        t,
        { ...pipe.flags, command: shell('echo task ran'), pre_exec_commands: [shell(`touch '${marker}'`)] },
        { bashPrefix: pipe.bashPrefix },
      );
      await pipe.waiting(started.pid);
      await sleep(200);
      t.notOk(existsSync(marker));
      pipe.send();
      const result = await started.done;
      t.equal(result.code, 0, result.stderr);
      t.ok(existsSync(marker));
      t.equal(result.stdout.toString(), 'task ran\n');
    });

    for (const [given, flags] of [
      ['--pipe_read', { pipe_read: 0 }],
      ['--pipe_write', { pipe_write: 1 }],
    ] as const) {
      t.test(`${given} alone is refused`, async (t) => {
        const dir = tempDir(t);
        const result = await launch(t, { ...flags, runtime_directory: dir, launch_info: { command: shell('echo ran') } });
        oneLineFailure(t, result, 'Flag --pipe_read and --pipe_write should either be both set or both not set');
        t.equal(result.stdout.toString(), '');
        t.equal(statusOf(dir), '256');
      });
    }
  });

  t.test('pre-exec commands', async (t) => {
    const first = shell('echo one');
    const second = argvCommand('/bin/echo', 'two');
    for (const via of VIAS) {
      t.test(`run in order with our stdio, announced on stderr (${via})`, async (t) => {
        const result = await launch(
          t,
          { launch_info: { command: shell('echo three'), pre_exec_commands: [first, second] } },
          { via },
        );
        t.equal(result.code, 0, result.stderr);
        t.equal(result.stdout.toString(), 'one\ntwo\nthree\n');
        // Mesos HEAD announces them on stderr (Mesos 1.0.1 used stdout).
        t.same(lines(result.stderr), [
          `Executing pre-exec command '${JSON.stringify(first)}'`,
          `Executing pre-exec command '${JSON.stringify(second)}'`,
        ]);
      });
    }

    t.test('legacy --pre_exec_commands run in order', async (t) => {
      const result = await launch(t, { command: shell('echo three'), pre_exec_commands: [first, second] });
      t.equal(result.code, 0, result.stderr);
      t.equal(result.stdout.toString(), 'one\ntwo\nthree\n');
      t.match(result.stderr, `Executing pre-exec command '${JSON.stringify(first)}'`);
      t.match(result.stderr, `Executing pre-exec command '${JSON.stringify(second)}'`);
    });

    t.test('a shell command goes through sh -c', async (t) => {
      const dir = tempDir(t);
      const result = await launch(t, {
        launch_info: {
          command: shell('true'),
          pre_exec_commands: [shell(`echo $((40 + 2)) > '${dir}/answer'; echo "$0"`)],
        },
      });
      t.equal(result.code, 0, result.stderr);
      t.equal(readFileSync(join(dir, 'answer'), 'utf8'), '42\n');
      t.equal(result.stdout.toString(), 'sh\n');
    });

    for (const legacy of [false, true]) {
      t.test(`a non-shell command is run by argv, never by a shell${legacy ? ' (legacy)' : ''}`, async (t) => {
        const dir = tempDir(t);
        const marker = join(dir, 'evaluated');
        const command = argvCommand('/bin/echo', `$(touch ${marker})`, `\`touch ${marker}\``, '; touch', marker);
        const result = await launch(
          t,
          legacy
            ? { command: shell('true'), pre_exec_commands: [command] }
            : { launch_info: { command: shell('true'), pre_exec_commands: [command] } },
        );
        t.equal(result.code, 0, result.stderr);
        t.equal(result.stdout.toString(), `$(touch ${marker}) \`touch ${marker}\` ; touch ${marker}\n`);
        t.notOk(existsSync(marker), 'nothing was evaluated');
      });
    }

    t.test('a non-shell command gets its argv[0] as given', async (t) => {
      const result = await launch(t, {
        launch_info: {
          command: shell('true'),
          pre_exec_commands: [{ arguments: ['custom-name', '-c', 'echo "$0"'], shell: false, value: '/bin/sh' }],
        },
      });
      t.equal(result.code, 0, result.stderr);
      t.equal(result.stdout.toString(), 'custom-name\n');
    });

    // Mesos words these as WSTRINGIFY does; stout's spawn leaves a program
    // it can't exec to a child that exits 127.
    for (const [name, failing, reason] of [
      ['exits 3', shell('exit 3'), 'exited with status 3'],
      ['is killed by SIGKILL', shell('kill -9 $$'), 'terminated with signal Killed'],
      ['is killed by SIGKILL, run by argv', argvCommand('/bin/sh', '-c', 'kill -9 $$'), 'terminated with signal Killed'],
      ['is killed by SIGSEGV', shell('kill -SEGV $$'), 'terminated with signal Segmentation fault'],
      // Node gives no number for signals past 31, so we can't name which.
      ['is killed by a real-time signal', shell('kill -40 $$'), 'terminated with a real-time signal'],
      ['is a missing program', argvCommand('/nonexistent/program'), 'exited with status 127'],
      ['is a directory', argvCommand('/etc'), 'exited with status 127'],
    ] as const) {
      t.test(`one that ${name} stops the launch, in Mesos's words`, async (t) => {
        const dir = tempDir(t);
        const result = await launch(t, {
          runtime_directory: dir,
          launch_info: { command: shell('echo task ran'), pre_exec_commands: [failing, shell('echo after')] },
        });
        t.equal(result.code, 1);
        t.equal(result.stdout.toString(), '', 'neither the next command nor the task ran');
        const json = JSON.stringify(failing);
        t.same(
          lines(result.stderr),
          [`Executing pre-exec command '${json}'`, `Failed to execute pre-exec command '${json}': ${reason}`],
          'the note, then one line saying how it ended',
        );
        t.equal(statusOf(dir), '256');
      });
    }
  });

  t.test('the user', async (t) => {
    const nobody = idsOf('nobody');
    const report = shell('id -u; id -g; grep ^Groups: /proc/self/status');
    const groupsOf = (stdout: Buffer) =>
      statusField(lines(stdout)[2]!, 'Groups')!
        .split(/\s+/)
        .filter((group) => group !== '')
        .map(Number)
        .sort((a, b) => a - b);

    t.test('--user=nobody (legacy)', async (t) => {
      const result = await launch(t, { user: 'nobody', command: report });
      t.equal(result.code, 0, result.stderr);
      t.same(lines(result.stdout).slice(0, 2), [String(nobody.uid), String(nobody.gid)]);
      t.same(groupsOf(result.stdout), [...new Set(nobody.groups)].sort((a, b) => a - b));
    });

    for (const via of VIAS) {
      t.test(`launch_info.user with supplementary_groups (${via})`, async (t) => {
        const dir = tempDir(t);
        const result = await launch(
          t,
          {
            runtime_directory: dir,
            launch_info: { user: 'nobody', supplementary_groups: [4242, 4343], command: report },
          },
          { via },
        );
        t.equal(result.code, 0, result.stderr);
        t.same(lines(result.stdout).slice(0, 2), [String(nobody.uid), String(nobody.gid)]);
        t.same(groupsOf(result.stdout), [...new Set([...nobody.groups, 4242, 4343])].sort((a, b) => a - b));
        t.equal(statusOf(dir), '0');
      });
    }

    t.test('the pre-exec commands still run as the agent’s user', async (t) => {
      const result = await launch(t, {
        launch_info: { user: 'nobody', command: shell('id -u'), pre_exec_commands: [shell('id -u')] },
      });
      t.equal(result.code, 0, result.stderr);
      t.same(lines(result.stdout), ['0', String(nobody.uid)]);
    });

    for (const legacy of [false, true]) {
      t.test(`an unknown user fails${legacy ? ' (legacy)' : ''}`, async (t) => {
        const dir = tempDir(t);
        const user = 'mc-no-such-user';
        const result = await launch(
          t,
          legacy
            ? { runtime_directory: dir, user, command: shell('echo task ran') }
            : { runtime_directory: dir, launch_info: { user, command: shell('echo task ran') } },
        );
        oneLineFailure(t, result, `Failed to get the uid of user '${user}': not found`);
        t.equal(result.stdout.toString(), '');
        t.equal(statusOf(dir), '256');
      });
    }
  });

  t.test('working directory, program and environment', async (t) => {
    for (const legacy of [false, true]) {
      const suffix = legacy ? ' (legacy)' : '';
      t.test(`the working directory is created and entered${suffix}`, async (t) => {
        const directory = join(tempDir(t), 'not', 'there', 'yet');
        const command = argvCommand('/bin/pwd');
        const result = await launch(
          t,
          legacy ? { working_directory: directory, command } : { launch_info: { working_directory: directory, command } },
        );
        t.equal(result.code, 0, result.stderr);
        t.equal(result.stdout.toString(), `${directory}\n`);
        t.ok(statSync(directory).isDirectory());
      });

      t.test(`a relative program is found in the working directory${suffix}`, async (t) => {
        const directory = join(tempDir(t), 'sandbox');
        mkdirSync(directory);
        const program = join(directory, 'mc-test-program');
        writeFileSync(program, '#!/bin/sh\necho "ran $0 with $1 in $(pwd)"\n');
        chmodSync(program, 0o755);
        const command = { arguments: ['mc-test-program', 'arg'], shell: false, value: 'mc-test-program' };
        const result = await launch(
          t,
          legacy ? { working_directory: directory, command } : { launch_info: { working_directory: directory, command } },
        );
        t.equal(result.code, 0, result.stderr);
        t.equal(result.stdout.toString(), `ran ${program} with arg in ${directory}\n`);
      });

      t.test(`a given environment is the whole environment${suffix}`, async (t) => {
        const environment = {
          variables: [
            { name: 'FIRST', value: '1' },
            { name: 'SECOND', value: 'two words' },
            { name: 'FIRST', value: 'last wins' },
          ],
        };
        const command = argvCommand('/usr/bin/env');
        const result = await launch(
          t,
          legacy ? { command: { ...command, environment } } : { launch_info: { command, environment } },
          { env: { MC_NOT_FOR_THE_TASK: 'x' } },
        );
        t.equal(result.code, 0, result.stderr);
        t.same(lines(result.stdout).sort(), ['FIRST=last wins', `PATH=${DEFAULT_PATH}`, 'SECOND=two words']);
        t.same(lines(result.stderr), ["Overwriting environment variable 'FIRST'"]);
      });
    }

    t.test('a given PATH is kept, and used to find the program', async (t) => {
      const bin = tempDir(t);
      writeFileSync(join(bin, 'mc-on-path'), '#!/bin/sh\necho "found with PATH=$PATH"\n');
      chmodSync(join(bin, 'mc-on-path'), 0o755);
      const result = await launch(t, {
        launch_info: {
          command: { arguments: ['mc-on-path'], shell: false, value: 'mc-on-path' },
          environment: { variables: [{ name: 'PATH', value: `${bin}:/bin:/usr/bin` }] },
        },
      });
      t.equal(result.code, 0, result.stderr);
      t.equal(result.stdout.toString(), `found with PATH=${bin}:/bin:/usr/bin\n`);
    });

    t.test('a duplicate with the same value is no overwrite', async (t) => {
      const result = await launch(t, {
        launch_info: {
          command: argvCommand('/usr/bin/env'),
          environment: {
            variables: [
              { name: 'SAME', value: 'v' },
              { name: 'SAME', value: 'v' },
            ],
          },
        },
      });
      t.equal(result.code, 0, result.stderr);
      t.same(lines(result.stdout).sort(), [`PATH=${DEFAULT_PATH}`, 'SAME=v']);
      t.equal(result.stderr, '');
    });

    for (const via of VIAS) {
      t.test(`without one, ours is inherited minus the MESOS_CONTAINERIZER_* flags (${via})`, async (t) => {
        const result = await launch(
          t,
          { launch_info: { command: argvCommand('/usr/bin/env') } },
          { via, env: { MC_INHERITED: 'yes', MESOS_CONTAINERIZER_UNSHARE_NAMESPACE_MNT: 'false' } },
        );
        t.equal(result.code, 0, result.stderr);
        const environment = lines(result.stdout);
        t.ok(environment.includes('MC_INHERITED=yes'), 'our variables reach the task');
        t.ok(environment.some((line) => line.startsWith('PATH=')), 'PATH among them');
        t.same(
          environment.filter((line) => line.startsWith('MESOS_CONTAINERIZER_')),
          [],
          'no flag reaches the task',
        );
      });
    }
  });

  t.test('bad input', async (t) => {
    t.test('both interfaces at once', async (t) => {
      const dir = tempDir(t);
      const result = await launch(t, {
        runtime_directory: dir,
        launch_info: { command: shell('echo modern') },
        command: shell('echo legacy'),
      });
      oneLineFailure(t, result, /--launch_info.*--command|--command.*--launch_info/);
      t.equal(result.stdout.toString(), '');
      t.equal(statusOf(dir), '256');
    });

    t.test('both interfaces at once, one of them in the environment', async (t) => {
      const result = await launch(
        t,
        { command: shell('echo legacy') },
        { env: { MESOS_CONTAINERIZER_LAUNCH_INFO: JSON.stringify({ command: shell('echo modern') }) } },
      );
      oneLineFailure(t, result, /--launch_info.*--command|--command.*--launch_info/);
      t.equal(result.stdout.toString(), '');
    });

    t.test('no command at all', async (t) => {
      const result = await launch(t, {});
      oneLineFailure(t, result, 'Flag --launch_info is not specified');
    });

    t.test('a launch_info without a command', async (t) => {
      const result = await launch(t, { launch_info: {} });
      oneLineFailure(t, result, 'Launch command is not specified');
    });

    const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const cases: Array<[string, string, RegExp]> = [
      ['malformed JSON', '{"command":{"value":', /launch_info/],
      ['not an object', '[1,2]', /launch_info/],
      ['a number for a string', '{"command":{"value":5}}', /launch_info\.command\.value/],
      ['a string for a bool', '{"command":{"shell":"yes","value":"true"}}', /launch_info\.command\.shell/],
      ['a string for a message', '{"command":"true"}', /launch_info\.command/],
      ['an object for an array', '{"command":{"value":"true"},"pre_exec_commands":{}}', /pre_exec_commands/],
      ['a negative group', '{"command":{"value":"true"},"supplementary_groups":[-1]}', /supplementary_groups/],
      ['an unknown enum name', '{"command":{"value":"true"},"rlimits":{"rlimits":[{"type":"RLMT_BOGUS"}]}}', /RLMT_BOGUS/],
      ['deep nesting', deep(5000), /nested|deep/i],
    ];
    for (const via of VIAS) {
      for (const [name, text, message] of cases) {
        t.test(`${name} (${via})`, async (t) => {
          const dir = tempDir(t);
          // Given as the text the agent would pass, not re-encoded.
          const result = await launch(t, { runtime_directory: dir }, {
            via,
            env: via === 'environment' ? { MESOS_CONTAINERIZER_LAUNCH_INFO: text } : {},
            bashPrefix: via === 'command line' ? `set -- "$@" ${shellQuote(`--launch_info=${text}`)}` : undefined,
          });
          oneLineFailure(t, result, message);
          t.equal(result.stdout.toString(), '');
          t.equal(statusOf(dir), '256');
        });
      }
    }

    t.test('nesting a million levels deep, from a file', async (t) => {
      const dir = tempDir(t);
      const file = join(dir, 'launch_info.json');
      writeFileSync(file, '['.repeat(1_000_000) + ']'.repeat(1_000_000));
      const result = await launch(t, { runtime_directory: dir, launch_info: file });
      oneLineFailure(t, result);
      t.equal(statusOf(dir), '256');
    });

    t.test('legacy flags with bad JSON', async (t) => {
      for (const flags of [
        { command: '{"value":' },
        { command: '{"value":5}' },
        { command: '[]' },
        { command: '{"value":"true"}', pre_exec_commands: '{}' },
        { command: '{"value":"true"}', pre_exec_commands: '[1]' },
        { command: '{"value":"true"}', pre_exec_commands: '[{"value":7}]' },
      ]) {
        const args = Object.entries(flags).map(([name, value]) => shellQuote(`--${name}=${value}`));
        const result = await launch(t, {}, { bashPrefix: `set -- "$@" ${args.join(' ')}` });
        t.test(JSON.stringify(flags), async (t) => {
          oneLineFailure(t, result);
          t.equal(result.stdout.toString(), '');
        });
      }
    });
  });
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
