// Offers: DECLINE and its filters, REVIVE, SUPPRESS, what an ACCEPT leaves
// unused, offer and task validation in Mesos's order and words, the
// operations this master refuses, and offers in the form each framework's
// capabilities ask for.
import t from 'tap';
import { addTestAgent, commandTask, frameworkInfo, type Subscription, subscribed, testMaster } from './helpers/master';
import type { RunningMaster } from '../src/master/index';
import type { Offer, TaskInfo } from '../src/master/types';

async function nextOffer(framework: Subscription, timeoutMs = 3000): Promise<Offer> {
  return (await framework.next('OFFERS', timeoutMs)).offers!.offers[0]!;
}

/** Whether an OFFERS event arrives within `ms`. */
async function offeredWithin(framework: Subscription, ms: number): Promise<boolean> {
  try {
    await framework.next('OFFERS', ms);
    return true;
  } catch {
    return false;
  }
}

function accept(master: RunningMaster, framework: Subscription, offerIds: string[], operations: unknown[], filters?: unknown) {
  return framework.call(master.url, {
    type: 'ACCEPT',
    accept: { offer_ids: offerIds.map((value) => ({ value })), operations, ...(filters !== undefined ? { filters } : {}) },
  });
}

const launchOf = (...tasks: TaskInfo[]) => ({ type: 'LAUNCH', launch: { task_infos: tasks } });

t.test('DECLINE: filters of refuse_seconds; 0 is none; REVIVE clears them', async (t) => {
  const master = await testMaster(t);
  addTestAgent(master);
  const framework = await subscribed(t, master.url);

  let offer = await nextOffer(framework);
  t.equal((await framework.call(master.url, { type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0 } } })).status, 202);
  offer = await nextOffer(framework, 1000);
  t.pass('refuse_seconds 0: offered again on the next cycle');

  await framework.call(master.url, { type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0.4 } } });
  const declinedAt = Date.now();
  offer = await nextOffer(framework, 2000);
  const waited = Date.now() - declinedAt;
  t.ok(waited >= 350, `refuse_seconds 0.4: offered again after ${waited} ms`);

  await framework.call(master.url, { type: 'DECLINE', decline: { offer_ids: [offer.id] } });
  t.notOk(await offeredWithin(framework, 600), 'no filters given: the default 5 s filter');
  t.equal((await framework.call(master.url, { type: 'REVIVE' })).status, 202);
  await nextOffer(framework, 1000);
  t.pass('REVIVE: offered again at once');

  const unknown = await framework.call(master.url, { type: 'DECLINE', decline: { offer_ids: [{ value: 'no-such-offer' }] } });
  t.equal(unknown.status, 202, 'unknown offer ids are ignored');
});

t.test('a filter covers only what was refused', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master, 'cpus:4;mem:4096');
  const framework = await subscribed(t, master.url);
  const offer = await nextOffer(framework);
  // Take 1 cpu; the rest comes back under a long filter.
  await accept(master, framework, [offer.id.value], [launchOf(commandTask('small', agent.link.agentId, 'cpus:1;mem:128'))], {
    refuse_seconds: 60,
  });
  t.notOk(await offeredWithin(framework, 300), 'the unused part is filtered');
  // The task ends: more is free than was refused, so the filter no longer covers it.
  agent.update(framework.frameworkId, 'small', 'TASK_FINISHED');
  const again = await nextOffer(framework, 1000);
  t.same(
    again.resources!.map((r) => [r.name, r.scalar!.value]),
    [
      ['cpus', 4],
      ['mem', 4096],
    ],
  );
});

t.test('SUPPRESS: no offers until REVIVE; roles the framework lacks drop the call', async (t) => {
  const master = await testMaster(t);
  addTestAgent(master);
  const framework = await subscribed(t, master.url);
  const offer = await nextOffer(framework);
  t.equal((await framework.call(master.url, { type: 'SUPPRESS', suppress: { roles: ['other-role'] } })).status, 202);
  await framework.call(master.url, { type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0 } } });
  const reoffer = await nextOffer(framework, 1000);
  t.pass('suppressing a role it does not have changes nothing');

  t.equal((await framework.call(master.url, { type: 'SUPPRESS', suppress: {} })).status, 202);
  await framework.call(master.url, { type: 'DECLINE', decline: { offer_ids: [reoffer.id], filters: { refuse_seconds: 0 } } });
  t.notOk(await offeredWithin(framework, 400), 'suppressed: no offers');
  await framework.call(master.url, { type: 'REVIVE', revive: { roles: ['*'] } });
  await nextOffer(framework, 1000);
  t.pass('revived');

  const suppressedAtStart = await subscribed(t, master.url, frameworkInfo(), { suppressedRoles: ['*'] });
  await framework.call(master.url, { type: 'TEARDOWN' });
  t.notOk(await offeredWithin(suppressedAtStart, 400), 'suppressed_roles on SUBSCRIBE');
});

t.test('ACCEPT with bad offers: every task TASK_LOST (TASK_DROPPED if PARTITION_AWARE), the offers back', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  const offer = await nextOffer(framework);
  const task = commandTask('t', agent.link.agentId);

  await accept(master, framework, [], [launchOf(task)]);
  let status = await framework.update('t');
  t.equal(status.state, 'TASK_LOST');
  t.equal(status.message, 'Task launched with invalid offers: No offers specified');
  t.equal(status.reason, 'REASON_INVALID_OFFERS');
  t.equal(status.source, 'SOURCE_MASTER');
  t.equal(status.agent_id!.value, agent.link.agentId);
  t.equal(status.uuid, undefined);

  await accept(master, framework, [offer.id.value, offer.id.value], [launchOf(task)]);
  status = await framework.update('t');
  t.equal(status.message, `Task launched with invalid offers: Duplicate offer ${offer.id.value} in offer list`);
  const reoffered = await nextOffer(framework, 1000);
  t.pass('the offer of a bad ACCEPT went back, unfiltered');

  await accept(master, framework, [offer.id.value], [launchOf(task)]);
  status = await framework.update('t');
  t.equal(status.message, `Task launched with invalid offers: Offer ${offer.id.value} is no longer valid`, 'an offer used up');

  await accept(master, framework, [reoffered.id.value, 'gone'], [launchOf(task)]);
  status = await framework.update('t');
  t.equal(status.message, 'Task launched with invalid offers: Offer gone is no longer valid');

  const aware = await subscribed(t, master.url, frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }] }));
  await accept(master, aware, ['gone'], [launchOf(commandTask('p', agent.link.agentId))]);
  status = await aware.update('p');
  t.equal(status.state, 'TASK_DROPPED');
  t.equal(status.message, 'Task launched with invalid offers: Offer gone is no longer valid');
});

t.test("ACCEPT of another framework's offer", async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const owner = await subscribed(t, master.url);
  const offer = await nextOffer(owner);
  const thief = await subscribed(t, master.url);
  await accept(master, thief, [offer.id.value], [launchOf(commandTask('stolen', agent.link.agentId))]);
  const status = await thief.update('stolen');
  t.equal(
    status.message,
    `Task launched with invalid offers: Offer ${offer.id.value} has invalid framework ${owner.frameworkId} while framework ${thief.frameworkId} is expected`,
  );
  t.same(agent.calls.filter((c) => c.method === 'runTask'), []);
});

t.test('task errors, in order, counting earlier tasks of the same ACCEPT', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  const A = agent.link.agentId;

  // A resource that fails Resources::validate fails every task of its LAUNCH, before anything else.
  const negative = commandTask('negative', A, 'cpus:1;mem:32');
  negative.resources![0]!.scalar!.value = -1;
  let offer = await nextOffer(framework);
  await accept(master, framework, [offer.id.value], [launchOf(commandTask('innocent', A), negative)], { refuse_seconds: 0 });
  for (const id of ['innocent', 'negative']) {
    const status = await framework.update(id);
    t.equal(status.state, 'TASK_ERROR');
    t.equal(status.reason, 'REASON_TASK_INVALID');
    t.equal(status.message, "Resource 'cpus:-1' is invalid: Invalid scalar resource: value <= 0", id);
  }

  const both: TaskInfo = { ...commandTask('both', A), executor: { executor_id: { value: 'e' }, command: { value: 'exec' } } };
  const neither: TaskInfo = commandTask('neither', A);
  delete neither.command;
  const tasks: TaskInfo[] = [
    commandTask('big', A, 'cpus:3;mem:128'),
    commandTask('big', A, 'cpus:0.1;mem:32'),
    commandTask('', A),
    commandTask('a/b', A),
    commandTask('elsewhere', 'other-agent'),
    { ...commandTask('none', A), resources: [] },
    both,
    neither,
    commandTask('toomuch', A, 'cpus:2;mem:128'),
    commandTask('fits', A, 'cpus:1;mem:64'),
    { ...commandTask('killpolicy', A), kill_policy: { grace_period: { nanoseconds: -1 } } },
  ];
  offer = await nextOffer(framework, 1000);
  t.equal((await accept(master, framework, [offer.id.value], [launchOf(...tasks)])).status, 202);
  const expected: Array<[string, string]> = [
    ['big', 'Task has duplicate ID: big'],
    ['', 'ID must not be empty'],
    ['a/b', "'a/b' contains invalid characters"],
    ['elsewhere', `Task uses invalid agent other-agent while agent ${A} is expected`],
    ['none', 'Task uses no resources'],
    ['both', 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present'],
    ['neither', 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present'],
    [
      'toomuch',
      'Total resources cpus(allocated: *):2; mem(allocated: *):128 required by task and its executor is more than available ' +
        'cpus(allocated: *):1; mem(allocated: *):3968; disk(allocated: *):10240; ports(allocated: *):[31000-32000]',
    ],
    ['killpolicy', "Task's 'kill_policy.grace_period' must be non-negative"],
  ];
  const got: Array<[string, string]> = [];
  for (let i = 0; i < expected.length; i++) {
    const status = (await framework.next('UPDATE')).update!.status;
    t.equal(status.state, 'TASK_ERROR');
    t.equal(status.reason, 'REASON_TASK_INVALID');
    t.equal(status.source, 'SOURCE_MASTER');
    got.push([status.task_id.value, status.message!]);
  }
  t.same(got, expected);
  await agent.waitFor('runTask', (c) => c.task.task_id.value === 'fits');
  const ran = agent.calls.flatMap((c) => (c.method === 'runTask' ? [c.task.task_id.value] : []));
  t.same(ran, ['big', 'fits'], 'the valid tasks ran, and only they');
});

t.test('unused resources go back with the filters of the ACCEPT', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  let offer = await nextOffer(framework);
  await accept(master, framework, [offer.id.value], [launchOf(commandTask('a', agent.link.agentId))], { refuse_seconds: 0 });
  offer = await nextOffer(framework, 1000);
  t.same(
    offer.resources!.filter((r) => r.type === 'SCALAR').map((r) => [r.name, r.scalar!.value]),
    [
      ['cpus', 3],
      ['mem', 3968],
      ['disk', 10240],
    ],
    'what the task did not take is offered again',
  );
  await accept(master, framework, [offer.id.value], [launchOf(commandTask('b', agent.link.agentId))]);
  t.notOk(await offeredWithin(framework, 500), 'an ACCEPT without filters: the default 5 s');
});

t.test('operations this master does not carry out', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  let offer = await nextOffer(framework);
  const group = {
    type: 'LAUNCH_GROUP',
    launch_group: {
      executor: { executor_id: { value: 'default' }, type: 'DEFAULT' },
      task_group: { tasks: [commandTask('g1', agent.link.agentId), commandTask('g2', agent.link.agentId)] },
    },
  };
  const reserve = { type: 'RESERVE', id: { value: 'op-1' }, reserve: { resources: [] } };
  const create = { type: 'CREATE', create: { volumes: [] } };
  const launchWithId = { ...launchOf(commandTask('withid', agent.link.agentId)), id: { value: 'op-2' } };
  await accept(master, framework, [offer.id.value], [group, reserve, create, launchWithId, { type: 'LAUNCH' }], { refuse_seconds: 0 });

  // Operations are screened first (resources, feedback), then carried out in order.
  const operation = await framework.next('UPDATE_OPERATION_STATUS');
  const withId = await framework.update('withid');
  t.equal(withId.message, 'The `id` field cannot be set on LAUNCH operations');
  t.equal(withId.reason, 'REASON_TASK_INVALID');
  for (const id of ['g1', 'g2']) {
    const status = await framework.update(id);
    t.equal(status.state, 'TASK_ERROR');
    t.equal(status.reason, 'REASON_TASK_GROUP_INVALID');
    t.equal(status.message, `Task groups are not supported: agent ${agent.link.agentId} runs command tasks only`);
  }
  t.same(operation.update_operation_status!.status, {
    operation_id: { value: 'op-1' },
    state: 'OPERATION_ERROR',
    message: `Operation requested feedback, but agent ${agent.link.agentId} at slave(1)@127.0.0.1:${master.port} (agent.local) does not have the required RESOURCE_PROVIDER capability`,
  });
  t.equal(framework.all('UPDATE_OPERATION_STATUS').length, 1, 'CREATE without an id: dropped silently');
  offer = await nextOffer(framework, 1000);
  t.equal(offer.resources![0]!.scalar!.value, 4, 'and all of the offer came back');
});

t.test('offers in the form the framework asks for', async (t) => {
  const master = await testMaster(t);
  addTestAgent(master, 'cpus:2;mem:1024;ports:[31000-31009,31020-31029]');
  const refined = await subscribed(t, master.url, frameworkInfo({ capabilities: [{ type: 'RESERVATION_REFINEMENT' }] }));
  let offer = await nextOffer(refined);
  t.same(offer.resources, [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 1024 } },
    {
      name: 'ports',
      type: 'RANGES',
      ranges: {
        range: [
          { begin: 31000, end: 31009 },
          { begin: 31020, end: 31029 },
        ],
      },
    },
  ], 'RESERVATION_REFINEMENT: no role on unreserved resources');
  await refined.call(master.url, { type: 'TEARDOWN' });

  const multi = await subscribed(t, master.url, frameworkInfo({ roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] }));
  offer = await nextOffer(multi);
  t.same(offer.allocation_info, { role: 'web' });
  t.same(offer.resources![0], { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: '*', allocation_info: { role: 'web' } });
});
