// The master's seam to the wire (src/master/codec.ts), over the protobuf
// layer: Calls in and Events out in both media types, in the master's JSON
// form (numbers for 64-bit integers, base64 strings for bytes), and Mesos's
// words for a body that is not a Call. The mapping's own rules are the
// protobuf layer's tests (test/proto-*.test.ts).
import protobuf from 'protobufjs/light';
import t from 'tap';
import {
  APPLICATION_JSON,
  APPLICATION_PROTOBUF,
  CallDecodeError,
  decodeCall,
  decodeEvent,
  encodeEvent,
  messageJson,
} from '../src/master/codec';
import type { Call, Event } from '../src/master/types';
import { decode } from '../src/proto/binary';
import { Event as EventMessage } from '../src/proto/v1';
import { protobufBody } from './helpers/master';

function decodeError(body: string | Buffer, type: typeof APPLICATION_JSON | typeof APPLICATION_PROTOBUF = APPLICATION_JSON): string {
  try {
    decodeCall(Buffer.from(body), type);
  } catch (error) {
    if (error instanceof CallDecodeError) return error.message;
    throw error;
  }
  return 'decoded';
}

const json = (call: unknown): Call => decodeCall(Buffer.from(JSON.stringify(call)), APPLICATION_JSON);

t.test('the binary codec builds no protobufjs types: it walks the schema', async (t) => {
  const fromJSON = protobuf.Root.fromJSON.bind(protobuf.Root);
  let builds = 0;
  protobuf.Root.fromJSON = (...args: Parameters<typeof fromJSON>) => {
    builds++;
    return fromJSON(...args);
  };
  t.teardown(() => {
    protobuf.Root.fromJSON = fromJSON;
  });
  let started = process.hrtime.bigint();
  const body = protobufBody({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n' } } });
  decodeCall(body, APPLICATION_PROTOBUF);
  const first = Number(process.hrtime.bigint() - started) / 1e6;
  const built = builds;
  started = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) {
    decodeCall(body, APPLICATION_PROTOBUF);
    encodeEvent({ type: 'HEARTBEAT' }, APPLICATION_PROTOBUF);
  }
  const each = Number(process.hrtime.bigint() - started) / 1e6 / 100;
  t.equal(built, 0, 'no build for the first request');
  t.equal(builds, 0, 'nor for the hundred after it');
  t.comment(`first protobuf Call (encoded, then decoded) ${first.toFixed(1)} ms, then ${each.toFixed(3)} ms a Call and an Event`);
});

t.test('JSON syntax errors: Mesos\'s sentence around picojson\'s words', async (t) => {
  const prefix = 'Failed to parse body into JSON: ';
  t.equal(decodeError(''), `${prefix}syntax error at line 1 near: `);
  t.equal(decodeError('{"type":'), `${prefix}syntax error at line 1 near: `);
  t.equal(decodeError('nonsense'), `${prefix}syntax error at line 1 near: onsense`);
  t.equal(decodeError('{\n  "a": tru }'), `${prefix}syntax error at line 2 near:  }`);
  t.equal(decodeError('{"a":1} x'), `${prefix}Parsed JSON included non-whitespace trailing characters: x`);
  t.equal(decodeError('{"a":"\u0001"}'), `${prefix}syntax error at line 1 near: "}`);
  t.equal(decodeError('[1.2.3]'), `${prefix}syntax error at line 1 near: .3]`);
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  t.match(decodeError(deep), /^Failed to parse body into JSON: syntax error at line 1 near: \[{80}\.\.\.$/, 'deep nesting: an error, not a crash');
  t.match(decodeError(`{"type":"${'x\n'.repeat(10_000)}`), /^[^\n]{1,200}$/, 'one bounded line');
});

t.test('JSON to Call: stout\'s words, with the field\'s path', async (t) => {
  const prefix = 'Failed to convert JSON into Call protobuf: ';
  t.equal(decodeError('[]'), `${prefix}Expecting a JSON object`);
  t.equal(decodeError('{"type":5}'), `${prefix}Not expecting a JSON number for field 'type'`);
  t.equal(decodeError('{"framework_id":"x"}'), `${prefix}Not expecting a JSON string for field 'framework_id'`);
  t.equal(decodeError('{"framework_id":[{"value":"x"}]}'), `${prefix}Not expecting a JSON array for field 'framework_id'`);
  t.equal(decodeError('{"framework_id":{"value":true}}'), `${prefix}Not expecting a JSON boolean for field 'framework_id.value'`);
  t.equal(
    decodeError('{"type":"SUBSCRIBE","subscribe":{"framework_info":{}}}'),
    `${prefix}Missing required fields: subscribe.framework_info.user, subscribe.framework_info.name`,
  );
  t.equal(
    decodeError('{"type":"ACCEPT","accept":{"offer_ids":[{"value":"a"},{}]}}'),
    `${prefix}Missing required fields: accept.offer_ids[1].value`,
  );
  t.equal(
    decodeError('{"type":"ACKNOWLEDGE","acknowledge":{"uuid":"!!"}}'),
    `${prefix}Failed to base64 decode bytes field 'acknowledge.uuid': Invalid character '!'`,
  );
  t.equal(
    decodeError('{"type":"DECLINE","decline":{"filters":{"refuse_seconds":"soon"}}}'),
    `${prefix}Failed to parse 'soon' as a JSON number for field 'decline.filters.refuse_seconds'`,
  );
  t.equal(
    decodeError('{"type":"ACCEPT","accept":{"operations":[{"launch":{"task_infos":[{"resources":[{"name":"cpus","type":"SCALARS"}]}]}}]}}'),
    `${prefix}Failed to find enum for 'SCALARS' in field 'accept.operations[0].launch.task_infos[0].resources[0].type'`,
    'an unknown name in a required enum is refused',
  );
  t.equal(
    decodeError('{"type":"KILL","kill":{"task_id":{"value":"t"},"kill_policy":{"grace_period":{"nanoseconds":1.5}}}}'),
    `${prefix}Expecting an int64 for field 'kill.kill_policy.grace_period.nanoseconds', not 1.5`,
    'a fractional integer is refused, not truncated',
  );
  t.equal(
    decodeError('{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u\\nv","name":"n","checkpoint":"yes\\n"}}}'),
    `${prefix}Failed to parse 'yes\\n' as a JSON boolean for field 'subscribe.framework_info.checkpoint'`,
    "the sender's value is quoted on one line",
  );
});

t.test('JSON to Call: what stout accepts, in the master\'s form', async (t) => {
  const call = json({
    type: 'SUBSCRIBE',
    unknown_field: { anything: 1 },
    framework_id: null,
    subscribe: {
      framework_info: {
        user: 'u',
        name: 'n',
        failover_timeout: '10.5',
        checkpoint: 'true',
        roles: 'solo',
        capabilities: [{ type: 'PARTITION_AWARE' }, { type: 'NO_SUCH_CAPABILITY' }],
        labels: { labels: [{ key: 'k' }] },
      },
      suppressed_roles: [['a', 'b'], 'c'],
    },
  });
  t.strictSame(call, {
    type: 'SUBSCRIBE',
    subscribe: {
      framework_info: {
        user: 'u',
        name: 'n',
        failover_timeout: 10.5,
        checkpoint: true,
        roles: ['solo'],
        capabilities: [{ type: 'PARTITION_AWARE' }, {}],
        labels: { labels: [{ key: 'k' }] },
      },
      suppressed_roles: ['a', 'b', 'c'],
    },
  });
  t.strictSame(json({ type: 'NOT_A_CALL' }), {}, 'an unknown name in an optional enum leaves it unset');
  const ack = json({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: 'AAEC AwQF\nBgc' } });
  t.equal(ack.acknowledge!.uuid, 'AAECAwQFBgc=', 'bytes as standard padded base64, whatever the sender wrote');
  const kill = json({ type: 'KILL', kill: { task_id: { value: 't' }, kill_policy: { grace_period: { nanoseconds: '5000000000' } } } });
  t.strictSame(kill.kill!.kill_policy, { grace_period: { nanoseconds: 5_000_000_000 } }, '64-bit integers as numbers');
});

t.test('protobuf bodies: the same Calls; anything that does not parse in Mesos\'s words', async (t) => {
  const calls: unknown[] = [
    { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', failover_timeout: 10.5, capabilities: [{ type: 'MULTI_ROLE' }] } } },
    { type: 'ACKNOWLEDGE', framework_id: { value: 'F' }, acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: 'AAECAwQFBgcICQoLDA0ODw==' } },
    { type: 'KILL', framework_id: { value: 'F' }, kill: { task_id: { value: 't' }, kill_policy: { grace_period: { nanoseconds: 2 ** 40 } } } },
    { type: 'MESSAGE', framework_id: { value: 'F' }, message: { agent_id: { value: 'a' }, executor_id: { value: 'e' }, data: '' } },
  ];
  for (const call of calls) t.strictSame(decodeCall(protobufBody(call), APPLICATION_PROTOBUF), json(call), JSON.stringify(call).slice(0, 60));
  t.strictSame(decodeCall(Buffer.alloc(0), APPLICATION_PROTOBUF), {}, 'no bytes: an empty Call, for validation to refuse');
  const subscribe = protobufBody(calls[0]);
  const refused: Array<[string, Buffer]> = [
    ['garbage', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['cut short', subscribe.subarray(0, subscribe.length - 1)],
    ['JSON', Buffer.from(JSON.stringify(calls[0]))],
    ['a required field missing', Buffer.from([0x1a, 0x02, 0x0a, 0x00])], // subscribe { framework_info {} }
  ];
  for (const [what, body] of refused) t.equal(decodeError(body, APPLICATION_PROTOBUF), 'Failed to parse body into Call protobuf', what);
});

const STATUS = {
  task_id: { value: 't' },
  state: 'TASK_RUNNING',
  source: 'SOURCE_EXECUTOR',
  timestamp: 1724428740.52,
  uuid: 'AAECAwQFBgcICQoLDA0ODw==',
  data: 'aGk=',
  unreachable_time: { nanoseconds: 1_724_428_740_520_000_000 },
} as const;

t.test('events in JSON: stout\'s text, doubles with a fraction', async (t) => {
  t.equal(encodeEvent({ type: 'HEARTBEAT' }, APPLICATION_JSON).toString(), '{"type":"HEARTBEAT"}');
  t.equal(
    encodeEvent({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'F' }, heartbeat_interval_seconds: 15 } }, APPLICATION_JSON).toString(),
    '{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"F"},"heartbeat_interval_seconds":15.0}}',
  );
  t.equal(
    encodeEvent({ type: 'UPDATE', update: { status: { ...STATUS, bogus: 1 } as never } }, APPLICATION_JSON).toString(),
    '{"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR",' +
      '"data":"aGk=","timestamp":1724428740.52,"uuid":"AAECAwQFBgcICQoLDA0ODw==",' +
      '"unreachable_time":{"nanoseconds":1724428740520000000}}}}',
    'declaration order, bytes as base64, 64-bit integers as numbers; keys the schema lacks left out',
  );
  t.equal(
    messageJson('Resource', { name: 'cpus', type: 'SCALAR', scalar: { value: 8 } }),
    '{"name":"cpus","type":"SCALAR","scalar":{"value":8.0}}',
  );
});

t.test('events in protobuf: the same messages, and back', async (t) => {
  const events: Event[] = [
    { type: 'HEARTBEAT' },
    { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'F' }, heartbeat_interval_seconds: 15 } },
    { type: 'UPDATE', update: { status: STATUS } },
    { type: 'ERROR', error: { message: 'Framework failed over' } },
  ];
  for (const event of events) {
    const bytes = encodeEvent(event, APPLICATION_PROTOBUF);
    t.strictSame(decodeEvent(bytes, APPLICATION_PROTOBUF), event, `${event.type} back from protobuf`);
    t.strictSame(decodeEvent(encodeEvent(event, APPLICATION_JSON), APPLICATION_JSON), event, `${event.type} back from JSON`);
  }
  const update = decode(EventMessage, encodeEvent(events[2]!, APPLICATION_PROTOBUF)).update!.status;
  t.strictSame([...update.uuid!], [...Array(16).keys()], 'the uuid on the wire is its 16 bytes');
  t.equal(update.unreachable_time!.nanoseconds, 1_724_428_740_520_000_000n);
  t.equal(update.timestamp, 1724428740.52);
});

t.test('an event that is not an Event is refused, in either type', async (t) => {
  const bad = { type: 'UPDATE', update: { status: { task_id: { value: 't' } } } } as unknown as Event;
  for (const type of [APPLICATION_JSON, APPLICATION_PROTOBUF] as const) {
    t.throws(() => encodeEvent(bad, type), { name: 'ProtoError', message: 'Missing required fields: update.status.state' }, type);
  }
});
