// Fuzzing of the protobuf layer: the JSON reader (on values and on text) and
// the binary decoder, on random input and on mutations of real Calls and
// Events. The rule: a ProtoError with a one-line message is the only thing
// that ever comes out; and what is accepted writes back to JSON and to
// bytes and reads back the same.
//
// Seeds are random; a failure prints the seed and the input. FUZZ_SEED
// replays one.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { decode, encode } from '../src/proto/binary';
import { ProtoError } from '../src/proto/errors';
import { parseJson, readJson, readJsonText, writeJson } from '../src/proto/json';
import { ContainerLaunchInfo } from '../src/proto/launch';
import type { MessageType } from '../src/proto/schema';
import { Call, Event } from '../src/proto/v1';
import type { JsonObject, JsonValue } from '../src/subcommand/flags';
import { launchInfo, mutated } from './helpers/fuzz';
import { CALLS, EVENTS } from './helpers/proto-samples';

const seed = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };

type AnyType = MessageType<unknown>;
const TYPES: [string, AnyType, string[]][] = [
  ['Call', Call as AnyType, Object.values(CALLS)],
  ['Event', Event as AnyType, Object.values(EVENTS)],
];

/** Runs `fn`; a ProtoError of one line is fine, anything else is thrown on. */
function refusedOrDone<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof ProtoError)) throw new Error(`threw ${String((error as Error)?.stack ?? error)}`);
    if (error.message.length === 0 || /[\r\n\u2028\u2029]/.test(error.message) || error.message.length > 2000) {
      throw new Error(`not one short line: ${JSON.stringify(error.message.slice(0, 300))}`);
    }
    return undefined;
  }
}

/** What was read writes back to JSON and to bytes, and reads back the same. */
function roundTrips(type: AnyType, message: unknown): void {
  const json = writeJson(type, message);
  const again = readJsonText(type, json);
  if (writeJson(type, again) !== json) throw new Error(`JSON is not stable: ${json.slice(0, 300)}`);
  const decoded = decode(type, encode(type, message));
  if (writeJson(type, decoded) !== json) throw new Error(`bytes change it: ${json.slice(0, 300)}`);
}

function check(t: Test, name: string, property: fc.IProperty<never> | fc.IProperty<unknown>, numRuns: number): void {
  const result = fc.check(property, { numRuns, ...seed });
  t.notOk(result.failed, `${name}: ${numRuns} cases (seed ${result.seed})${result.failed ? `: ${fc.defaultReportMessage(result)}` : ''}`);
}

// Text mutations: a sample with characters inserted, deleted or replaced.
const textEdit = fc.record({
  at: fc.nat(),
  remove: fc.nat(4),
  insert: fc.oneof(fc.constantFrom('', '"', '{', '}', '[', ']', ',', ':', '0', '-', 'e', '.', 'null', '\\', '\\u', '\n', '1e999', '18446744073709551616'), fc.string({ maxLength: 6 })),
});

function editText(text: string, edits: { at: number; remove: number; insert: string }[]): string {
  let out = text;
  for (const { at, remove, insert } of edits) {
    const position = at % (out.length + 1);
    out = out.slice(0, position) + insert + out.slice(position + remove);
  }
  return out;
}

// Byte mutations of an encoding.
const byteEdit = fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'cut', 'insert', 'delete'), value: fc.integer({ min: 0, max: 255 }) });

function editBytes(bytes: Uint8Array, edits: { at: number; kind: string; value: number }[]): Uint8Array {
  let out = Buffer.from(bytes);
  for (const { at, kind, value } of edits) {
    const position = at % (out.length + 1);
    if (kind === 'flip' && position < out.length) out[position] = out[position]! ^ (value | 1);
    else if (kind === 'cut') out = out.subarray(0, position);
    else if (kind === 'insert') out = Buffer.concat([out.subarray(0, position), Uint8Array.of(value), out.subarray(position)]);
    else if (kind === 'delete') out = Buffer.concat([out.subarray(0, position), out.subarray(position + 1)]);
  }
  return out;
}

for (const [name, type, texts] of TYPES) {
  const values = texts.map((text) => JSON.parse(text) as JsonObject);
  const encodings = texts.map((text) => encode(type, readJsonText(type, text)));

  t.test(`${name}: the JSON reader and the binary decoder refuse with one line, and what they take round-trips`, async (t) => {
    check(
      t,
      'random JSON values',
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const read = refusedOrDone(() => readJson(type, value));
        if (read !== undefined) roundTrips(type, read);
      }),
      1500,
    );
    check(
      t,
      'mutated samples, as values',
      fc.property(mutated(fc.constantFrom(...values)), (value) => {
        for (const strict of [false, true]) {
          const read = refusedOrDone(() => readJson(type, value as JsonValue, { strict }));
          if (read !== undefined) roundTrips(type, read);
        }
      }),
      2500,
    );
    check(
      t,
      'mutated samples, as text',
      fc.property(fc.constantFrom(...texts), fc.array(textEdit, { minLength: 1, maxLength: 4 }), (text, edits) => {
        const read = refusedOrDone(() => readJsonText(type, editText(text, edits)));
        if (read !== undefined) roundTrips(type, read);
      }),
      2500,
    );
    check(
      t,
      'random bytes',
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const read = refusedOrDone(() => decode(type, bytes));
        if (read !== undefined) roundTrips(type, read);
      }),
      2500,
    );
    check(
      t,
      'mutated encodings',
      fc.property(fc.constantFrom(...encodings), fc.array(byteEdit, { minLength: 1, maxLength: 4 }), (bytes, edits) => {
        const read = refusedOrDone(() => decode(type, editBytes(bytes, edits)));
        if (read !== undefined) roundTrips(type, read);
      }),
      2500,
    );
  });
}

t.test('ContainerLaunchInfo: the same, strict and not', async (t) => {
  check(
    t,
    'mutated launch infos',
    fc.property(mutated(launchInfo), (value) => {
      for (const strict of [false, true]) {
        const read = refusedOrDone(() => readJson(ContainerLaunchInfo as AnyType, value as JsonValue, { strict, root: 'launch_info' }));
        if (read !== undefined) roundTrips(ContainerLaunchInfo as AnyType, read);
      }
    }),
    2000,
  );
  check(
    t,
    'JSON text of launch infos, edited',
    fc.property(launchInfo, fc.array(textEdit, { maxLength: 3 }), (info, edits) => {
      const text = editText(JSON.stringify(info), edits);
      const parsed = refusedOrDone(() => parseJson(text));
      if (parsed !== undefined) refusedOrDone(() => readJson(ContainerLaunchInfo as AnyType, parsed, { strict: true }));
    }),
    2000,
  );
});
