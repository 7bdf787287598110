// The binary codec: the bytes protobuf writes, proto2's rules on reading,
// and every way bytes can be wrong ending in one line.
import t from 'tap';
import { decode, encode } from '../src/proto/binary';
import { ProtoError } from '../src/proto/errors';
import { readJsonText } from '../src/proto/json';
import { ContainerLaunchInfo } from '../src/proto/launch';
import { messageType } from '../src/proto/schema';
import { Call, Event, type mesos, v1Type } from '../src/proto/v1';
import { CALLS, EVENTS } from './helpers/proto-samples';
import { caught } from './helpers/caught';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/ /g, ''), 'hex'));

const refusal = (fn: () => unknown): ProtoError => caught(ProtoError, fn);

t.test('the bytes protobuf writes', async (t) => {
  t.equal(hex(encode(Event, { type: 'HEARTBEAT' })), '0808');
  t.equal(hex(encode(Call, { framework_id: { value: 'F' }, type: 'TEARDOWN' })), '0a030a01461002', 'fields in number order');
  t.equal(
    hex(encode(Event, { type: 'FAILURE', failure: { status: -9 } })),
    '08063a0b18f7ffffffffffffffff01',
    'a negative int32 takes ten bytes, as in C++',
  );
  t.equal(
    hex(encode(v1Type<mesos.v1.Value.Scalar>('mesos.v1.Value.Scalar'), { value: 1.5 })),
    '09000000000000f83f',
    'a double is fixed64, little-endian',
  );
  t.equal(
    hex(encode(ContainerLaunchInfo, { clone_namespaces: [1, 2] })),
    '20012002',
    'proto2: repeated scalars unpacked',
  );
  t.strictSame(decode(ContainerLaunchInfo, bytes('22020102')), { clone_namespaces: [1, 2] }, 'and packed ones read too');
  const range = v1Type<mesos.v1.Value.Range>('mesos.v1.Value.Range');
  const extremes = { begin: 0n, end: 18446744073709551615n };
  t.equal(hex(encode(range, extremes)), '0800' + '10ffffffffffffffffff01');
  t.strictSame(decode(range, encode(range, extremes)), extremes);
  const time = v1Type<mesos.v1.TimeInfo>('mesos.v1.TimeInfo');
  for (const nanoseconds of [-9223372036854775808n, -1n, 0n, 9007199254740993n, 9223372036854775807n]) {
    t.strictSame(decode(time, encode(time, { nanoseconds })), { nanoseconds }, `int64 ${nanoseconds}`);
  }
  t.strictSame(decode(time, encode(time, { nanoseconds: 5 as unknown as bigint })), { nanoseconds: 5n }, 'a number is taken for an int64');
});

t.test('proto2 on reading: unknown enum numbers and unknown fields dropped', async (t) => {
  t.strictSame(decode(Event, bytes('0863')), {}, 'type 99: unset');
  const capabilities = messageType<mesos.CapabilityInfo>(ContainerLaunchInfo.schema, 'mesos.CapabilityInfo');
  t.strictSame(decode(capabilities, bytes('08f507 08cb08 08fd07')), { capabilities: ['NET_RAW', 'SYS_ADMIN'] }, 'a repeated enum loses the element');
  t.strictSame(decode(Event, bytes('0808 a00601 aa060178')), { type: 'HEARTBEAT' }, 'unknown fields skipped');
  t.strictSame(decode(Event, bytes('')), {}, 'no bytes: an empty message');
  t.strictSame(decode(Event, bytes('0807 0808')), { type: 'HEARTBEAT' }, 'the last value of a field wins');
});

t.test('required fields are checked after decoding, with their paths', async (t) => {
  t.equal(refusal(() => decode(Event, bytes('0804 2a00'))).message, 'Missing required fields: update.status');
  const accept = readJsonText(Call, CALLS.ACCEPT!);
  const task = accept.accept!.operations![0]!.launch!.task_infos![0]!;
  const { agent_id: _, ...withoutAgent } = task;
  accept.accept!.operations![0]!.launch!.task_infos![0] = withoutAgent as typeof task;
  t.equal(
    refusal(() => encode(Call, accept)).message,
    'Missing required fields: accept.operations[0].launch.task_infos[0].agent_id',
    'and before encoding',
  );
});

t.test('encoding refuses values that do not fit their fields', async (t) => {
  const message = (value: unknown) => refusal(() => encode(Call, value as mesos.v1.scheduler.Call)).message;
  t.equal(message({ type: 'NOPE' }), "Failed to find enum for 'NOPE' in field 'type'");
  t.equal(message({ framework_id: { value: 1 } }), "Can't write number as string for field 'framework_id.value'");
  t.equal(message({ framework_id: 'F' }), "Expecting a message for field 'framework_id'");
  t.equal(message({ revive: { roles: 'x' } }), "Expecting an array for field 'revive.roles'");
  const event = (value: unknown) => refusal(() => encode(Event, value as mesos.v1.scheduler.Event)).message;
  t.equal(event({ failure: { status: 2 ** 31 } }), "Expecting a int32 for field 'failure.status', not 2147483648");
  t.equal(event({ failure: { status: 1.5 } }), "Can't write number as int32 for field 'failure.status'");
  const range = v1Type<mesos.v1.Value.Range>('mesos.v1.Value.Range');
  t.equal(refusal(() => encode(range, { begin: -1n, end: 2n ** 64n })).message, "Expecting a uint64 for field 'begin', not -1");
});

t.test('garbage and truncation: one line, a ProtoError, never anything else', async (t) => {
  const cases: [string, string][] = [
    ['ff', 'Invalid mesos.v1.scheduler.Call: '],
    ['0a05', 'Invalid mesos.v1.scheduler.Call: index out of range'],
    ['0a', 'Invalid mesos.v1.scheduler.Call: '],
    ['0f', 'Invalid mesos.v1.scheduler.Call: '],
    ['0b'.repeat(100000), 'Invalid mesos.v1.scheduler.Call: '],
    ['10' + 'ff'.repeat(11), 'Invalid mesos.v1.scheduler.Call: '],
  ];
  for (const [input, start] of cases) {
    const error = refusal(() => decode(Call, bytes(input)));
    t.ok(error.message.startsWith(start), `${input.slice(0, 20)}: ${error.message}`);
    t.notMatch(error.message, /[\r\n]/);
  }
  // Every prefix of every sample: a message or a one-line ProtoError.
  let refused = 0;
  let total = 0;
  for (const [type, samples] of [
    [Call, CALLS],
    [Event, EVENTS],
  ] as const) {
    for (const text of Object.values(samples)) {
      const encoded = encode(type as typeof Call, readJsonText(type as typeof Call, text) as never);
      for (let end = 0; end < encoded.length; end++) {
        total++;
        try {
          decode(type as typeof Call, encoded.subarray(0, end));
        } catch (error) {
          if (!(error instanceof ProtoError) || /[\r\n]/.test(error.message)) {
            t.fail(`prefix ${end} of ${text.slice(0, 40)}: ${String(error)}`);
            return;
          }
          refused++;
        }
      }
    }
  }
  t.ok(refused > total / 2, `most prefixes refused (${refused} of ${total}), each with one line`);
});
