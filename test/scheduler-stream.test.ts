// The scheduler client against a stand-in master, for what ours never
// does: records cut at any byte or packed many to a chunk, garbage in the
// stream, a silent stream, 503/307/404 before the master takes SUBSCRIBE,
// a refusal, calls left unanswered; and what the client itself promises:
// its headers, its two connections, calls in order, no timers after stop().
import t from 'tap';
import type { ContentType } from '../src/scheduler/index';
import { MEDIA_TYPES } from '../src/scheduler/content-type';
import { encode } from '../src/proto/binary';
import { writeJson } from '../src/proto/json';
import { Response } from '../src/proto/v1';
import type { Event } from '../src/scheduler/types';
import { FakeMaster, openStream, record, STREAM_ID, subscribedEvent } from './helpers/fake-master';
import { sleep } from './helpers/master';
import { testScheduler } from './helpers/scheduler';

const FRAMEWORK = 'f-0000';

/** A stream handler: every SUBSCRIBE gets SUBSCRIBED (and `then`), every other call 202. */
function serving(type: ContentType, then: (res: import('node:http').ServerResponse, subscribe: number) => void = () => {}) {
  let subscribes = 0;
  return (request: { call: { type?: string } | undefined }, res: import('node:http').ServerResponse) => {
    if (request.call?.type === 'SUBSCRIBE') {
      openStream(res, type);
      res.write(record(type, subscribedEvent(FRAMEWORK)));
      then(res, subscribes++);
      return;
    }
    res.writeHead(202).end();
  };
}

function sampleEvents(): Event[] {
  return [
    subscribedEvent(FRAMEWORK, 15),
    { type: 'HEARTBEAT' },
    {
      type: 'OFFERS',
      offers: {
        offers: [
          {
            id: { value: 'o1' },
            framework_id: { value: FRAMEWORK },
            agent_id: { value: 'a1' },
            hostname: 'hôte-ü-日本',
            resources: [
              { name: 'cpus', type: 'SCALAR', scalar: { value: 2.5 } },
              { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000n, end: 2n ** 60n }] } },
            ],
          },
        ],
      },
    },
    {
      type: 'UPDATE',
      update: {
        status: {
          task_id: { value: 't1' },
          state: 'TASK_RUNNING',
          source: 'SOURCE_EXECUTOR',
          agent_id: { value: 'a1' },
          uuid: new Uint8Array([0, 1, 2, 3, 4, 5, 0x46, 7, 0x88, 9, 10, 11, 12, 13, 14, 255]),
          data: new Uint8Array([0, 10, 13, 255]),
        },
      },
    },
    { type: 'MESSAGE', message: { agent_id: { value: 'a1' }, executor_id: { value: 'e1' }, data: new Uint8Array([104, 105]) } },
    { type: 'FAILURE', failure: { agent_id: { value: 'a1' } } },
    { type: 'RESCIND', rescind: { offer_id: { value: 'o1' } } },
  ];
}

/** A small deterministic generator of chunk sizes. */
function sizes(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 1 + (state % 9);
  };
}

for (const type of ['json', 'protobuf'] as const) {
  t.test(`${type}: records cut at any byte, and many to a chunk, decode in order`, async (t) => {
    const events = sampleEvents();
    const stream = Buffer.concat(events.map((e) => record(type, e)));
    for (const cutting of ['bytes', 'whole'] as const) {
      const fake = await FakeMaster.start(t, (request, res) => {
        if (request.call?.type !== 'SUBSCRIBE') return void res.writeHead(202).end();
        openStream(res, type);
        if (cutting === 'whole') {
          res.write(stream);
          return;
        }
        const next = sizes(7);
        void (async () => {
          for (let at = 0; at < stream.length; ) {
            const size = next();
            res.write(stream.subarray(at, at + size));
            at += size;
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
      });
      const { scheduler, events: seen } = testScheduler(t, fake.address, { contentType: type });
      await scheduler.start();
      await seen.next('rescind');
      t.same(seen.all('event'), events, `${cutting}: every event, whole and in order`);
      t.equal(seen.all('offers')[0]![0]!.hostname, 'hôte-ü-日本');
      t.same([...seen.all('update')[0]!.uuid!], [0, 1, 2, 3, 4, 5, 0x46, 7, 0x88, 9, 10, 11, 12, 13, 14, 255]);
      t.same(seen.all('message')[0]!.data, new Uint8Array([104, 105]));
      t.same(seen.all('failure'), [{ agent_id: { value: 'a1' } }]);
      t.same(seen.all('rescind'), [{ value: 'o1' }]);
      t.equal(seen.all('heartbeat').length, 1);
      t.equal(seen.all('error').length, 0);
      scheduler.stop();
      await fake.close();
    }
  });

  t.test(`${type}: an answer to a call with a Response body is decoded`, async (t) => {
    const response: Response = {
      type: 'RECONCILE_OPERATIONS',
      reconcile_operations: { operation_statuses: [{ operation_id: { value: 'op1' }, state: 'OPERATION_UNKNOWN' }] },
    };
    const fake = await FakeMaster.start(t, (request, res) => {
      if (request.call?.type === 'SUBSCRIBE') {
        openStream(res, type);
        res.write(record(type, subscribedEvent(FRAMEWORK)));
        return;
      }
      const body = type === 'json' ? writeJson(Response, response) : Buffer.from(encode(Response, response));
      res.writeHead(200, { 'Content-Type': MEDIA_TYPES[type] }).end(body);
    });
    const { scheduler } = testScheduler(t, fake.address, { contentType: type });
    await scheduler.start();
    const result = await scheduler.call('RECONCILE_OPERATIONS', { operations: [{ operation_id: { value: 'op1' } }] });
    t.same(result, { status: 200, response });
    const [sent] = fake.calls('RECONCILE_OPERATIONS');
    t.equal(sent!.headers['content-type'], MEDIA_TYPES[type]);
    t.equal(sent!.headers.accept, MEDIA_TYPES[type]);
  });
}

t.test('a record that is not an Event is reported and skipped; the stream goes on', async (t) => {
  const fake = await FakeMaster.start(
    t,
    serving('json', (res) => {
      res.write(Buffer.from('8\nnot json'));
      res.write(record('json', { type: 'HEARTBEAT' }));
    }),
  );
  const { scheduler, events } = testScheduler(t, fake.address);
  await scheduler.start();
  const error = await events.next('error');
  t.match(error.message, /^Failed to de-serialize event: /);
  t.equal(error.fatal, false);
  t.equal(error.fromMaster, false);
  await events.next('heartbeat');
  t.equal(scheduler.state, 'SUBSCRIBED');
  t.equal(fake.calls('SUBSCRIBE').length, 1);
});

t.test('a broken framing ends the stream: disconnected, then SUBSCRIBE again as the same framework', async (t) => {
  const fake = await FakeMaster.start(
    t,
    serving('json', (res, n) => {
      if (n === 0) res.write('12x\n');
    }),
  );
  const { scheduler, events } = testScheduler(t, fake.address);
  await scheduler.start();
  const reason = await events.next('disconnected');
  t.match(reason, /^Failed to decode the stream of events: /);
  const [first, second] = await fake.waitFor('SUBSCRIBE', 2);
  t.equal(first!.call!.framework_id, undefined, 'a new framework has no id');
  t.same(second!.call!.framework_id, { value: FRAMEWORK });
  t.same(second!.call!.subscribe!.framework_info.id, { value: FRAMEWORK });
  t.equal(second!.headers['mesos-stream-id'], undefined, 'never a stream id on SUBSCRIBE');
  t.ok(second!.at - first!.at < 1000, 'within the reconnection delay');
  await events.next('subscribed');
  await events.next('subscribed');
  t.equal(events.all('subscribed').length, 2);
});

t.test('the end of the stream is a lost master, in the words of Mesos', async (t) => {
  const fake = await FakeMaster.start(
    t,
    serving('json', (res, n) => {
      if (n === 0) res.end();
    }),
  );
  const { scheduler, events } = testScheduler(t, fake.address);
  await scheduler.start();
  t.equal(await events.next('disconnected'), 'End-Of-File received from master. The master closed the event stream');
  await fake.waitFor('SUBSCRIBE', 2);
});

t.test('no event for five heartbeat intervals: the stream is taken as broken', async (t) => {
  const fake = await FakeMaster.start(t, (request, res) => {
    if (request.call?.type !== 'SUBSCRIBE') return void res.writeHead(202).end();
    openStream(res, 'json');
    res.write(record('json', subscribedEvent(FRAMEWORK, 0.1)));
  });
  const { scheduler, events } = testScheduler(t, fake.address);
  await scheduler.start();
  const reason = await events.next('disconnected');
  t.equal(reason, 'No event from the master for 500 ms: the stream is taken as broken');
  const [first, second] = await fake.waitFor('SUBSCRIBE', 2);
  const gap = second!.at - first!.at;
  t.ok(gap >= 450 && gap < 1400, `resubscribed ${gap} ms after the first SUBSCRIBE`);
  t.same(second!.call!.framework_id, { value: FRAMEWORK });
});

t.test('heartbeats keep the stream alive; missedHeartbeats: 0 never gives up on it', async (t) => {
  let beat: NodeJS.Timeout | undefined;
  const fake = await FakeMaster.start(t, (request, res) => {
    if (request.call?.type !== 'SUBSCRIBE') return void res.writeHead(202).end();
    openStream(res, 'json');
    res.write(record('json', subscribedEvent(FRAMEWORK, 0.1)));
    beat = setInterval(() => res.write(record('json', { type: 'HEARTBEAT' })), 100);
  });
  t.teardown(() => clearInterval(beat));
  const beating = testScheduler(t, fake.address);
  await beating.scheduler.start();
  await sleep(900);
  t.equal(fake.calls('SUBSCRIBE').length, 1, 'heartbeats every interval: no reconnection');
  t.ok(beating.events.all('heartbeat').length >= 5);
  beating.scheduler.stop();
  clearInterval(beat);

  const silentFake = await FakeMaster.start(t, (request, res) => {
    if (request.call?.type !== 'SUBSCRIBE') return void res.writeHead(202).end();
    openStream(res, 'json');
    res.write(record('json', subscribedEvent(FRAMEWORK, 0.1)));
  });
  const patient = testScheduler(t, silentFake.address, { missedHeartbeats: 0 });
  await patient.scheduler.start();
  await sleep(900);
  t.equal(silentFake.calls('SUBSCRIBE').length, 1, 'silence, but no liveness check');
  t.equal(patient.scheduler.state, 'SUBSCRIBED');
});

t.test('503, 307 and 404 are retried a second apart, until the master takes SUBSCRIBE', async (t) => {
  const fake = await FakeMaster.start(t, (request, res) => {
    if (request.call?.type !== 'SUBSCRIBE') return void res.writeHead(202).end();
    const n = fake.calls('SUBSCRIBE').length - 1;
    if (n === 0) return void res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Master has not finished recovery');
    if (n === 1) return void res.writeHead(307, { Location: '//elsewhere:5050/master/api/v1/scheduler' }).end();
    if (n === 2) return void res.writeHead(404).end();
    openStream(res, 'json');
    res.write(record('json', subscribedEvent(FRAMEWORK)));
  });
  const { scheduler, events } = testScheduler(t, fake.address);
  const subscribed = await scheduler.start();
  t.equal(subscribed.framework_id.value, FRAMEWORK);
  const tries = fake.calls('SUBSCRIBE');
  t.equal(tries.length, 4);
  for (let i = 1; i < tries.length; i++) {
    const gap = tries[i]!.at - tries[i - 1]!.at;
    t.ok(gap >= 950 && gap < 1400, `try ${i + 1} came ${gap} ms after the one before`);
  }
  t.equal(new Set(tries.map((r) => r.remotePort)).size, 1, 'on the one kept-alive connection');
  t.equal(events.all('error').length, 0, 'retried answers are no errors');
  t.equal(events.all('disconnected').length, 0);
});

t.test('any other answer to SUBSCRIBE is a refusal: start() rejects, nothing is retried', async (t) => {
  const fake = await FakeMaster.start(t, (_request, res) => {
    res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="mesos-master-scheduler"' });
    res.end('401 Unauthorized.');
  });
  const { scheduler, events } = testScheduler(t, fake.address);
  await t.rejects(scheduler.start(), {
    name: 'SchedulerError',
    message: "Received unexpected '401 Unauthorized' (401 Unauthorized.) for SUBSCRIBE",
    fatal: true,
  });
  t.equal((await events.next('error')).fromMaster, true);
  await sleep(1200);
  t.equal(fake.calls('SUBSCRIBE').length, 1);
  t.equal(scheduler.state, 'STOPPED');
});

t.test('headers, the two connections, and calls in the order they were made', async (t) => {
  const fake = await FakeMaster.start(t, serving('json'));
  const { scheduler } = testScheduler(t, fake.address);
  await scheduler.start();
  const results = await Promise.all([
    scheduler.decline(['o1']),
    scheduler.revive(),
    scheduler.kill('t1', 'a1'),
    scheduler.suppress(['*']),
    scheduler.reconcile(),
    scheduler.call('TEARDOWN'),
  ]);
  t.same(
    results.map((r) => r.status),
    [202, 202, 202, 202, 202, 202],
  );
  const [subscribe, ...calls] = fake.requests;
  t.same(
    calls.map((r) => r.call?.type),
    ['DECLINE', 'REVIVE', 'KILL', 'SUPPRESS', 'RECONCILE', 'TEARDOWN'],
  );
  t.equal(subscribe!.path, '/master/api/v1/scheduler');
  t.equal(subscribe!.headers['content-type'], 'application/json');
  t.equal(subscribe!.headers.accept, 'application/json');
  t.equal(subscribe!.headers['mesos-stream-id'], undefined);
  for (const call of calls) {
    t.equal(call.path, '/master/api/v1/scheduler');
    t.equal(call.headers['mesos-stream-id'], STREAM_ID);
    t.same(call.call!.framework_id, { value: FRAMEWORK });
  }
  t.same(calls[0]!.call!.decline, { offer_ids: [{ value: 'o1' }] });
  t.same(calls[1]!.call!.revive, {});
  t.same(calls[2]!.call!.kill, { task_id: { value: 't1' }, agent_id: { value: 'a1' } });
  t.same(calls[3]!.call!.suppress, { roles: ['*'] });
  t.same(calls[4]!.call!.reconcile, {});
  t.equal(new Set(calls.map((r) => r.remotePort)).size, 1, 'every call on one kept-alive connection');
  t.not(calls[0]!.remotePort, subscribe!.remotePort, 'and that is not the stream’s');
});

t.test('a call left unanswered rejects after callTimeoutMs, and the client reconnects', async (t) => {
  const fake = await FakeMaster.start(t, (request, res) => {
    if (request.call?.type === 'SUBSCRIBE') {
      openStream(res, 'json');
      res.write(record('json', subscribedEvent(FRAMEWORK)));
      return;
    }
    // KILL: no answer, ever.
  });
  const { scheduler, events } = testScheduler(t, fake.address, { callTimeoutMs: 300 });
  await scheduler.start();
  const started = Date.now();
  await t.rejects(scheduler.kill('t1'), { name: 'CallError', message: 'Connection to master interrupted: No answer within 300 ms' });
  t.ok(Date.now() - started >= 290);
  t.equal(await events.next('disconnected'), 'Non-subscribe connection interrupted');
  await fake.waitFor('SUBSCRIBE', 2);
  await events.next('subscribed');
  await events.next('subscribed');
});

t.test('stop() ends both connections and every timer; nothing is emitted after it', async (t) => {
  const fake = await FakeMaster.start(t, serving('json'));
  const count = (): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
    return { Timeout: counts.Timeout ?? 0, TCPSocketWrap: counts.TCPSocketWrap ?? 0 };
  };
  await sleep(50);
  const before = count();
  const { scheduler, events } = testScheduler(t, fake.address, { callTimeoutMs: 10_000 });
  await scheduler.start();
  await scheduler.revive();
  const during = count();
  t.ok(during.TCPSocketWrap > before.TCPSocketWrap, 'connections were open');
  const pending = scheduler.kill('never answered?').catch((e: Error) => e.message);
  scheduler.stop();
  t.equal(await pending, 'The scheduler was stopped');
  t.equal(scheduler.state, 'STOPPED');
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline && JSON.stringify(count()) !== JSON.stringify(before)) await sleep(20);
  t.same(count(), before, 'no timer or socket of the client is left');
  const emitted = events.emitted.length;
  await sleep(600);
  t.equal(events.emitted.length, emitted);
  t.equal(fake.calls('SUBSCRIBE').length, 1);
});
