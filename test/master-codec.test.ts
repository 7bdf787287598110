// The JSON side of the master's codec, against stout's rules: the parser's
// errors, how a JSON value becomes a Call, how an Event is written, and
// RecordIO framing.
import t from 'tap';
import { CallDecodeError, decodeCall, encodeEvent } from '../src/master/codec';
import { decodeBase64 } from '../src/master/codec/base64';
import { fromJson, toJson } from '../src/master/codec/json-message';
import { formatDouble, parseJson } from '../src/master/codec/json-text';
import { frameRecord, RecordReader } from '../src/master/codec/recordio';
import { FrameworkInfo, Resource, TaskStatus } from '../src/master/codec/schema-mesos';
import { Call } from '../src/master/codec/schema-scheduler';

function decodeError(body: string): string {
  try {
    decodeCall(Buffer.from(body), 'application/json');
  } catch (error) {
    if (error instanceof CallDecodeError) return error.message;
    throw error;
  }
  return 'decoded';
}

t.test('JSON syntax errors read as picojson words them', async (t) => {
  t.equal(decodeError(''), 'Failed to parse body into JSON: syntax error at line 1 near: ');
  t.equal(decodeError('{"type":'), 'Failed to parse body into JSON: syntax error at line 1 near: ');
  t.equal(decodeError('nonsense'), 'Failed to parse body into JSON: syntax error at line 1 near: onsense');
  t.equal(decodeError('{\n  "a": tru }'), 'Failed to parse body into JSON: syntax error at line 2 near:  }');
  t.equal(decodeError('{"a":1} x'), 'Failed to parse body into JSON: Parsed JSON included non-whitespace trailing characters: x');
  t.equal(decodeError('{"a":"\u0001"}'), 'Failed to parse body into JSON: syntax error at line 1 near: "}');
  t.equal(decodeError('[1.2.3]'), 'Failed to parse body into JSON: syntax error at line 1 near: 1.2.3]');
  t.same(parseJson(' [1, -2.5e3, "\\u00e9\\ud83d\\ude00", true, false, null] '), [1, -2500, 'é😀', true, false, null]);
  t.equal((parseJson('{"a":1,"a":2}') as Map<string, unknown>).get('a'), 2, 'the last of duplicate keys wins');
  // No key reaches an object's prototype.
  const proto = parseJson('{"__proto__":{"polluted":1}}') as Map<string, unknown>;
  t.ok(proto instanceof Map);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});

t.test('deep nesting is a syntax error, not a crash', async (t) => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  t.match(decodeError(deep), /^Failed to parse body into JSON: syntax error at line 1 near: \[+\.\.\.$/);
});

t.test('JSON to Call: stout conversion errors', async (t) => {
  const prefix = 'Failed to convert JSON into Call protobuf: ';
  t.equal(decodeError('[]'), `${prefix}Expecting a JSON object`);
  t.equal(decodeError('{"type":5}'), `${prefix}Not expecting a JSON number for field 'type'`);
  t.equal(decodeError('{"framework_id":"x"}'), `${prefix}Not expecting a JSON string for field 'framework_id'`);
  t.equal(decodeError('{"framework_id":[{"value":"x"}]}'), `${prefix}Not expecting a JSON array for field 'framework_id'`);
  t.equal(decodeError('{"framework_id":{"value":true}}'), `${prefix}Not expecting a JSON boolean for field 'value'`);
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
    `${prefix}Failed to base64 decode bytes field 'uuid': Invalid character '!'`,
  );
  t.equal(
    decodeError('{"type":"DECLINE","decline":{"filters":{"refuse_seconds":"soon"}}}'),
    `${prefix}Failed to parse 'soon' as a JSON number for field 'refuse_seconds': syntax error at line 1 near: soon`,
  );
  t.equal(
    decodeError('{"type":"DECLINE","decline":{"filters":{"refuse_seconds":"[1]"}}}'),
    `${prefix}Failed to parse '[1]' as a JSON number for field 'refuse_seconds': Unexpected JSON type parsed`,
  );
  t.equal(
    decodeError('{"type":"ACCEPT","accept":{"operations":[{"launch":{"task_infos":[{"resources":[{"name":"cpus","type":"SCALARS"}]}]}}]}}'),
    `${prefix}Failed to find enum for 'SCALARS'`,
    'an unknown name in a required enum is refused',
  );
  t.equal(
    decodeError('{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u\\nv","name":"n","checkpoint":"yes\\n"}}}'),
    `${prefix}Failed to parse 'yes\\n' as a JSON boolean for field 'checkpoint': syntax error at line 1 near: yes`,
    "the sender's value is quoted on one line",
  );
});

t.test('JSON to Call: what stout accepts', async (t) => {
  const call = fromJson(
    Call,
    parseJson(
      JSON.stringify({
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
      }),
    ),
  );
  t.same(call, {
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
  const unknownType = fromJson(Call, parseJson('{"type":"NOT_A_CALL"}'));
  t.same(unknownType, {}, 'an unknown name in an optional enum leaves it unset');
  const ack = fromJson(Call, parseJson('{"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"AAEC AwQF\\nBgc="}}'));
  t.equal((ack.acknowledge as { uuid: string }).uuid, 'AAECAwQFBgc=', 'bytes: whitespace skipped, normalized');
  t.same([...decodeBase64('AAECAwQFBgc')], [0, 1, 2, 3, 4, 5, 6, 7]);
  t.same([...decodeBase64('QQ=garbage')], [65], 'everything from the first = on is ignored');
});

t.test('stout writes doubles with a fraction, defaults, declaration order', async (t) => {
  t.equal(formatDouble(15), '15.0');
  t.equal(formatDouble(0.5), '0.5');
  t.equal(formatDouble(-0), '-0.0');
  t.equal(formatDouble(1e21), '1e21');
  t.equal(formatDouble(1724428740.52), '1724428740.52');
  t.equal(
    toJson(FrameworkInfo, { name: 'n', user: 'u', roles: [] }),
    '{"user":"u","name":"n","failover_timeout":0.0,"checkpoint":false}',
    'non-deprecated defaults are written; a deprecated one (role) and empty repeated fields are not',
  );
  t.equal(
    toJson(Resource, { type: 'SCALAR', name: 'cpus', scalar: { value: 8 } }),
    '{"name":"cpus","type":"SCALAR","scalar":{"value":8.0}}',
  );
  t.equal(
    toJson(TaskStatus, { state: 'TASK_RUNNING', task_id: { value: 't' }, uuid: 'AAAA', timestamp: 2, healthy: true, bogus: 1 }),
    '{"task_id":{"value":"t"},"state":"TASK_RUNNING","timestamp":2.0,"uuid":"AAAA","healthy":true}',
  );
  const heartbeat = encodeEvent({ type: 'HEARTBEAT' }, 'application/json');
  t.equal(heartbeat.toString(), '{"type":"HEARTBEAT"}');
  t.equal(
    encodeEvent(
      { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'F' }, heartbeat_interval_seconds: 15 } },
      'application/json',
    ).toString(),
    '{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"F"},"heartbeat_interval_seconds":15.0}}',
  );
});

t.test('protobuf bodies are not decoded yet', async (t) => {
  t.throws(() => decodeCall(Buffer.from([0x10, 0x01]), 'application/x-protobuf'), {
    message: 'Failed to parse body into Call protobuf',
  });
});

t.test('RecordIO: decimal length, newline, record; split across chunks', async (t) => {
  const record = frameRecord(Buffer.from('{"type":"HEARTBEAT"}'));
  t.equal(record.toString(), '20\n{"type":"HEARTBEAT"}');
  const reader = new RecordReader();
  const stream = Buffer.concat([record, frameRecord(Buffer.from('é'))]);
  const out: string[] = [];
  for (let i = 0; i < stream.length; i += 3) out.push(...reader.push(stream.subarray(i, i + 3)).map((r) => r.toString()));
  t.same(out, ['{"type":"HEARTBEAT"}', 'é']);
  t.throws(() => new RecordReader().push(Buffer.from('x\n')));
});
