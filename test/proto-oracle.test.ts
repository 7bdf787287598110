// The binary codec against an oracle: protobufjs's own reflection types,
// built from the same schema, encode every sample Call and Event to the
// same bytes as our schema-walking writer, and decode our bytes to the
// same message.
import t from 'tap';
import protobuf from 'protobufjs/light';
import { decode, encode } from '../src/proto/binary';
import { parseJson, readJsonText, writeJson } from '../src/proto/json';
import type { Schema } from '../src/proto/schema';
import { Call, Event, v1Schema } from '../src/proto/v1';
import { CALLS, EVENTS } from './helpers/proto-samples';

type Json = { [key: string]: unknown };

const roots = new WeakMap<Schema, protobuf.Root>();

/** The protobufjs types of a schema: every message and enum, by full name. */
function rootOf(schema: Schema): protobuf.Root {
  const known = roots.get(schema);
  if (known !== undefined) return known;
  const top: Json = { nested: {} };
  const node = (name: string): Json => {
    let at = top;
    for (const part of name.split('.')) {
      const nested = (at.nested ??= {}) as Json;
      at = (nested[part] ??= {}) as Json;
    }
    return at;
  };
  for (const name of schema.messageNames()) {
    const info = schema.message(name);
    const fields: Json = {};
    const oneofs: { [name: string]: { oneof: string[] } } = {};
    for (const field of info.fields) {
      const type = field.kind === 'scalar' ? field.type : `.${field.type}`;
      // Required fields go to protobufjs as optional: the check is ours.
      const json: Json = { type, id: field.number };
      if (field.key !== undefined) json.keyType = field.key;
      else if (field.repeated) json.rule = 'repeated';
      if (field.packed) json.options = { packed: true };
      fields[field.name] = json;
      if (field.oneof !== undefined) (oneofs[field.oneof] ??= { oneof: [] }).oneof.push(field.name);
    }
    // proto2: repeated scalars unpacked unless the field says otherwise.
    Object.assign(node(name), { edition: 'proto2', fields, ...(Object.keys(oneofs).length > 0 ? { oneofs } : {}) });
  }
  for (const [name, values] of enumsOf(schema)) Object.assign(node(name), { edition: 'proto2', values });
  const root = protobuf.Root.fromJSON(top as protobuf.INamespace);
  root.resolveAll();
  roots.set(schema, root);
  return root;
}

function enumsOf(schema: Schema): Map<string, { [name: string]: number }> {
  const enums = new Map<string, { [name: string]: number }>();
  for (const name of schema.messageNames()) {
    for (const field of schema.message(name).fields) {
      if (field.kind === 'enum' && !enums.has(field.type)) enums.set(field.type, Object.fromEntries(field.enumInfo!.numbers));
    }
  }
  return enums;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

t.test("protobufjs's reflection agrees with our writer and reader on every sample", async (t) => {
  const root = rootOf(v1Schema);
  for (const [typeName, type, samples] of [
    ['mesos.v1.scheduler.Call', Call, CALLS],
    ['mesos.v1.scheduler.Event', Event, EVENTS],
  ] as const) {
    const oracle = root.lookupType(typeName);
    for (const [name, text] of Object.entries(samples)) {
      const ours = encode(type as typeof Call, readJsonText(type as typeof Call, text) as never);
      // Our JSON parser keeps integers past 2^53 exact (as bigint); protobufjs takes them as strings.
      const exact = JSON.parse(JSON.stringify(parseJson(text), (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))) as Json;
      const theirs = oracle.encode(oracle.fromObject(exact)).finish();
      t.equal(hex(ours), hex(theirs), `${typeName} ${name}: the same bytes`);
      const back = oracle.toObject(oracle.decode(ours), { enums: String, longs: String, bytes: String, defaults: false });
      const again = readJsonText(type as typeof Call, JSON.stringify(back));
      t.equal(writeJson(type as typeof Call, again), writeJson(type as typeof Call, decode(type as typeof Call, ours)), `${typeName} ${name}: read back the same`);
    }
  }
});
