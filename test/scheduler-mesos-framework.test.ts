// A third-party framework library, mesos-framework from npm (JavaScript,
// the v1 scheduler API in JSON), against our master: whole task lives
// through the in-test agent, a master that restarts under it, TEARDOWN;
// and what it asks of a master's stream, measured: one record to an HTTP
// chunk, a record's byte length equal to its character count, and events
// more often than its connection timeout.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { TaskStatus } from '../src/master/types';
import { FakeMaster, openStream, Proxy, record, subscribedEvent } from './helpers/fake-master';
import { addTestAgent, sleep, testMaster } from './helpers/master';
import { errorText, shellCommand, startMesosFramework } from './helpers/mesos-framework';
import { testScheduler } from './helpers/scheduler';

const ROOT = join(__dirname, '..');

interface Teardown {
  teardown(fn: () => unknown): void;
}

function sleepyTasks(instances: number, ports = 0): Record<string, unknown> {
  return {
    sleepy: { instances, commandInfo: shellCommand('sleep 1'), resources: { cpus: 0.2, mem: 64, ports, disk: 0 } },
  };
}

t.test('whole task lives: subscribe, offer, launch, TASK_RUNNING and TASK_FINISHED, each acknowledged', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const { framework, next } = startMesosFramework(t, master.port, { tasks: sleepyTasks(1, 1) });
  const subscribed = (await next('subscribed')) as { frameworkId: string; mesosStreamId: string };
  t.equal(subscribed.frameworkId, `${master.masterId}-0000`);
  const record = master.master.frameworks.get(subscribed.frameworkId)!;
  t.equal(record.info.user, 'root', 'its default user, taken with root submissions allowed');
  t.equal(record.info.failover_timeout, 604800);
  t.equal(record.info.name, 'mesos-framework-test');

  await next('sent_accept');
  const run = await agent.waitFor('runTask');
  t.same(run.task.resources!.map((r) => r.name).sort(), ['cpus', 'mem', 'ports'], "a port from the offer's ranges");
  const id = run.task.task_id.value;
  t.match(id, /^mesos-framework-test\.sleepy-1\./);
  t.equal(run.task.command?.value, 'sleep 1');

  const running = agent.update(subscribed.frameworkId, id, 'TASK_RUNNING');
  await agent.waitFor('acknowledge', (c) => c.uuid === running);
  const launched = (await next('task_launched')) as { taskId: string; runtimeInfo: { state: string } };
  t.equal(launched.taskId, id);
  t.equal(launched.runtimeInfo.state, 'TASK_RUNNING');
  const finished = agent.update(subscribed.frameworkId, id, 'TASK_FINISHED', { message: 'Command exited with status 0' });
  await agent.waitFor('acknowledge', (c) => c.uuid === finished);
  const update = (await next('update', (u) => (u as { status: TaskStatus }).status.state === 'TASK_FINISHED')) as { status: TaskStatus };
  t.equal(update.status.message, 'Command exited with status 0');
  t.equal(record.tasks.size, 0, 'acknowledged terminal updates: the master forgets the task');
  t.equal(framework.launchedTasks.length, 0, 'and the library its own');
});

t.test('a new master behind its address: it resubscribes with its id, reconciles, and launches again', async (t) => {
  const first = await testMaster(t);
  const firstAgent = addTestAgent(first);
  const proxy = await Proxy.start(t, first.port);
  const { framework, next } = startMesosFramework(t, proxy.port, { tasks: sleepyTasks(1) });
  const { frameworkId } = (await next('subscribed')) as { frameworkId: string };
  const run = await firstAgent.waitFor('runTask');
  firstAgent.update(frameworkId, run.task.task_id.value, 'TASK_RUNNING');
  await next('task_launched');

  const second = await testMaster(t);
  const secondAgent = addTestAgent(second);
  proxy.retarget(second.port);
  await first.stop();
  await next('error', (e) => errorText(e) === 'Long-running connection was closed!');
  const again = (await next('subscribed', () => true, 3000)) as { frameworkId: string };
  t.equal(again.frameworkId, frameworkId, 'the same framework, recovered by the new master');
  t.ok(second.master.frameworks.has(frameworkId));
  const lost = (await next('update', (u) => (u as { status: TaskStatus }).status.reason === 'REASON_RECONCILIATION')) as { status: TaskStatus };
  t.equal(lost.status.state, 'TASK_LOST');
  t.equal(lost.status.message, 'Reconciliation: Task is unknown');
  // The new master's first offer may come before the task is lost, and be declined (5 s by default).
  const relaunched = await secondAgent.waitFor('runTask', () => true, 8000);
  t.not(relaunched.task.task_id.value, run.task.task_id.value, 'a new task in place of the lost one');
  t.equal(framework.frameworkId, frameworkId);
});

t.test('it resubscribes once, at once: with no master listening at that moment it never comes back', async (t) => {
  const first = await testMaster(t);
  const { next, emitted } = startMesosFramework(t, first.port);
  await next('subscribed');
  const port = first.port;
  await first.stop();
  t.match(errorText(await next('error', (e) => /ECONNREFUSED/.test(errorText(e)))), /^There was a problem with the request: connect ECONNREFUSED/);
  await testMaster(t, { port });
  await sleep(2500);
  t.equal(emitted.filter((e) => e.name === 'subscribed').length, 1, 'no second SUBSCRIBED');
});

t.test('teardown: the master removes it; its resubscriptions after that are refused', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const { framework, next } = startMesosFramework(t, master.port);
  const { frameworkId } = (await next('subscribed')) as { frameworkId: string };
  framework.teardown();
  await agent.waitFor('shutdownFramework');
  t.ok(master.master.completedFrameworks.has(frameworkId));
  // It takes the end of its stream for a lost master and subscribes again, a second later, as the removed framework.
  const refused = await next('error', (e) => /Framework has been removed/.test(errorText(e)), 4000);
  t.equal(errorText(refused), 'Error received from Mesos master: Framework has been removed');
});

t.test('it needs one record to an HTTP chunk: two in one chunk are both lost', async (t) => {
  const fake = await FakeMaster.start(t, (request, res) => {
    if (request.call?.type !== 'SUBSCRIBE') return void res.writeHead(202).end();
    openStream(res, 'json');
    res.write(Buffer.concat([record('json', subscribedEvent('f-0000', 15)), record('json', { type: 'HEARTBEAT' })]));
  });
  const { emitted, next } = startMesosFramework(t, fake.port);
  t.equal(errorText(await next('error')), 'Other linebreak count found than expected! Actual count: 3');
  t.notOk(emitted.some((e) => e.name === 'subscribed'), 'the SUBSCRIBED in that chunk never reaches it');
  const [subscribe] = fake.calls('SUBSCRIBE');
  t.equal(subscribe!.path, '/api/v1/scheduler', 'it posts to /api/v1/scheduler, which a master also answers');
  t.equal(subscribe!.headers.accept, undefined, 'no Accept header: JSON');
  t.match(subscribe!.body.toString(), /"id":null/, 'unset fields as null, which the master reads as unset');
  t.same(subscribe!.call!.subscribe!.framework_info.id, undefined);
});

t.test("it reads a record's byte length as a character count: an offer with a non-ASCII hostname never arrives", async (t) => {
  const master = await testMaster(t);
  addTestAgent(master, undefined, 'agént.local');
  // Our client takes the first offer, to see it, and declines it for a minute: then it goes to mesos-framework.
  const ours = testScheduler(t, master.url);
  await ours.scheduler.start();
  const [offer] = await ours.events.next('offers');
  t.equal(offer!.hostname, 'agént.local', 'our client gets the offer');
  const { emitted, next } = startMesosFramework(t, master.port, { tasks: sleepyTasks(1) });
  const { frameworkId } = (await next('subscribed')) as { frameworkId: string };
  await ours.scheduler.decline([offer!.id], { refuse_seconds: 60 });
  const deadline = Date.now() + 3000;
  const offeredToIt = () => [...master.master.offers.values()].some((o) => o.frameworkId === frameworkId);
  while (!offeredToIt() && Date.now() < deadline) await sleep(20);
  t.ok(offeredToIt(), 'the master has offered the agent to mesos-framework');
  await next('heartbeat');
  await sleep(300);
  t.notOk(emitted.some((e) => e.name === 'offers'), 'which never sees the offer');
});

/** Runs mesos-framework in a child process against `port`; resolves with its exit code, or 'alive' after `forMs`. */
function childFramework(t: Teardown, port: number, connectionTimeoutSeconds: number, forMs: number): Promise<number | 'alive'> {
  const logs = mkdtempSync(join(tmpdir(), 'mesos-framework-child-'));
  t.teardown(() => rmSync(logs, { recursive: true, force: true }));
  const script = `
    const { Scheduler } = require('mesos-framework');
    const s = new Scheduler({ masterUrl: '127.0.0.1', port: ${port}, masterConnectionTimeout: ${connectionTimeoutSeconds},
      logging: { path: ${JSON.stringify(logs)}, fileName: 'mesos-framework.log', level: 'error' } });
    s.on('error', () => {});
    s.on('ready', () => s.subscribe());`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('alive');
    }, forMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

t.test('it needs an event more often than its connection timeout, or it exits the process', async (t) => {
  // Scaled down: heartbeats every second, its timeout half a second (by default 10 s, against Mesos's 15 s heartbeats).
  const master = await testMaster(t, { heartbeatIntervalMs: 1000 });
  t.equal(await childFramework(t, master.port, 0.5, 4000), 1, 'a quiet stream: it halts with exit status 1');
  t.equal(await childFramework(t, master.port, 1.5, 2500), 'alive', 'a timeout above the heartbeat interval keeps it running');
});
