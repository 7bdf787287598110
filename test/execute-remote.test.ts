// mesos-execute against a master in another process (bin/mesos-local), as
// against any Mesos master: --master=HOST:PORT and http://HOST:PORT, JSON
// and protobuf, our lines on stdout (the task's output stays in its
// sandbox there), --kill_after, --task, and output that can't be written
// (a full stdout, a reader gone) shown on stderr and in the exit code. Run
// `npm run build` first.
import t from 'tap';
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './helpers/local-cluster';
import { startLocal } from './helpers/mesos-local';
import { finishedText, testDir } from './helpers/process';
import { cleanEnv, EXECUTE, isRoot, run } from './helpers/run';

const rootOnly = { skip: !isRoot && 'needs root (the agent makes namespaces, mounts and cgroups)' };

const states = (lines: string) => [...lines.matchAll(/^Received status update (TASK_[A-Z_]+) for task '[^']*'$/gm)].map((match) => match[1]);

t.test('mesos-execute through mesos-local in another process', rootOnly, async (t) => {
  const port = await freePort();
  const local = await startLocal(t, [`--port=${port}`]);
  const master = `127.0.0.1:${port}`;
  const execute = (args: string[]) => run(EXECUTE, [`--master=${master}`, ...args]);

  for (const contentType of ['json', 'protobuf', 'application/json', 'application/x-protobuf']) {
    const result = execute([`--content_type=${contentType}`, `--name=hello-${contentType.replace('/', '-')}`, '--command=echo hello from the task']);
    t.equal(result.code, 0, `${contentType}: ${result.stderr}`);
    t.match(result.stdout, /^Subscribed with ID [0-9a-f-]{36}-\d{4}\nSubmitted task 'hello-[a-z-]+' to agent '[0-9a-f-]{36}-S0'\n/, `${contentType}: Mesos's first lines`);
    t.same(states(result.stdout), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'], `${contentType}: every update`);
    t.match(result.stdout, /TASK_FINISHED for task '[^']*'\n  message: 'Command exited with status 0'\n  source: SOURCE_EXECUTOR\n$/);
    t.notMatch(result.stdout, /hello from the task/, "the task's output stays in its sandbox");
    t.equal(result.stderr, '', `${contentType}: nothing on stderr`);
  }

  const http = run(EXECUTE, [`--master=http://${master}/`, '--name=http', '--command=true']);
  t.equal(http.code, 0, http.stderr);

  const killed = execute(['--name=sleepy', '--command=sleep 60', '--kill_after=200ms']);
  t.equal(killed.code, 1);
  t.same(states(killed.stdout), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
  t.match(killed.stdout, /^Asked to kill task 'sleepy' on agent '[0-9a-f-]+-S0'$/m);

  const failed = execute(['--name=three', '--command=exit 3', '--content_type=protobuf']);
  t.equal(failed.code, 1);
  t.match(failed.stdout, /TASK_FAILED for task 'three'\n  message: 'Command exited with status 3'\n/);

  // --task: the TaskInfo as given, from the flag or from a file.
  const task = {
    name: 'given name',
    task_id: { value: 'given-id' },
    agent_id: { value: 'replaced-by-the-offer' },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
    command: { value: 'test "$GIVEN" = yes', environment: { variables: [{ name: 'GIVEN', value: 'yes' }] } },
  };
  const inline = execute([`--task=${JSON.stringify(task)}`]);
  t.equal(inline.code, 0, inline.stdout + inline.stderr);
  t.match(inline.stdout, /^Submitted task 'given name' to agent /m);
  t.match(inline.stdout, /TASK_FINISHED for task 'given-id'/);
  const file = join(testDir(t, 'execute-task-'), 'task.json');
  writeFileSync(file, JSON.stringify({ ...task, task_id: { value: 'from-file' } }));
  const fromFile = execute([`--task=file://${file}`, '--content_type=protobuf']);
  t.equal(fromFile.code, 0, fromFile.stdout + fromFile.stderr);
  t.match(fromFile.stdout, /TASK_FINISHED for task 'from-file'/);

  // Our lines can't be written: said on stderr, and in the exit code, though the task finished.
  const full = openSync('/dev/full', 'w');
  try {
    const result = run(EXECUTE, [`--master=${master}`, '--name=full', '--command=true'], { stdio: ['ignore', full, 'pipe'] });
    t.equal(result.code, 1, 'a full stdout fails the run');
    t.match(result.stderr, /^Failed to write to stdout: No space left on device\n$/);
  } finally {
    closeSync(full);
  }

  const child = spawn(EXECUTE, [`--master=${master}`, '--name=gone', '--command=sleep 0.3'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const done = finishedText(child);
  // The reader takes the first line and leaves.
  child.stdout.once('data', () => child.stdout.destroy());
  const gone = await done;
  t.equal(gone.code, 1, 'a reader gone fails the run');
  t.match(gone.stderr, /^Failed to write to stdout: Broken pipe\n$/);

  t.equal(local.child.exitCode, null, 'the master is still serving');
});
