// SUBSCRIBE and a framework's life: the stream's headers and framing,
// SUBSCRIBED and heartbeats, failover to a new stream, refusals,
// disconnection and the failover timeout, TEARDOWN.
import t from 'tap';
import {
  addTestAgent,
  call,
  commandTask,
  frameworkInfo,
  request,
  sleep,
  subscribe,
  subscribed,
  testMaster,
} from './helpers/master';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('headers: 200, chunked, the chosen type, a fresh lowercase stream id', async (t) => {
  const master = await testMaster(t);
  const a = await subscribed(t, master.url);
  const b = await subscribed(t, master.url);
  t.equal(a.status, 200);
  t.equal(a.headers['content-type'], 'application/json');
  t.equal(a.headers['transfer-encoding'], 'chunked');
  t.equal(a.headers['content-length'], undefined);
  t.match(a.streamId, UUID_V4);
  t.match(b.streamId, UUID_V4);
  t.not(a.streamId, b.streamId);
  t.equal(a.frameworkId, `${master.masterId}-0000`);
  t.equal(b.frameworkId, `${master.masterId}-0001`);
});

t.test('SUBSCRIBED with master_info, then a HEARTBEAT at once and one per interval', async (t) => {
  const master = await testMaster(t, { heartbeatIntervalMs: 100 });
  const framework = await subscribe(master.url);
  t.teardown(() => framework.close());
  const first = await framework.next(() => true);
  t.equal(first.type, 'SUBSCRIBED');
  const { subscribed: s } = first;
  t.equal(s!.heartbeat_interval_seconds, 0.1);
  t.same(s!.master_info, {
    id: master.masterId,
    ip: 16777343, // 127.0.0.1 in network order, read as a little-endian uint32
    port: master.port,
    pid: `master@127.0.0.1:${master.port}`,
    hostname: 'localhost',
    version: '1.12.0',
    address: { hostname: 'localhost', ip: '127.0.0.1', port: master.port },
    capabilities: [{ type: 'AGENT_UPDATE' }, { type: 'AGENT_DRAINING' }, { type: 'QUOTA_V2' }],
  });
  t.equal((await framework.next(() => true)).type, 'HEARTBEAT', 'a heartbeat right after SUBSCRIBED');
  const started = Date.now();
  await framework.next('HEARTBEAT');
  await framework.next('HEARTBEAT');
  const elapsed = Date.now() - started;
  t.ok(elapsed >= 150 && elapsed < 1500, `two more heartbeats took ${elapsed} ms`);
  t.same(framework.misaligned, [], 'every HTTP chunk held exactly one record');
});

t.test('the default interval is 15 s, written as 15.0', async (t) => {
  const master = await testMaster(t, { heartbeatIntervalMs: undefined });
  const framework = await subscribe(master.url);
  t.teardown(() => framework.close());
  await framework.next('HEARTBEAT');
  const text = framework.chunks[0]!.toString();
  t.match(text, /^\d+\n\{"type":"SUBSCRIBED","subscribed":\{"framework_id":\{"value":"[^"]+"\},"heartbeat_interval_seconds":15\.0,/);
  t.equal(framework.chunks[1]!.toString(), '20\n{"type":"HEARTBEAT"}');
});

t.test('one record per chunk, whatever the events', async (t) => {
  const master = await testMaster(t);
  addTestAgent(master);
  const framework = await subscribed(t, master.url);
  const offers = await framework.next('OFFERS');
  await framework.call(master.url, {
    type: 'DECLINE',
    decline: { offer_ids: [offers.offers!.offers[0]!.id], filters: { refuse_seconds: 0 } },
  });
  await framework.next('OFFERS');
  await framework.next('HEARTBEAT');
  await framework.next('HEARTBEAT');
  t.ok(framework.chunks.length >= 5, `${framework.chunks.length} chunks`);
  t.same(framework.misaligned, []);
});

t.test('resubscribing fails the old stream over and keeps the tasks', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const first = await subscribed(t, master.url, frameworkInfo({ name: 'first' }));
  const offer = (await first.next('OFFERS')).offers!.offers[0]!;
  await first.call(master.url, {
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('kept', agent.link.agentId)] } }],
    },
  });
  await agent.waitFor('runTask');
  agent.update(first.frameworkId, 'kept', 'TASK_RUNNING');
  await first.update('kept', 'TASK_RUNNING');

  const second = await subscribed(t, master.url, frameworkInfo({ name: 'second' }), { frameworkId: first.frameworkId });
  t.equal(second.frameworkId, first.frameworkId, 'the same framework id');
  t.not(second.streamId, first.streamId, 'a new stream id');
  const error = await first.next('ERROR');
  t.equal(error.error!.message, 'Framework failed over');
  await first.done;
  t.ok(first.ended, 'the old stream is closed');

  const oldStream = await first.call(master.url, { type: 'REVIVE' });
  t.equal(oldStream.status, 400, "the old stream's id no longer works");
  const reconcile = await second.call(master.url, { type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'kept' } }] } });
  t.equal(reconcile.status, 202);
  const status = await second.update('kept');
  t.equal(status.state, 'TASK_RUNNING', 'the task survived the failover');
  const state = JSON.parse((await request(master.url, { method: 'GET', path: '/master/state' })).body);
  t.equal(state.frameworks.length, 1);
  t.equal(state.frameworks[0].name, 'second', 'the new FrameworkInfo is applied');
  t.equal(state.frameworks[0].tasks[0].id, 'kept');
});

t.test('a refused subscription is 200, ERROR, end of stream', async (t) => {
  const master = await testMaster(t, { rootSubmissions: false });
  const root = await subscribe(master.url, frameworkInfo({ user: 'root' }));
  t.equal(root.status, 200);
  const error = await root.next('ERROR');
  t.equal(error.error!.message, "User 'root' is not allowed to run frameworks without --root_submissions set");
  await root.done;
  t.same(root.events.map((e) => e.type), ['ERROR']);

  const badRole = await subscribe(master.url, frameworkInfo({ role: '-bad' }));
  t.equal(
    (await badRole.next('ERROR')).error!.message,
    "'FrameworkInfo.role' is not a valid role: Role component '-bad' is invalid because it starts with a dash",
  );
  const multi = await subscribe(master.url, frameworkInfo({ roles: ['a'] }));
  t.equal(
    (await multi.next('ERROR')).error!.message,
    "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable",
  );
  const timeout = await subscribe(master.url, frameworkInfo({ failover_timeout: 1e300 }));
  t.equal((await timeout.next('ERROR')).error!.message, 'The framework failover_timeout (1e+300) is invalid');
  const suppressed = await subscribe(master.url, frameworkInfo(), { suppressedRoles: ['other'] });
  t.equal((await suppressed.next('ERROR')).error!.message, 'Suppressed roles { other } are not contained in the set of roles');
});

t.test('root may subscribe by default, as on a local Mesos master', async (t) => {
  const master = await testMaster(t);
  const root = await subscribed(t, master.url, frameworkInfo({ user: 'root' }));
  t.match(root.frameworkId, master.masterId);
});

t.test('TEARDOWN: 202, the stream ends without an ERROR, the framework is completed', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  const reply = await framework.call(master.url, { type: 'TEARDOWN' });
  t.equal(reply.status, 202);
  await framework.done;
  t.same(framework.all('ERROR'), []);
  await agent.waitFor('shutdownFramework', (c) => c.frameworkId === framework.frameworkId);
  const again = await framework.call(master.url, { type: 'REVIVE' });
  t.equal(again.body, 'Framework cannot be found');
  const state = JSON.parse((await request(master.url, { method: 'GET', path: '/master/state' })).body);
  t.same(state.frameworks, []);
  t.equal(state.completed_frameworks[0].id, framework.frameworkId);
  t.equal(state.completed_frameworks[0].active, false);
  const back = await subscribe(master.url, frameworkInfo(), { frameworkId: framework.frameworkId });
  t.equal((await back.next('ERROR')).error!.message, 'Framework has been removed');
  await back.done;
});

t.test('a closed stream: with failover_timeout 0 the framework is removed and its tasks killed', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url);
  const offer = (await framework.next('OFFERS')).offers!.offers[0]!;
  await framework.call(master.url, {
    type: 'ACCEPT',
    accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('doomed', agent.link.agentId)] } }] },
  });
  await agent.waitFor('runTask');
  framework.close();
  await agent.waitFor('shutdownFramework', (c) => c.frameworkId === framework.frameworkId);
  const state = JSON.parse((await request(master.url, { method: 'GET', path: '/master/state' })).body);
  t.same(state.frameworks, []);
  const [completed] = state.completed_frameworks;
  t.equal(completed.id, framework.frameworkId);
  t.equal(completed.completed_tasks[0].id, 'doomed');
  t.equal(completed.completed_tasks[0].state, 'TASK_KILLED');
  t.same(state.slaves[0].used_resources.cpus, 0, "the task's resources are free again");
});

t.test('a closed stream with a failover timeout: not subscribed meanwhile, back in time keeps all', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url, frameworkInfo({ failover_timeout: 0.6 }));
  const offer = (await framework.next('OFFERS')).offers!.offers[0]!;
  await framework.call(master.url, {
    type: 'ACCEPT',
    accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('waits', agent.link.agentId)] } }] },
  });
  framework.close();
  await framework.done;
  await sleep(100);
  const meanwhile = await call(master.url, { type: 'REVIVE', framework_id: { value: framework.frameworkId } }, framework.streamId);
  t.equal(meanwhile.status, 403);
  t.equal(meanwhile.body, 'Framework is not subscribed');
  const back = await subscribed(t, master.url, frameworkInfo({ failover_timeout: 0.6 }), { frameworkId: framework.frameworkId });
  await sleep(800);
  t.notOk(agent.calls.some((c) => c.method === 'shutdownFramework'), 'not removed: it came back in time');
  t.equal((await back.call(master.url, { type: 'RECONCILE', reconcile: {} })).status, 202);
  t.equal((await back.update('waits')).state, 'TASK_STAGING');

  back.close();
  await agent.waitFor('shutdownFramework', (c) => c.frameworkId === framework.frameworkId, 3000);
});

t.test('UPDATE_FRAMEWORK: 200 and applied; 400 with the reason', async (t) => {
  const master = await testMaster(t);
  addTestAgent(master);
  const framework = await subscribed(t, master.url, frameworkInfo({ principal: 'p' }));
  const F = { value: framework.frameworkId };
  const update = (info: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    framework.call(master.url, {
      type: 'UPDATE_FRAMEWORK',
      update_framework: { framework_info: { ...frameworkInfo({ principal: 'p' }), id: F, ...info }, ...extra },
    });

  const renamed = await update({ name: 'renamed' });
  t.equal(renamed.status, 200);
  t.equal(renamed.body, '');
  let state = JSON.parse((await request(master.url, { method: 'GET', path: '/master/state' })).body);
  t.equal(state.frameworks[0].name, 'renamed');

  const cases: Array<[Record<string, unknown>, Record<string, unknown>, string]> = [
    [{ user: 'other' }, {}, "FrameworkInfo update is not valid: Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'tester' to 'other'"],
    [{ principal: 'q' }, {}, "FrameworkInfo update is not valid: Changing framework's principal is not allowed."],
    [{ checkpoint: true }, {}, "FrameworkInfo update is not valid: Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from 'false' to 'true'"],
    [{ role: 'a//b' }, {}, "Supplied FrameworkInfo is not valid: 'FrameworkInfo.role' is not a valid role: Role 'a//b' cannot contain two adjacent slashes"],
    [{}, { suppressed_roles: ['x', 'a'] }, "'UpdateFramework' call is not valid: Suppressed roles { a, x } are not contained in the set of roles"],
  ];
  for (const [info, extra, message] of cases) {
    const reply = await update(info, extra);
    t.equal(reply.status, 400, message.slice(0, 60));
    t.equal(reply.body, message);
  }

  // Suppressing every role through an update: offers stop.
  await framework.next('OFFERS');
  t.equal((await update({}, { suppressed_roles: ['*'] })).status, 200);
  state = JSON.parse((await request(master.url, { method: 'GET', path: '/master/state' })).body);
  for (const offer of state.frameworks[0].offers) {
    await framework.call(master.url, { type: 'DECLINE', decline: { offer_ids: [{ value: offer.id }], filters: { refuse_seconds: 0 } } });
  }
  const before = framework.all('OFFERS').length;
  await sleep(300);
  t.equal(framework.all('OFFERS').length, before, 'no offers while suppressed');
});

t.test('stop: streams end, the port is free again', async (t) => {
  const master = await testMaster(t);
  const framework = await subscribe(master.url);
  await framework.next('SUBSCRIBED');
  await master.stop();
  await framework.done;
  t.ok(framework.ended, 'the stream ended');
  const again = await testMaster(t, { port: master.port });
  t.equal(again.port, master.port, 'the same port binds again');
  t.equal((await request(again.url, { method: 'GET', path: '/master/health' })).status, 200);
});
