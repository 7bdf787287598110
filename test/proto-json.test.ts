// The JSON mapping: round trips of every Call and Event, JSON to binary and
// back, then stout's rules one by one, reading and writing.
import t from 'tap';
import { decode, encode } from '../src/proto/binary';
import { ProtoError } from '../src/proto/errors';
import { formatDouble, type JsonValue, parseJson, readJson, readJsonText, writeJson } from '../src/proto/json';
import { ContainerLaunchInfo } from '../src/proto/launch';
import { messageType, Schema } from '../src/proto/schema';
import { Call, Event, type mesos, v1Schema, v1Type } from '../src/proto/v1';
import { CALLS, EVENTS } from './helpers/proto-samples';
import { caught } from './helpers/caught';

/** The ProtoError that `fn` throws (anything else fails the test). */
const refusal = (fn: () => unknown): ProtoError => caught(ProtoError, fn);

const message = (fn: () => unknown): string => refusal(fn).message;

/** Whether every key and value of `input` is in `output` (numbers compared as numbers). */
function contains(input: JsonValue, output: JsonValue, path: string, problems: string[]): void {
  if (Array.isArray(input)) {
    if (!Array.isArray(output) || output.length !== input.length) {
      problems.push(`${path}: ${JSON.stringify(output)}`);
      return;
    }
    input.forEach((element, i) => contains(element, output[i]!, `${path}[${i}]`, problems));
  } else if (input !== null && typeof input === 'object') {
    if (output === null || typeof output !== 'object' || Array.isArray(output)) {
      problems.push(`${path}: not an object`);
      return;
    }
    for (const key of Object.keys(input)) {
      const value = input[key]!;
      // An empty repeated field is not written (stout writes only non-empty ones).
      if (!Object.hasOwn(output, key)) {
        if (!(Array.isArray(value) && value.length === 0)) problems.push(`${path}.${key}: missing`);
      }
      else contains(value, output[key]!, `${path}.${key}`, problems);
    }
  } else if (typeof input === 'number' || typeof input === 'bigint') {
    // parseJson gives bigint past 2^53 and a number otherwise, on both sides.
    if (input !== output) problems.push(`${path}: ${String(input)} became ${String(output)}`);
  } else if (input !== output) {
    problems.push(`${path}: ${JSON.stringify(input)} became ${JSON.stringify(output)}`);
  }
}

for (const [kind, type, samples] of [
  ['Call', Call, CALLS],
  ['Event', Event, EVENTS],
] as const) {
  t.test(`every ${kind} type: JSON to message to binary and back, nothing lost`, async (t) => {
    const typeNames = [...v1Schema.enum(`mesos.v1.scheduler.${kind}.Type`).numbers.keys()].filter((name) => name !== 'UNKNOWN');
    t.strictSame(Object.keys(samples).sort(), typeNames.sort(), `a sample for each ${kind}.Type`);
    for (const [name, text] of Object.entries(samples)) {
      const read = readJsonText(type as typeof Call, text) as Record<string, unknown>;
      t.equal(read.type, name, `${name}: its type`);
      const field = name.toLowerCase();
      if (name !== 'TEARDOWN' && name !== 'HEARTBEAT') t.ok(read[field] !== undefined, `${name}: its '${field}' message`);
      const written = writeJson(type as typeof Call, read as never);
      const problems: string[] = [];
      contains(parseJson(text), parseJson(written), name, problems);
      t.strictSame(problems, [], `${name}: every field written back`);
      t.equal(writeJson(type as typeof Call, readJsonText(type as typeof Call, written) as never), written, `${name}: JSON is stable`);
      const bytes = encode(type as typeof Call, read as never);
      const decoded = decode(type as typeof Call, bytes);
      t.strictSame(decoded, read, `${name}: binary round trip`);
      t.equal(writeJson(type as typeof Call, decoded), written, `${name}: the same JSON from the bytes`);
    }
  });
}

t.test('what the v1 API guide shows, written as the master writes it', async (t) => {
  const subscribed = readJson(Event, {
    type: 'SUBSCRIBED',
    subscribed: { framework_id: { value: 'F' }, heartbeat_interval_seconds: 15 },
  });
  t.equal(
    writeJson(Event, subscribed),
    '{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"F"},"heartbeat_interval_seconds":15.0}}',
  );
  t.equal(writeJson(Event, { type: 'HEARTBEAT' }), '{"type":"HEARTBEAT"}');
  const info: mesos.v1.FrameworkInfo = { user: 'u', name: 'n' };
  t.equal(
    writeJson(v1Type<mesos.v1.FrameworkInfo>('mesos.v1.FrameworkInfo'), info),
    '{"user":"u","name":"n","failover_timeout":0.0,"checkpoint":false}',
    'defaults written, but not the deprecated role\'s',
  );
  const command = v1Type<mesos.v1.CommandInfo>('mesos.v1.CommandInfo');
  t.equal(writeJson(command, { value: 'ls' }), '{"shell":true,"value":"ls"}');
  t.equal(writeJson(command, { value: 'ls', shell: false, arguments: [] }), '{"shell":false,"value":"ls"}', 'empty repeated fields are not written');
  const filters = v1Type<mesos.v1.Filters>('mesos.v1.Filters');
  t.equal(writeJson(filters, {}), '{"refuse_seconds":5.0}');
});

// ---------------------------------------------------------------------------
// stout's rules, reading

const Kill = v1Type<mesos.v1.scheduler.Call.Kill>('mesos.v1.scheduler.Call.Kill');
const Status = v1Type<mesos.v1.TaskStatus>('mesos.v1.TaskStatus');
const FrameworkInfo = v1Type<mesos.v1.FrameworkInfo>('mesos.v1.FrameworkInfo');
const Resource = v1Type<mesos.v1.Resource>('mesos.v1.Resource');
const TaskInfo = v1Type<mesos.v1.TaskInfo>('mesos.v1.TaskInfo');

t.test('enums by name; a number is refused', async (t) => {
  t.strictSame(readJson(Call, { type: 'KILL' }), { type: 'KILL' });
  t.equal(message(() => readJson(Call, { type: 6 })), "Not expecting a JSON number for field 'type'");
  t.strictSame(readJsonText(Call, '{"type":"6"}'), {}, 'a digit string is just an unknown name');
  t.equal(message(() => readJson(Call, { type: true })), "Not expecting a JSON boolean for field 'type'");
});

t.test('an unknown enum name: dropped when optional, element by element when repeated, an error when required', async (t) => {
  t.strictSame(readJson(Call, { type: 'SUBSCRIBE_PLEASE' }), {}, 'optional: dropped, the field unset');
  t.strictSame(
    readJson(FrameworkInfo, { user: 'u', name: 'n', capabilities: [{ type: 'MULTI_ROLE' }, { type: 'TELEPORT' }] }),
    { user: 'u', name: 'n', capabilities: [{ type: 'MULTI_ROLE' }, {}] },
    'a message element stays, its enum unset',
  );
  const Capability = messageType<mesos.CapabilityInfo>(ContainerLaunchInfo.schema, 'mesos.CapabilityInfo');
  t.strictSame(readJson(Capability, { capabilities: ['NET_RAW', 'TELEPORT', 'CHOWN'] }), { capabilities: ['NET_RAW', 'CHOWN'] }, 'a repeated enum loses the element');
  t.strictSame(readJson(Capability, { capabilities: ['TELEPORT'] }), {}, 'and an empty repeated field is unset');
  t.equal(
    message(() => readJson(Resource, { name: 'cpus', type: 'FLOAT' })),
    "Failed to find enum for 'FLOAT' in field 'type'",
    'required: an error',
  );
  t.strictSame(
    readJson(Status, { task_id: { value: 't' }, state: 'TASK_RUNNING', reason: 'REASON_BORED', source: 'SOURCE_GOD' }),
    { task_id: { value: 't' }, state: 'TASK_RUNNING' },
  );
  t.equal(
    message(() => readJson(Status, { task_id: { value: 't' }, state: 'TASK_BORED' })),
    "Failed to find enum for 'TASK_BORED' in field 'state'",
  );
});

t.test('null is unset, in an object and in an array', async (t) => {
  t.strictSame(readJson(Call, { type: null, framework_id: null, subscribe: null }), {});
  t.strictSame(readJson(Call, { type: 'REVIVE', revive: { roles: ['a', null, 'b'] } }), { type: 'REVIVE', revive: { roles: ['a', 'b'] } });
  t.equal(message(() => readJson(Kill, { task_id: null })), 'Missing required fields: task_id', 'a null required field is missing');
});

t.test('unknown fields are ignored, whatever they hold; __proto__ is a key like any other', async (t) => {
  const read = readJsonText(Call, '{"type":"TEARDOWN","frobnicate":[1,{"a":null}],"__proto__":{"type":"KILL"},"constructor":1,"framework_id":{"value":"F","extra":true}}');
  t.strictSame(read, { type: 'TEARDOWN', framework_id: { value: 'F' } });
  t.equal(Object.getPrototypeOf(read), Object.prototype);
});

t.test('64-bit integers: JSON numbers, exact both ways; strings of digits read too', async (t) => {
  const kill = readJsonText(Kill, '{"task_id":{"value":"t"},"kill_policy":{"grace_period":{"nanoseconds":9007199254740993}}}');
  t.equal(kill.kill_policy?.grace_period?.nanoseconds, 9007199254740993n, 'past 2^53, exactly');
  t.equal(writeJson(Kill, kill), '{"task_id":{"value":"t"},"kill_policy":{"grace_period":{"nanoseconds":9007199254740993}}}');
  const range = v1Type<mesos.v1.Value.Range>('mesos.v1.Value.Range');
  t.strictSame(readJsonText(range, '{"begin":0,"end":18446744073709551615}'), { begin: 0n, end: 18446744073709551615n });
  t.strictSame(readJson(range, { begin: '31000', end: '32000' }), { begin: 31000n, end: 32000n }, 'digit strings');
  t.strictSame(readJson(range, { begin: '1e3', end: 5 }), { begin: 1000n, end: 5n }, 'a number string, as stout parses it');
  t.equal(typeof readJson(range, { begin: 1, end: 2 }).begin, 'bigint', 'always bigint');
  t.equal(message(() => readJson(range, { begin: -1, end: 2 })), "Expecting a uint64 for field 'begin', not -1", 'stout would wrap -1; we refuse');
  t.equal(message(() => readJsonText(range, '{"begin":18446744073709551616,"end":1}')), "Expecting a uint64 for field 'begin', not 18446744073709551616");
  t.equal(message(() => readJson(range, { begin: 1.5, end: 2 })), "Expecting a uint64 for field 'begin', not 1.5", 'stout would truncate; we refuse');
  t.equal(message(() => readJson(range, { begin: 'x', end: 2 })), "Failed to parse 'x' as a JSON number for field 'begin'");
  t.equal(message(() => readJson(range, { begin: true, end: 2 })), "Not expecting a JSON boolean for field 'begin'");
  const time = v1Type<mesos.v1.TimeInfo>('mesos.v1.TimeInfo');
  t.strictSame(readJsonText(time, '{"nanoseconds":-9223372036854775808}'), { nanoseconds: -9223372036854775808n });
  t.equal(message(() => readJsonText(time, '{"nanoseconds":-9223372036854775809}')), "Expecting an int64 for field 'nanoseconds', not -9223372036854775809");
  const address = v1Type<mesos.v1.Address>('mesos.v1.Address');
  t.equal(message(() => readJson(address, { port: 2 ** 31 })), "Expecting an int32 for field 'port', not 2147483648");
});

t.test('doubles: numbers, number strings and the infinities; written with a fraction', async (t) => {
  const scalar = v1Type<mesos.v1.Value.Scalar>('mesos.v1.Value.Scalar');
  t.strictSame(readJson(scalar, { value: 15 }), { value: 15 });
  t.strictSame(readJson(scalar, { value: '0.5' }), { value: 0.5 });
  t.strictSame(readJson(scalar, { value: 'Infinity' }), { value: Infinity });
  t.strictSame(readJson(scalar, { value: '-Infinity' }), { value: -Infinity });
  t.strictSame(readJsonText(scalar, '{"value":12345678901234567890}'), { value: 12345678901234567890 }, 'a big integer literal for a double');
  t.equal(message(() => readJson(scalar, { value: 'NaN' })), "Failed to parse 'NaN' as a JSON number for field 'value'");
  t.equal(message(() => readJson(scalar, { value: 'abc' })), "Failed to parse 'abc' as a JSON number for field 'value'");
  t.equal(writeJson(scalar, { value: 15 }), '{"value":15.0}');
  t.equal(writeJson(scalar, { value: Infinity }), '{"value":"Infinity"}', 'infinities as the strings stout reads');
  t.equal(writeJson(scalar, { value: -Infinity }), '{"value":"-Infinity"}');
  t.equal(message(() => writeJson(scalar, { value: NaN })), "Can't write NaN as JSON for field 'value'", 'stout would abort');
  const cases: [number, string][] = [
    [0, '0.0'],
    [-0, '-0.0'],
    [15, '15.0'],
    [0.1, '0.1'],
    [1724428740.52, '1724428740.52'],
    [-2.5, '-2.5'],
    [1e20, '100000000000000000000.0'],
    [1e21, '1e21'],
    [1.5e300, '1.5e300'],
    [1e-7, '1e-7'],
    [0.000001, '0.000001'],
    [5e-324, '5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e308'],
  ];
  for (const [value, text] of cases) t.equal(formatDouble(value), text, `${value} as rapidjson writes it`);
  const health = v1Type<mesos.v1.HealthCheck>('mesos.v1.HealthCheck');
  t.equal(
    writeJson(health, {}),
    '{"delay_seconds":15.0,"interval_seconds":10.0,"timeout_seconds":20.0,"consecutive_failures":3,"grace_period_seconds":10.0}',
  );
});

t.test('optional fields with a declared default are written, deprecated ones not', async (t) => {
  t.equal(writeJson(FrameworkInfo, { user: 'u', name: 'n' }), '{"user":"u","name":"n","failover_timeout":0.0,"checkpoint":false}');
  t.equal(
    writeJson(FrameworkInfo, { user: 'u', name: 'n', role: 'dev' }),
    '{"user":"u","name":"n","failover_timeout":0.0,"checkpoint":false,"role":"dev"}',
    'a deprecated field is written when set',
  );
  const variable = messageType<mesos.Environment.Variable>(ContainerLaunchInfo.schema, 'mesos.Environment.Variable');
  t.equal(writeJson(variable, { name: 'A' }), '{"name":"A","type":"VALUE"}', 'an enum default, by name');
  t.strictSame(readJson(variable, { name: 'A' }), { name: 'A' }, 'reading does not fill defaults in');
});

t.test('bytes: standard padded base64 written; stout\'s decoding read', async (t) => {
  const ack = v1Type<mesos.v1.scheduler.Call.Acknowledge>('mesos.v1.scheduler.Call.Acknowledge');
  const base = { agent_id: { value: 'a' }, task_id: { value: 't' } };
  const bytes = Uint8Array.from([0, 1, 2, 0xfe, 0xff]);
  t.equal(writeJson(ack, { ...base, uuid: bytes }), '{"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"AAEC/v8="}');
  t.strictSame(readJson(ack, { ...base, uuid: 'AAEC/v8=' }).uuid, bytes);
  t.strictSame(readJson(ack, { ...base, uuid: 'AAEC/v8' }).uuid, bytes, 'padding optional');
  t.strictSame(readJson(ack, { ...base, uuid: 'AAEC\n/v8=' }).uuid, bytes, 'whitespace skipped');
  t.strictSame(readJson(ack, { ...base, uuid: 'AAEC/v8=!!' }).uuid, bytes, 'decoding stops at the padding');
  t.strictSame(readJson(ack, { ...base, uuid: '' }).uuid, new Uint8Array(0), 'empty bytes are set bytes');
  t.equal(message(() => readJson(ack, { ...base, uuid: 'AA-_' })), "Failed to base64 decode bytes field 'uuid': Invalid character '-'", 'not the URL-safe alphabet');
  t.equal(message(() => readJson(ack, { ...base, uuid: 5 })), "Not expecting a JSON number for field 'uuid'");
});

t.test('required fields: all missing ones, with their paths, after everything else', async (t) => {
  t.equal(message(() => readJson(Kill, {})), 'Missing required fields: task_id');
  t.equal(
    message(() => readJsonText(Call, '{"type":"ACCEPT","accept":{"operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"x","task_id":{"value":"t"},"agent_id":{"value":"a"}},{"name":"y","task_id":{}}]}}]}}')),
    'Missing required fields: accept.operations[0].launch.task_infos[1].agent_id, accept.operations[0].launch.task_infos[1].task_id.value',
  );
  const error = refusal(() => readJson(TaskInfo, { task_id: { value: 't' } }));
  t.equal(error.message, 'Missing required fields: name, agent_id');
  t.equal(error.path, 'name', 'the first one is the error\'s path');
  t.equal(
    message(() => readJson(Kill, { kill_policy: { grace_period: { nanoseconds: 'x' } } })),
    "Failed to parse 'x' as a JSON number for field 'kill_policy.grace_period.nanoseconds'",
    'a type error comes first',
  );
  t.equal(
    message(() => readJson(TaskInfo, { limits: { cpus: {} } })),
    "Missing required fields: name, task_id, agent_id, limits[0].value.value",
    'in a map value too',
  );
});

t.test('JSON types that do not fit the field: stout\'s words, with the path', async (t) => {
  t.equal(message(() => readJson(Call, [])), 'Expecting a JSON object');
  t.equal(message(() => readJson(Call, 'x')), 'Expecting a JSON object');
  t.equal(message(() => readJson(Call, { framework_id: 'F' })), "Not expecting a JSON string for field 'framework_id'");
  t.equal(message(() => readJson(Call, { framework_id: { value: {} } })), "Not expecting a JSON object for field 'framework_id.value'");
  t.equal(message(() => readJson(Call, { framework_id: [{ value: 'F' }] })), "Not expecting a JSON array for field 'framework_id'");
  t.equal(message(() => readJson(FrameworkInfo, { user: 'u', name: 'n', checkpoint: 'yes' })), "Failed to parse 'yes' as a JSON boolean for field 'checkpoint'");
  t.strictSame(readJson(FrameworkInfo, { user: 'u', name: 'n', checkpoint: 'true' }).checkpoint, true, 'a boolean string, as stout takes it');
  t.equal(message(() => readJson(FrameworkInfo, { user: 'u', name: 'n', checkpoint: 1 })), "Not expecting a JSON number for field 'checkpoint'");
  t.equal(message(() => readJson(FrameworkInfo, { user: 1, name: 'n' })), "Not expecting a JSON number for field 'user'");
});

t.test('repeated fields: arrays, a single value as one element, nested arrays flattened (stout\'s visitor)', async (t) => {
  t.strictSame(readJson(FrameworkInfo, { user: 'u', name: 'n', roles: 'dev' }).roles, ['dev']);
  t.strictSame(readJson(FrameworkInfo, { user: 'u', name: 'n', roles: ['a', ['b', ['c']]] }).roles, ['a', 'b', 'c']);
  t.strictSame(readJson(FrameworkInfo, { user: 'u', name: 'n', roles: [] }), { user: 'u', name: 'n' }, 'an empty array leaves the field unset');
  t.strictSame(
    readJson(FrameworkInfo, { user: 'u', name: 'n', capabilities: { type: 'GPU_RESOURCES' } }).capabilities,
    [{ type: 'GPU_RESOURCES' }],
  );
});

t.test('maps: a JSON object by key', async (t) => {
  const task = readJson(TaskInfo, { name: 'n', task_id: { value: 't' }, agent_id: { value: 'a' }, limits: { cpus: { value: 2 }, mem: { value: 64 } } });
  t.strictSame(task.limits, { cpus: { value: 2 }, mem: { value: 64 } });
  t.match(writeJson(TaskInfo, task), /"limits":\{"cpus":\{"value":2\.0\},"mem":\{"value":64\.0\}\}/);
  const odd = readJsonText(TaskInfo, '{"name":"n","task_id":{"value":"t"},"agent_id":{"value":"a"},"limits":{"__proto__":{"value":1}}}');
  t.strictSame(Object.keys(odd.limits!), ['__proto__'], 'any key is a key');
  t.equal(message(() => readJson(TaskInfo, { limits: 'x' })), "Not expecting a JSON string for field 'limits'");
  t.equal(message(() => readJson(TaskInfo, { limits: { cpus: 'x' } })), "Not expecting a JSON string for field 'limits['cpus']'");
});

t.test('oneof: of two members, the later in key order wins, as reflection sets them', async (t) => {
  const operation = messageType<mesos.slave.ContainerFileOperation>(ContainerLaunchInfo.schema, 'mesos.slave.ContainerFileOperation');
  t.strictSame(readJson(operation, { operation: 'MKDIR', rename: { source: 'a' }, mkdir: { target: 'b' } }), { operation: 'MKDIR', rename: { source: 'a' } });
});

t.test('strict mode (launch): what stout lets slip is refused', async (t) => {
  const strict = { strict: true, root: 'launch_info' };
  const base = { command: { value: 'x' } };
  const cases: [Record<string, JsonValue>, string][] = [
    [{ effective_capabilities: { capabilities: ['TELEPORT'] } }, "Failed to find enum for 'TELEPORT' in field 'launch_info.effective_capabilities.capabilities[0]'"],
    [{ masked_paths: ['/a', null] }, "Not expecting a JSON null for field 'launch_info.masked_paths[1]'"],
    [{ masked_paths: [['/a']] }, "Not expecting a JSON array for field 'launch_info.masked_paths[0]'"],
    [{ masked_paths: '/a' }, "Not expecting a JSON string for field 'launch_info.masked_paths'"],
    [{ no_new_privileges: 'true' }, "Not expecting a JSON string for field 'launch_info.no_new_privileges'"],
    [{ supplementary_groups: ['1e3'] }, "Failed to parse '1e3' as a JSON number for field 'launch_info.supplementary_groups[0]'"],
  ];
  for (const [change, expected] of cases) t.equal(message(() => readJson(ContainerLaunchInfo, { ...base, ...change }, strict)), expected);
  t.strictSame(readJson(ContainerLaunchInfo, { ...base, supplementary_groups: ['20'] }, strict).supplementary_groups, [20], 'digit strings still read');
  t.equal(message(() => readJson(ContainerLaunchInfo, 'x', strict)), "Not expecting a JSON string for field 'launch_info'");
});

// ---------------------------------------------------------------------------
// JSON text

t.test('JSON text: exact integers, stout\'s depth, one-line errors in picojson\'s words', async (t) => {
  t.strictSame(parseJson('{"a":[1,-0,2.5,9007199254740993,-9223372036854775808,1e2],"b":"\\u00e9\\n","c":null,"d":true}'), {
    a: [1, -0, 2.5, 9007199254740993n, -9223372036854775808n, 100],
    b: '\u00e9\n',
    c: null,
    d: true,
  });
  t.strictSame(parseJson('{"k":1,"k":2}'), { k: 2 }, 'a later duplicate wins');
  t.strictSame(parseJson(' [ ] '), []);
  const errors: [string, string][] = [
    ['', 'syntax error at line 1 near: '],
    ['{', 'syntax error at line 1 near: '],
    ['{"a":1,}', 'syntax error at line 1 near: }'],
    ['[1 2]', 'syntax error at line 1 near: 2]'],
    ['{\n  "a": tru }', 'syntax error at line 2 near:  }'],
    ['01', "Parsed JSON included non-whitespace trailing characters: 1"],
    ['{"a":1} x', 'Parsed JSON included non-whitespace trailing characters: x'],
    ['"a\nb"', 'syntax error at line 2 near: b"'],
    ['"\\x"', 'syntax error at line 1 near: "\\x"'],
    ['"abc', 'syntax error at line 1 near: '],
    ['1e400', 'Value out of range'],
    ['tru', 'syntax error at line 1 near: '],
    ['nonsense', 'syntax error at line 1 near: onsense'],
    ['NaN', 'syntax error at line 1 near: NaN'],
    ['[' .repeat(201) + ']'.repeat(201), `syntax error at line 1 near: ${'['}${']'.repeat(79)}...`],
    [`{"a":"\u0001${'x'.repeat(100)}"}`, `syntax error at line 1 near: ${'x'.repeat(80)}...`],
  ];
  for (const [text, expected] of errors) t.equal(message(() => parseJson(text)), expected, JSON.stringify(text.slice(0, 20)));
  t.doesNotThrow(() => parseJson('['.repeat(200) + ']'.repeat(200)), '200 levels are fine');
});

t.test('the schema: unknown types are errors, not crashes', async (t) => {
  t.equal(message(() => messageType(v1Schema, 'mesos.v1.Nope')), "Unknown message type 'mesos.v1.Nope'");
  const broken = new Schema({ messages: { 'x.M': [{ name: 'f', number: 1, type: 'x.Missing' }] }, enums: {} });
  t.equal(message(() => broken.message('x.M')), "Unknown type 'x.Missing' of field 'x.M.f'");
});

t.test('writing refuses what it could not read back', async (t) => {
  t.equal(message(() => writeJson(Kill, {} as mesos.v1.scheduler.Call.Kill)), 'Missing required fields: task_id');
  t.equal(message(() => writeJson(Call, { type: 'NOPE' as 'KILL' })), "Failed to find enum for 'NOPE' in field 'type'");
  t.equal(message(() => writeJson(Call, { framework_id: { value: 5 as unknown as string } })), "Can't write number as string for field 'framework_id.value'");
  t.equal(message(() => writeJson(Call, { framework_id: 'F' as never })), "Expecting a message for field 'framework_id'");
  t.equal(message(() => writeJson(FrameworkInfo, { user: 'u', name: 'n', roles: 'dev' as never })), "Expecting an array for field 'roles'");
});
