// Load: 50 containers started at once through the embedded agent's library.
// Every one must reach TASK_RUNNING and finish with its status checkpointed,
// and what stays resident per container must be the small waiter, not a
// Node.js process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { launchTask, type Task, type TaskStatus } from '../src/agent/standalone/task';
import { isRoot } from './helpers/run';

const CONTAINERS = 50;
/** The waiter's budget: 50 containers should cost about 200 MiB, not 2 GiB. */
const WAITER_BUDGET_KB = 4096;

function statusField(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function isWaiter(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('mesos-containerizer-waiter\0');
  } catch {
    return false;
  }
}

function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      if (condition()) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(check, 50);
    };
    check();
  });
}

t.test(`${CONTAINERS} containers at once`, { skip: !isRoot && 'needs root', timeout: 240_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'load-'));
  const go = join(work, 'go');
  const tasks: Task[] = [];
  t.teardown(() => {
    for (const task of tasks) task.kill(0);
    rmSync(work, { recursive: true, force: true });
  });

  const running = new Set<string>();
  for (let index = 0; index < CONTAINERS; index++) {
    const task = launchTask({
      name: `load-${index}`,
      // Each waits for the go signal, so all of them are running at once.
      command: `while [ ! -e ${go} ]; do sleep 0.1; done`,
      resources: { cpus: 0.1, mem: 32 },
      stdout: 'ignore',
      stderr: 'ignore',
      onWarning: () => undefined,
    });
    task.on('status', (status: TaskStatus) => {
      if (status.state === 'TASK_RUNNING') running.add(status.taskId);
    });
    tasks.push(task);
  }

  const allRunning = await waitUntil(() => running.size === CONTAINERS, 180_000);
  t.ok(allRunning, `all ${CONTAINERS} reached TASK_RUNNING (${running.size} did)`);
  // TASK_RUNNING comes as the pipe is released; the helper then still has to
  // set the container up and exec the waiter.
  const allWaiting = await waitUntil(() => tasks.every((task) => task.pid !== undefined && isWaiter(task.pid)), 60_000);
  t.ok(allWaiting, 'every helper became the waiter');

  // What each container keeps resident while its task runs: the waiter
  // (the helper after it exec'd) and the clone process above it.
  const waiters: number[] = [];
  const clones: number[] = [];
  for (const task of tasks) {
    const pid = task.pid;
    if (pid === undefined) continue;
    const waiter = statusField(pid, 'VmRSS');
    if (waiter !== undefined) waiters.push(waiter);
    const parent = statusField(pid, 'PPid');
    const clone = parent === undefined ? undefined : statusField(parent, 'VmRSS');
    if (clone !== undefined) clones.push(clone);
  }
  const agent = statusField(process.pid, 'VmRSS') ?? 0;
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  t.equal(waiters.length, CONTAINERS, 'every waiter was measured');
  t.ok(Math.max(...waiters) <= WAITER_BUDGET_KB, `every waiter holds at most 4 MiB (the largest: ${Math.max(...waiters)} kB)`);
  t.comment(
    `resident memory with ${CONTAINERS} containers running: waiters ${(sum(waiters) / 1024).toFixed(1)} MiB, ` +
      `clone processes ${(sum(clones) / 1024).toFixed(1)} MiB, the agent (this test process) ${(agent / 1024).toFixed(1)} MiB, ` +
      `in all ${((sum(waiters) + sum(clones) + agent) / 1024).toFixed(1)} MiB`,
  );
  t.ok(sum(waiters) + sum(clones) <= CONTAINERS * WAITER_BUDGET_KB, 'the containers together stay within 50 x 4 MiB');

  writeFileSync(go, '');
  const finals = await Promise.all(tasks.map((task) => task.done));
  t.equal(finals.filter((status) => status.state === 'TASK_FINISHED').length, CONTAINERS, 'all finished');
  t.ok(
    finals.every((status) => status.waitStatus === 0),
    'every task checkpointed its wait status (0)',
  );
});
