// The scheduler endpoint's checks, over raw HTTP: each status and message,
// in Mesos's order (an earlier check answers before a later one looks).
import t from 'tap';
import { decode } from '../src/proto/binary';
import { RecordDecoder } from '../src/proto/recordio';
import { Event } from '../src/proto/v1';
import {
  addTestAgent,
  call,
  commandTask,
  frameworkInfo,
  protobufBody,
  request,
  SCHEDULER,
  subscribe,
  subscribed,
  testMaster,
} from './helpers/master';

const JSON_TYPE = { 'Content-Type': 'application/json' };
const TEXT = 'text/plain; charset=utf-8';
const SUBSCRIBE = JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo() } });

t.test('405 comes first: a GET with no content type and no body', async (t) => {
  const master = await testMaster(t);
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
    const reply = await request(master.url, { method, headers: { 'Content-Type': 'text/html' }, body: 'garbage' });
    t.equal(reply.status, 405, method);
    t.equal(reply.headers.allow, 'POST');
    t.equal(reply.headers['content-type'], TEXT);
    t.equal(reply.body, `405 Method Not Allowed. Expecting one of { 'POST' }, but received '${method}'.`);
  }
  const root = await request(master.url, { method: 'GET', path: '/api/v1/scheduler' });
  t.equal(root.status, 405, '/api/v1/scheduler is the same endpoint');
});

t.test('content types: 400 when absent, 415 when not exactly one of the two, before the body is read', async (t) => {
  const master = await testMaster(t);
  const none = await request(master.url, { body: '{not json' });
  t.equal(none.status, 400);
  t.equal(none.headers['content-type'], TEXT);
  t.equal(none.body, "Expecting 'Content-Type' to be present");
  for (const type of ['application/json; charset=utf-8', 'text/plain', 'Application/JSON', 'application/protobuf']) {
    const reply = await request(master.url, { headers: { 'Content-Type': type }, body: '{not json' });
    t.equal(reply.status, 415, type);
    t.equal(reply.body, "Expecting 'Content-Type' of application/json or application/x-protobuf");
  }
});

t.test('protobuf bodies: 400 when they do not parse into a Call, then validation as for JSON', async (t) => {
  const master = await testMaster(t);
  const PROTOBUF = { 'Content-Type': 'application/x-protobuf' };
  const subscribe = protobufBody({ type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo() } });
  const bodies: Array<[string, string | Buffer]> = [
    ['JSON', SUBSCRIBE],
    ['garbage', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])],
    ['cut short', subscribe.subarray(0, subscribe.length - 3)],
    ['a required field missing', Buffer.from([0x10, 0x01, 0x1a, 0x02, 0x0a, 0x00])], // SUBSCRIBE, framework_info {}
  ];
  for (const [what, body] of bodies) {
    const reply = await request(master.url, { headers: PROTOBUF, body });
    t.equal(reply.status, 400, what);
    t.equal(reply.headers['content-type'], TEXT);
    t.equal(reply.body, 'Failed to parse body into Call protobuf', what);
  }
  const empty = await request(master.url, { headers: PROTOBUF, body: Buffer.alloc(0) });
  t.equal(empty.status, 400);
  t.equal(empty.body, "Failed to validate scheduler::Call: Expecting 'type' to be present", 'no bytes: an empty Call');
  const teardown = await request(master.url, { headers: PROTOBUF, body: protobufBody({ type: 'TEARDOWN', framework_id: { value: 'x' } }) });
  t.equal(teardown.body, 'Framework cannot be found', 'a Call that parses goes on to the next checks');
});

t.test('protobuf: Calls in, a RecordIO stream of protobuf Events out, one record per chunk', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribe(master.url, frameworkInfo(), { protobuf: true, headers: { Accept: 'application/x-protobuf' } });
  t.teardown(() => framework.close());
  t.equal(framework.status, 200);
  t.equal(framework.headers['content-type'], 'application/x-protobuf');
  const offer = (await framework.next('OFFERS')).offers!.offers[0]!;
  const task = commandTask('t1', agent.link.agentId);
  const accept = { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }] } };
  t.equal((await framework.call(master.url, accept, 'application/x-protobuf')).status, 202);
  t.equal((await agent.waitFor('runTask')).task.task_id.value, 't1');
  const uuid = agent.update(framework.frameworkId, 't1', 'TASK_RUNNING', { data: 'aGk=' });
  await framework.update('t1', 'TASK_RUNNING');
  const acknowledge = { type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: agent.link.agentId }, task_id: { value: 't1' }, uuid } };
  t.equal((await framework.call(master.url, acknowledge, 'application/x-protobuf')).status, 202);
  t.equal((await agent.waitFor('acknowledge')).uuid, uuid, 'the uuid the agent sent comes back, through bytes both ways');

  // The stream as a client reads it: chunk by chunk, record by record.
  const decoder = new RecordDecoder();
  const events = framework.chunks.map((chunk) => {
    const records = decoder.push(chunk);
    t.equal(records.length, 1, 'one record per chunk');
    return decode(Event, records[0]!);
  });
  t.same(events.slice(0, 3).map((event) => event.type), ['SUBSCRIBED', 'HEARTBEAT', 'OFFERS']);
  t.equal(events[0]!.subscribed!.framework_id.value, framework.frameworkId);
  t.equal(events[0]!.subscribed!.heartbeat_interval_seconds, 0.2);
  const update = events.find((event) => event.type === 'UPDATE')!.update!.status;
  t.equal(update.state, 'TASK_RUNNING');
  t.equal(Buffer.from(update.uuid!).toString('base64'), uuid);
  t.equal(Buffer.from(update.data!).toString(), 'hi');
});

t.test('bodies: JSON syntax, then conversion into a Call', async (t) => {
  const master = await testMaster(t);
  const cases: Array<[string, string]> = [
    ['', 'Failed to parse body into JSON: syntax error at line 1 near: '],
    ['{"type": SUBSCRIBE}', 'Failed to parse body into JSON: syntax error at line 1 near: SUBSCRIBE}'],
    ['{} {}', 'Failed to parse body into JSON: Parsed JSON included non-whitespace trailing characters: {}'],
    ['"SUBSCRIBE"', 'Failed to convert JSON into Call protobuf: Expecting a JSON object'],
    ['{"type":1}', "Failed to convert JSON into Call protobuf: Not expecting a JSON number for field 'type'"],
    [
      '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n"}}}',
      'Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info.user',
    ],
  ];
  for (const [body, message] of cases) {
    const reply = await request(master.url, { headers: JSON_TYPE, body });
    t.equal(reply.status, 400, body);
    t.equal(reply.headers['content-type'], TEXT);
    t.equal(reply.body, message);
  }
});

t.test('413 for a body over the limit, after the content type and before parsing', async (t) => {
  const master = await testMaster(t, { maxBodyBytes: 1024 });
  const big = `{"type":"SUBSCRIBE","pad":"${'x'.repeat(2000)}"}`;
  const reply = await request(master.url, { headers: JSON_TYPE, body: big });
  t.equal(reply.status, 413);
  t.equal(reply.body, 'Request body is larger than 1024 bytes');
  t.equal(reply.headers.connection, 'close');
  t.equal((await request(master.url, { headers: { 'Content-Type': 'text/plain' }, body: big })).status, 415);
  t.equal((await request(master.url, { method: 'PUT', headers: JSON_TYPE, body: big })).status, 405);
  t.equal((await request(master.url, { body: big })).status, 400, 'no Content-Type');
  t.equal((await request(master.url, { method: 'GET', path: '/master/health' })).status, 200);
});

t.test('validation: each message behind "Failed to validate scheduler::Call: "', async (t) => {
  const master = await testMaster(t);
  const F = { value: 'some-framework' };
  const cases: Array<[unknown, string]> = [
    [{}, "Expecting 'type' to be present"],
    [{ type: 'NO_SUCH_TYPE' }, "Expecting 'type' to be present"],
    [{ type: 'SUBSCRIBE' }, "Expecting 'subscribe' to be present"],
    [
      { type: 'SUBSCRIBE', framework_id: F, subscribe: { framework_info: frameworkInfo() } },
      "'framework_id' differs from 'subscribe.framework_info.id'",
    ],
    [
      { type: 'SUBSCRIBE', framework_id: F, subscribe: { framework_info: frameworkInfo({ id: { value: 'other' } }) } },
      "'framework_id' differs from 'subscribe.framework_info.id'",
    ],
    [{ type: 'TEARDOWN' }, "Expecting 'framework_id' to be present"],
    [{ type: 'ACCEPT', framework_id: F }, "Expecting 'accept' to be present"],
    [{ type: 'DECLINE', framework_id: F }, "Expecting 'decline' to be present"],
    [{ type: 'ACCEPT_INVERSE_OFFERS', framework_id: F }, "Expecting 'accept_inverse_offers' to be present"],
    [{ type: 'DECLINE_INVERSE_OFFERS', framework_id: F }, "Expecting 'decline_inverse_offers' to be present"],
    [{ type: 'KILL', framework_id: F }, "Expecting 'kill' to be present"],
    [{ type: 'SHUTDOWN', framework_id: F }, "Expecting 'shutdown' to be present"],
    [{ type: 'ACKNOWLEDGE', framework_id: F }, "Expecting 'acknowledge' to be present"],
    [{ type: 'ACKNOWLEDGE_OPERATION_STATUS', framework_id: F }, "Expecting 'acknowledge_operation_status' to be present"],
    [{ type: 'RECONCILE', framework_id: F }, "Expecting 'reconcile' to be present"],
    [{ type: 'RECONCILE_OPERATIONS', framework_id: F }, "Expecting 'reconcile_operations' to be present"],
    [{ type: 'MESSAGE', framework_id: F }, "Expecting 'message' to be present"],
    [{ type: 'REQUEST', framework_id: F }, "Expecting 'request' to be present"],
    [{ type: 'UPDATE_FRAMEWORK', framework_id: F }, "Expecting 'update_framework' to be present"],
    [
      { type: 'UPDATE_FRAMEWORK', framework_id: F, update_framework: { framework_info: frameworkInfo() } },
      "'framework_id' differs from 'update_framework.framework_info.id'",
    ],
    [
      { type: 'ACKNOWLEDGE', framework_id: F, acknowledge: { agent_id: F, task_id: F, uuid: Buffer.alloc(15, 0x41).toString('base64') } },
      'Not a valid UUID',
    ],
    [
      // Sixteen bytes, but version 0: boost knows no such UUID.
      { type: 'ACKNOWLEDGE', framework_id: F, acknowledge: { agent_id: F, task_id: F, uuid: Buffer.alloc(16).toString('base64') } },
      'Not a valid UUID',
    ],
    [
      {
        type: 'ACKNOWLEDGE_OPERATION_STATUS',
        framework_id: F,
        acknowledge_operation_status: { operation_id: F, uuid: Buffer.alloc(16, 0x44).toString('base64') },
      },
      "Expecting 'agent_id' to be present",
    ],
  ];
  for (const [body, message] of cases) {
    const reply = await call(master.url, body);
    t.equal(reply.status, 400, JSON.stringify(body).slice(0, 80));
    t.equal(reply.body, `Failed to validate scheduler::Call: ${message}`);
  }
  // Validation comes before the framework is looked up: REVIVE and SUPPRESS need no body.
  t.equal((await call(master.url, { type: 'REVIVE', framework_id: F })).body, 'Framework cannot be found');
  t.equal((await call(master.url, { type: 'SUPPRESS', framework_id: F })).body, 'Framework cannot be found');
});

t.test('Accept: 406 for SUBSCRIBE when it admits neither type; JSON wherever it may', async (t) => {
  const master = await testMaster(t);
  for (const accept of ['text/html', 'application/json;q=0', 'image/*', 'application/json;q=0, application/x-protobuf;q=0']) {
    const reply = await request(master.url, { headers: { ...JSON_TYPE, Accept: accept }, body: SUBSCRIBE });
    t.equal(reply.status, 406, accept);
    t.equal(reply.body, "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'");
  }
  for (const accept of ['application/json', 'application/*', '*/*', 'text/html, application/json;q=0.5', 'APPLICATION/JSON']) {
    const subscription = await subscribe(master.url, frameworkInfo(), { headers: { Accept: accept } });
    t.equal(subscription.status, 200, accept);
    t.equal(subscription.headers['content-type'], 'application/json');
    subscription.close();
  }
  // The first entry naming JSON decides (q=0: no); then "*/*" admits protobuf.
  for (const accept of ['application/x-protobuf', 'application/json;q=0, */*']) {
    const subscription = await subscribe(master.url, frameworkInfo(), { headers: { Accept: accept } });
    t.equal(subscription.status, 200, accept);
    t.equal(subscription.headers['content-type'], 'application/x-protobuf');
    t.equal((await subscription.next('SUBSCRIBED')).subscribed!.heartbeat_interval_seconds, 0.2, 'a protobuf stream');
    subscription.close();
  }
  // Accept is read only for SUBSCRIBE (and RECONCILE_OPERATIONS): a TEARDOWN with it goes on to the framework lookup.
  const teardown = await request(master.url, {
    headers: { ...JSON_TYPE, Accept: 'text/html' },
    body: JSON.stringify({ type: 'TEARDOWN', framework_id: { value: 'x' } }),
  });
  t.equal(teardown.body, 'Framework cannot be found');
  const reconcileOperations = await request(master.url, {
    headers: { ...JSON_TYPE, Accept: 'text/html' },
    body: JSON.stringify({ type: 'RECONCILE_OPERATIONS', framework_id: { value: 'x' }, reconcile_operations: {} }),
  });
  t.equal(reconcileOperations.status, 406);
});

t.test('stream ids: none on SUBSCRIBE, the current one on every other call', async (t) => {
  const master = await testMaster(t);
  const withId = await request(master.url, { headers: { ...JSON_TYPE, 'Mesos-Stream-Id': 'abc' }, body: SUBSCRIBE });
  t.equal(withId.status, 400);
  t.equal(withId.body, "Subscribe calls should not include the 'Mesos-Stream-Id' header");

  const framework = await subscribed(t, master.url);
  const F = { value: framework.frameworkId };
  const missing = await call(master.url, { type: 'REVIVE', framework_id: F });
  t.equal(missing.status, 400);
  t.equal(missing.body, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
  const wrong = await call(master.url, { type: 'REVIVE', framework_id: F }, 'not-the-stream');
  t.equal(wrong.status, 400);
  t.equal(
    wrong.body,
    `The stream ID 'not-the-stream' included in this request didn't match the stream ID currently associated with framework ID ${F.value}`,
  );
  const right = await call(master.url, { type: 'REVIVE', framework_id: F }, framework.streamId);
  t.equal(right.status, 202);
  t.equal(right.body, '');
});

t.test('frameworks: 400 unknown, 403 not subscribed; then 501 for UNKNOWN', async (t) => {
  const master = await testMaster(t);
  const unknown = await call(master.url, { type: 'TEARDOWN', framework_id: { value: 'nobody' } }, 'any');
  t.equal(unknown.status, 400);
  t.equal(unknown.body, 'Framework cannot be found');

  const framework = await subscribe(master.url, frameworkInfo({ failover_timeout: 60 }));
  await framework.next('SUBSCRIBED');
  const F = { value: framework.frameworkId };
  const notImplemented = await call(master.url, { type: 'UNKNOWN', framework_id: F }, framework.streamId);
  t.equal(notImplemented.status, 501);
  t.equal(notImplemented.body, '');
  framework.close();
  await framework.done;
  // The master notices the stream went; the framework stays for its failover timeout.
  let reply = await call(master.url, { type: 'REVIVE', framework_id: F }, framework.streamId);
  for (let i = 0; i < 50 && reply.status === 202; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    reply = await call(master.url, { type: 'REVIVE', framework_id: F }, framework.streamId);
  }
  t.equal(reply.status, 403);
  t.equal(reply.body, 'Framework is not subscribed');
  // 403 comes before the stream id is looked at.
  t.equal((await call(master.url, { type: 'REVIVE', framework_id: F })).status, 403);
});

t.test('other paths are 404; the master serves on after every error', async (t) => {
  const master = await testMaster(t);
  t.equal((await request(master.url, { method: 'GET', path: '/master/api/v1/nothing' })).status, 404);
  t.equal((await request(master.url, { path: `${SCHEDULER}x` })).status, 404);
  const health = await request(master.url, { method: 'GET', path: '/master/health' });
  t.equal(health.status, 200);
  t.equal(health.body, '');
});
