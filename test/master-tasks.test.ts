// Tasks through the in-test agent: offers, launch, updates forwarded and
// acknowledged, removal on the terminal acknowledgement, kill, reconcile,
// updates missed while disconnected, the agent leaving, messages.
import t from 'tap';
import {
  addTestAgent,
  commandTask,
  frameworkInfo,
  request,
  sleep,
  type Subscription,
  subscribed,
  testMaster,
  type TestAgent,
} from './helpers/master';
import type { RunningMaster } from '../src/master/index';
import type { Offer } from '../src/master/types';

async function state(master: RunningMaster): Promise<any> {
  return JSON.parse((await request(master.url, { method: 'GET', path: '/master/state' })).body);
}

/** Launches a command task on the framework's next offer; resolves with the task the agent is asked to run. */
async function launch(master: RunningMaster, framework: Subscription, agent: TestAgent, taskId: string, resources?: string) {
  const offer = (await framework.next('OFFERS')).offers!.offers[0]!;
  const reply = await framework.call(master.url, {
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask(taskId, agent.link.agentId, resources)] } }],
      filters: { refuse_seconds: 0 },
    },
  });
  if (reply.status !== 202) throw new Error(`ACCEPT: ${reply.status} ${reply.body}`);
  return agent.waitFor('runTask', (c) => c.task.task_id.value === taskId);
}

t.test('a task from offer to removal', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  t.equal(agent.link.agentId, `${master.masterId}-S0`);
  const framework = await subscribed(t, master.url);

  const offer: Offer = (await framework.next('OFFERS')).offers!.offers[0]!;
  t.match(offer.id.value, new RegExp(`^${master.masterId}-O\\d+$`));
  t.equal(offer.framework_id.value, framework.frameworkId);
  t.equal(offer.agent_id.value, agent.link.agentId);
  t.equal(offer.hostname, 'agent.local');
  t.same(offer.url, { scheme: 'http', address: { hostname: 'agent.local', ip: '127.0.0.1', port: master.port }, path: '/slave(1)' });
  t.same(offer.resources, [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 4 }, role: '*' },
    { name: 'mem', type: 'SCALAR', scalar: { value: 4096 }, role: '*' },
    { name: 'disk', type: 'SCALAR', scalar: { value: 10240 }, role: '*' },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] }, role: '*' },
  ]);
  t.equal(offer.allocation_info, undefined, 'no allocation_info for a framework without MULTI_ROLE');
  const raw = framework.chunks.map((c) => c.toString()).find((c) => c.includes('"OFFERS"'))!;
  t.match(raw, '{"name":"cpus","type":"SCALAR","scalar":{"value":4.0},"role":"*"}');

  const reply = await framework.call(master.url, {
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', agent.link.agentId, 'cpus:1;mem:128')] } }],
    },
  });
  t.equal(reply.status, 202);
  const run = await agent.waitFor('runTask');
  t.equal(run.framework.id!.value, framework.frameworkId, 'the agent gets the FrameworkInfo with its id');
  t.equal(run.task.task_id.value, 't1');
  t.same(run.task.resources![0], { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: '*' } });

  let current = await state(master);
  t.equal(current.frameworks[0].tasks[0].state, 'TASK_STAGING');

  const uuids: string[] = [];
  for (const taskState of ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'] as const) {
    const uuid = agent.update(framework.frameworkId, 't1', taskState, taskState === 'TASK_FINISHED' ? { message: 'Command exited with status 0' } : {});
    uuids.push(uuid);
    const status = await framework.update('t1', taskState);
    t.equal(status.uuid, uuid, `${taskState} is forwarded with the agent's uuid`);
    t.equal(status.source, 'SOURCE_EXECUTOR');
    t.equal(status.agent_id!.value, agent.link.agentId);
    const ack = await framework.call(master.url, {
      type: 'ACKNOWLEDGE',
      acknowledge: { agent_id: { value: agent.link.agentId }, task_id: { value: 't1' }, uuid },
    });
    t.equal(ack.status, 202);
    const passed = await agent.waitFor('acknowledge', (c) => c.uuid === uuid);
    t.equal(passed.taskId, 't1');
    if (taskState !== 'TASK_FINISHED') {
      current = await state(master);
      t.equal(current.frameworks[0].tasks[0].state, taskState, `state shows ${taskState}`);
    }
  }
  current = await state(master);
  t.same(current.frameworks[0].tasks, [], 'the acknowledged terminal task is gone from the live tasks');
  const done = current.frameworks[0].completed_tasks[0];
  t.equal(done.id, 't1');
  t.equal(done.state, 'TASK_FINISHED');
  t.same(done.statuses.map((s: { state: string }) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  t.equal(current.slaves[0].used_resources.cpus, 0);
});

t.test('a terminal update stays until acknowledged; another framework can\'t touch it', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  await launch(master, framework, agent, 'unacked');
  agent.update(framework.frameworkId, 'unacked', 'TASK_FAILED', { message: 'Command exited with status 1' });
  await framework.update('unacked', 'TASK_FAILED');
  const current = await state(master);
  t.equal(current.frameworks[0].tasks[0].state, 'TASK_FAILED');
  t.equal(current.slaves[0].used_resources.cpus, 0, 'its resources are free at once');
  // A wrong uuid is passed on, and the task stays.
  await framework.call(master.url, {
    type: 'ACKNOWLEDGE',
    acknowledge: { agent_id: { value: agent.link.agentId }, task_id: { value: 'unacked' }, uuid: 'AAAAAAAAQACAAAAAAAAAAA==' },
  });
  await agent.waitFor('acknowledge');
  t.equal((await state(master)).frameworks[0].tasks.length, 1);
});

t.test('KILL: to the agent with its kill policy; an unknown task is reconciled', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  await launch(master, framework, agent, 'victim');
  const policy = { grace_period: { nanoseconds: 2_000_000_000 } };
  const reply = await framework.call(master.url, { type: 'KILL', kill: { task_id: { value: 'victim' }, kill_policy: policy } });
  t.equal(reply.status, 202);
  const kill = await agent.waitFor('killTask');
  t.equal(kill.taskId, 'victim');
  t.same(kill.killPolicy, policy);

  await framework.call(master.url, { type: 'KILL', kill: { task_id: { value: 'ghost' } } });
  const ghost = await framework.update('ghost');
  t.equal(ghost.state, 'TASK_LOST', 'not PARTITION_AWARE: TASK_LOST');
  t.equal(ghost.message, 'Reconciliation: Task is unknown');
  t.equal(ghost.reason, 'REASON_RECONCILIATION');
  t.equal(ghost.source, 'SOURCE_MASTER');
  t.equal(ghost.uuid, undefined, 'no uuid: never acknowledged');

  await framework.call(master.url, { type: 'KILL', kill: { task_id: { value: 'victim' }, agent_id: { value: 'elsewhere' } } });
  await sleep(50);
  t.equal(agent.calls.filter((c) => c.method === 'killTask').length, 1, 'a kill naming another agent is dropped');
});

t.test('RECONCILE: explicit and implicit, PARTITION_AWARE or not', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const aware = await subscribed(t, master.url, frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }] }));
  await launch(master, aware, agent, 'known');
  agent.update(aware.frameworkId, 'known', 'TASK_RUNNING', { container_status: { executor_pid: 4242 } });
  await aware.update('known', 'TASK_RUNNING');

  await aware.call(master.url, {
    type: 'RECONCILE',
    reconcile: {
      tasks: [
        { task_id: { value: 'known' } },
        { task_id: { value: 'gone' }, agent_id: { value: agent.link.agentId } },
        { task_id: { value: 'lost' }, agent_id: { value: 'no-such-agent' } },
        { task_id: { value: 'nowhere' } },
      ],
    },
  });
  const known = await aware.update('known', 'TASK_RUNNING');
  t.equal(known.message, 'Reconciliation: Latest task state');
  t.equal(known.reason, 'REASON_RECONCILIATION');
  t.equal(known.source, 'SOURCE_MASTER');
  t.equal(known.uuid, undefined);
  t.equal(known.agent_id!.value, agent.link.agentId);
  t.same(known.container_status, { executor_pid: 4242 }, "the latest status's container status");
  const gone = await aware.update('gone');
  t.equal(gone.state, 'TASK_GONE');
  t.equal(gone.message, 'Reconciliation: Task is unknown to the agent');
  const lost = await aware.update('lost');
  t.equal(lost.state, 'TASK_UNKNOWN');
  t.equal(lost.message, 'Reconciliation: Task is unknown');
  t.equal(lost.agent_id!.value, 'no-such-agent');
  const nowhere = await aware.update('nowhere');
  t.equal(nowhere.state, 'TASK_UNKNOWN');
  t.equal(nowhere.agent_id, undefined);

  await launch(master, aware, agent, 'second', 'cpus:0.5;mem:64');
  await aware.call(master.url, { type: 'RECONCILE', reconcile: {} });
  const implicit = [await aware.update('known'), await aware.update('second')];
  t.same(implicit.map((s) => [s.task_id.value, s.state]), [
    ['known', 'TASK_RUNNING'],
    ['second', 'TASK_STAGING'],
  ]);
  t.ok(implicit.every((s) => s.message === 'Reconciliation: Latest task state'));

  const plain = await subscribed(t, master.url);
  await plain.call(master.url, {
    type: 'RECONCILE',
    reconcile: { tasks: [{ task_id: { value: 'x' }, agent_id: { value: agent.link.agentId } }, { task_id: { value: 'y' } }] },
  });
  t.equal((await plain.update('x')).state, 'TASK_LOST');
  t.equal((await plain.update('y')).state, 'TASK_LOST');
});

t.test("a disconnected framework misses updates; the agent's retry reaches it after it is back", async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const first = await subscribed(t, master.url, frameworkInfo({ failover_timeout: 30 }));
  await launch(master, first, agent, 'patient');
  first.close();
  await first.done;
  await sleep(50);
  agent.update(first.frameworkId, 'patient', 'TASK_RUNNING');
  const back = await subscribed(t, master.url, frameworkInfo({ failover_timeout: 30 }), { frameworkId: first.frameworkId });
  await sleep(100);
  t.same(back.all('UPDATE'), [], 'the update sent while disconnected is gone');
  t.equal((await state(master)).frameworks[0].tasks[0].state, 'TASK_RUNNING', 'but the master saw the state');
  const uuid = agent.update(first.frameworkId, 'patient', 'TASK_RUNNING');
  t.equal((await back.update('patient', 'TASK_RUNNING')).uuid, uuid);
});

t.test('an agent leaving: tasks lost, offers rescinded, FAILURE with its id', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master, 'cpus:2;mem:1024');
  const other = addTestAgent(master, 'cpus:2;mem:1024', 'other.local');
  const framework = await subscribed(t, master.url);
  const offers = [(await framework.next('OFFERS')).offers!.offers];
  while (offers.flat().length < 2) offers.push((await framework.next('OFFERS')).offers!.offers);
  const onAgent = offers.flat().find((o) => o.agent_id.value === agent.link.agentId)!;
  const onOther = offers.flat().find((o) => o.agent_id.value === other.link.agentId)!;
  await framework.call(master.url, {
    type: 'ACCEPT',
    accept: { offer_ids: [onAgent.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('stranded', agent.link.agentId)] } }] },
  });
  await agent.waitFor('runTask');
  other.link.unregister();
  const rescind = await framework.next('RESCIND');
  t.equal(rescind.rescind!.offer_id.value, onOther.id.value);
  t.equal((await framework.next('FAILURE')).failure!.agent_id!.value, other.link.agentId);

  agent.link.unregister();
  const lost = await framework.update('stranded');
  t.equal(lost.state, 'TASK_LOST');
  t.equal(lost.message, 'Agent agent.local removed: the agent unregistered');
  t.equal(lost.reason, 'REASON_AGENT_REMOVED');
  t.equal(lost.source, 'SOURCE_MASTER');
  t.equal(lost.uuid, undefined);
  const current = await state(master);
  t.same(current.slaves, []);
  t.same(current.frameworks[0].tasks, []);
  agent.update(framework.frameworkId, 'stranded', 'TASK_RUNNING');
  await sleep(50);
  t.equal(framework.all('UPDATE').length, 1, "a removed agent's updates are ignored");
});

t.test('MESSAGE, SHUTDOWN and REQUEST: 202, passed to the agent or ignored; executor messages come back', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  const data = Buffer.from('hello').toString('base64');
  const message = await framework.call(master.url, {
    type: 'MESSAGE',
    message: { agent_id: { value: agent.link.agentId }, executor_id: { value: 'nobody' }, data },
  });
  t.equal(message.status, 202);
  t.same(await agent.waitFor('frameworkMessage'), { method: 'frameworkMessage', frameworkId: framework.frameworkId, executorId: 'nobody', data });
  const shutdown = await framework.call(master.url, {
    type: 'SHUTDOWN',
    shutdown: { agent_id: { value: agent.link.agentId }, executor_id: { value: 'exec' } },
  });
  t.equal(shutdown.status, 202);
  t.equal((await agent.waitFor('shutdownExecutor')).executorId, 'exec');
  const unknownAgent = await framework.call(master.url, {
    type: 'MESSAGE',
    message: { agent_id: { value: 'no-such-agent' }, executor_id: { value: 'x' }, data },
  });
  t.equal(unknownAgent.status, 202, 'an unknown agent: still 202, nothing happens');
  const req = await framework.call(master.url, { type: 'REQUEST', request: { requests: [{ agent_id: { value: agent.link.agentId } }] } });
  t.equal(req.status, 202);
  agent.link.executorMessage(framework.frameworkId, 'exec', Buffer.from('back').toString('base64'));
  const event = await framework.next('MESSAGE');
  t.same(event.message, { agent_id: { value: agent.link.agentId }, executor_id: { value: 'exec' }, data: 'YmFjaw==' });
  agent.link.executorExited(framework.frameworkId, 'exec', 256);
  t.same((await framework.next('FAILURE')).failure, { agent_id: { value: agent.link.agentId }, executor_id: { value: 'exec' }, status: 256 });
});

t.test('RECONCILE_OPERATIONS: every operation named is unknown to this master', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  const reply = await framework.call(master.url, {
    type: 'RECONCILE_OPERATIONS',
    reconcile_operations: {
      operations: [
        { operation_id: { value: 'a' }, agent_id: { value: agent.link.agentId } },
        { operation_id: { value: 'b' }, agent_id: { value: 'no-such-agent' } },
        { operation_id: { value: 'c' } },
      ],
    },
  });
  t.equal(reply.status, 202);
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await framework.next('UPDATE_OPERATION_STATUS')).update_operation_status!.status);
  t.same(statuses, [
    { operation_id: { value: 'a' }, state: 'OPERATION_UNKNOWN', message: 'Reconciliation: Operation is unknown', agent_id: { value: agent.link.agentId } },
    { operation_id: { value: 'b' }, state: 'OPERATION_UNKNOWN', message: 'Reconciliation: Both operation and agent are unknown', agent_id: { value: 'no-such-agent' } },
    { operation_id: { value: 'c' }, state: 'OPERATION_UNKNOWN', message: "Reconciliation: Operation is unknown and no 'agent_id' was provided" },
  ]);
  const ack = await framework.call(master.url, {
    type: 'ACKNOWLEDGE_OPERATION_STATUS',
    acknowledge_operation_status: { agent_id: { value: agent.link.agentId }, operation_id: { value: 'a' }, uuid: 'AAAAAAAAQACAAAAAAAAAAA==' },
  });
  t.equal(ack.status, 202, 'an acknowledgement of nothing: 202, dropped');
});
