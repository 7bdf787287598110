// Random and mutated requests against a live master: each gets exactly one
// well-formed HTTP response (read off a raw socket, so that a second
// response or stray bytes would show), an error is one line of text with
// Mesos's status codes (never a 500, never a stack trace), and the master
// still answers /master/health afterwards.
import { connect } from 'node:net';
import fc from 'fast-check';
import t from 'tap';
import type { RunningMaster } from '../src/master/index';
import { addTestAgent, frameworkInfo, type Subscription, subscribe } from './helpers/master';
import { testMaster } from './helpers/master';

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  /** A streaming 200 (a subscription) that was cut after its first bytes. */
  stream: boolean;
  /** Bytes after the one response. */
  extra: Buffer;
}

function parseHead(head: string): { status: number; headers: Map<string, string> } {
  const [statusLine, ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3}) [^\r\n]*$/.exec(statusLine!);
  if (match === null) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad header ${JSON.stringify(line)}`);
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(match[1]), headers };
}

/** Decodes a chunked body; returns it and what follows, or undefined while incomplete. */
function dechunk(data: Buffer): { body: Buffer; rest: Buffer } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n', at);
    if (end === -1) return undefined;
    const size = parseInt(data.subarray(at, end).toString(), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size');
    if (data.length < end + 2 + size + 2) return undefined;
    if (size === 0) return { body: Buffer.concat(parts), rest: data.subarray(end + 4) };
    parts.push(data.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
}

/** One request on its own connection, `Connection: close`; the whole answer as bytes. */
function rawRequest(port: number, request: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => finish(new Error('no complete response within 5 s')), 5000);
    const finish = (error?: Error, response?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(response!);
    };
    const check = (ended: boolean) => {
      const split = data.indexOf('\r\n\r\n');
      if (split === -1) {
        if (ended) finish(new Error(`connection closed with ${JSON.stringify(data.toString())}`));
        return;
      }
      let head;
      try {
        head = parseHead(data.subarray(0, split).toString('latin1'));
      } catch (error) {
        return finish(error as Error);
      }
      const rest = data.subarray(split + 4);
      const length = head.headers.get('content-length');
      if (length !== undefined) {
        if (rest.length >= Number(length)) {
          if (!ended) return; // wait for the close, to see any stray bytes
          return finish(undefined, { ...head, body: rest.subarray(0, Number(length)), stream: false, extra: rest.subarray(Number(length)) });
        }
      } else if (head.headers.get('transfer-encoding') === 'chunked') {
        const decoded = dechunk(rest);
        if (decoded !== undefined && ended) return finish(undefined, { ...head, body: decoded.body, stream: false, extra: decoded.rest });
        if (decoded === undefined && head.status === 200 && rest.length > 0 && head.headers.has('mesos-stream-id')) {
          return finish(undefined, { ...head, body: rest, stream: true, extra: Buffer.alloc(0) });
        }
      } else if (ended) {
        return finish(undefined, { ...head, body: rest, stream: false, extra: Buffer.alloc(0) });
      }
      if (ended) finish(new Error(`incomplete response: ${JSON.stringify(data.toString().slice(0, 200))}`));
    };
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      check(false);
    });
    socket.on('end', () => check(true));
    socket.on('error', (error) => finish(error));
    socket.end(request);
  });
}

interface Sample {
  method: string;
  path: string;
  contentType: string | null;
  accept: string | null;
  streamId: 'live' | 'none' | string;
  body: Buffer;
}

function encode(sample: Sample, live: { streamId: string }): Buffer {
  const lines = [`${sample.method} ${sample.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  if (sample.contentType !== null) lines.push(`Content-Type: ${sample.contentType}`);
  if (sample.accept !== null) lines.push(`Accept: ${sample.accept}`);
  if (sample.streamId === 'live') lines.push(`Mesos-Stream-Id: ${live.streamId}`);
  else if (sample.streamId !== 'none') lines.push(`Mesos-Stream-Id: ${sample.streamId}`);
  lines.push(`Content-Length: ${sample.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), sample.body]);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Valid calls, for the framework `F` on agent `A`. */
function templates(F: string, A: string): Json[] {
  const id = { value: F };
  const task = {
    name: 't',
    task_id: { value: 't' },
    agent_id: { value: A },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }],
    command: { value: 'true' },
  };
  const uuid = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  uuid[6] = 0x40;
  return [
    { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n' } } },
    { type: 'SUBSCRIBE', framework_id: id, subscribe: { framework_info: { user: 'u', name: 'n', id } } },
    { type: 'ACCEPT', framework_id: id, accept: { offer_ids: [{ value: `${F.split('-0')[0]}-O0` }], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }], filters: { refuse_seconds: 0 } } },
    { type: 'DECLINE', framework_id: id, decline: { offer_ids: [{ value: 'x' }], filters: { refuse_seconds: 0 } } },
    { type: 'REVIVE', framework_id: id, revive: { roles: ['*'] } },
    { type: 'SUPPRESS', framework_id: id, suppress: { roles: ['*'] } },
    { type: 'KILL', framework_id: id, kill: { task_id: { value: 't' }, kill_policy: { grace_period: { nanoseconds: 5 } } } },
    { type: 'ACKNOWLEDGE', framework_id: id, acknowledge: { agent_id: { value: A }, task_id: { value: 't' }, uuid: uuid.toString('base64') } },
    { type: 'RECONCILE', framework_id: id, reconcile: { tasks: [{ task_id: { value: 't' }, agent_id: { value: A } }] } },
    { type: 'MESSAGE', framework_id: id, message: { agent_id: { value: A }, executor_id: { value: 'e' }, data: 'AAAA' } },
    { type: 'SHUTDOWN', framework_id: id, shutdown: { agent_id: { value: A }, executor_id: { value: 'e' } } },
    { type: 'REQUEST', framework_id: id, request: { requests: [{ agent_id: { value: A } }] } },
    { type: 'UPDATE_FRAMEWORK', framework_id: id, update_framework: { framework_info: { user: 'u', name: 'renamed', id }, suppressed_roles: [] } },
    { type: 'RECONCILE_OPERATIONS', framework_id: id, reconcile_operations: {} },
    { type: 'UNKNOWN', framework_id: id },
  ];
}

function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const inner = Array.isArray(value)
    ? value.flatMap((v, i) => paths(v, [...prefix, i]))
    : Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]));
  return [prefix, ...inner];
}

/** A value of the same JSON type as `value`, from `seed`: the call stays well-typed but may mean nonsense. */
function sameType(value: Json, seed: { text: string; number: number; flag: boolean }): Json {
  if (typeof value === 'string') return seed.text;
  if (typeof value === 'number') return seed.number;
  if (typeof value === 'boolean') return seed.flag;
  return value;
}

function mutate(value: Json, selector: number, replacement: Json | undefined): Json {
  const all = paths(value).filter((p) => p.length > 0);
  if (all.length === 0) return replacement ?? null;
  const path = all[selector % all.length]!;
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  let node = copy as { [key: string]: Json };
  for (const key of path.slice(0, -1)) node = node[key as string] as { [key: string]: Json };
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last as string];
  } else node[last as string] = replacement;
  return copy;
}

const ALLOWED = new Set([200, 202, 400, 403, 404, 405, 406, 413, 415, 501]);

/** A template with up to three leaves replaced by values of their own JSON type. */
function retyped(F: () => string, A: () => string): fc.Arbitrary<Buffer> {
  const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -1, 1e300, 0.001, 31536001));
  const edit = fc.tuple(fc.nat(), fc.string({ maxLength: 12 }), number, fc.boolean());
  return fc.tuple(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 3 })).map(([which, edits]) => {
    const all = templates(F(), A());
    let call: Json = all[which % all.length]!;
    for (const [selector, text, value, flag] of edits) {
      const leaves = paths(call).filter((p) => p.length > 0);
      if (leaves.length === 0) break;
      let node: Json = call;
      for (const key of leaves[selector % leaves.length]!) node = (node as { [key: string]: Json })[key as string] ?? null;
      call = mutate(call, selector, sameType(node, { text, number: value, flag }));
    }
    return Buffer.from(JSON.stringify(call));
  });
}

/** A template with one value replaced by any JSON, or removed. */
function mutated(F: () => string, A: () => string): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.nat(), fc.nat(), fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined })).map(([which, selector, replacement]) => {
    const all = templates(F(), A());
    return Buffer.from(JSON.stringify(mutate(all[which % all.length]!, selector, replacement as Json | undefined)));
  });
}

/** A template cut short. */
function truncated(F: () => string, A: () => string): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.nat(), fc.nat()).map(([which, cut]) => {
    const all = templates(F(), A());
    const text = JSON.stringify(all[which % all.length]);
    return Buffer.from(text.slice(0, cut % (text.length + 1)));
  });
}

function sampleArbitrary(F: () => string, A: () => string): fc.Arbitrary<Sample> {
  const printable = fc.string({ maxLength: 40, unit: 'grapheme-ascii' }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
  const valid = fc.nat().map((which) => {
    const all = templates(F(), A());
    return Buffer.from(JSON.stringify(all[which % all.length]));
  });
  const body = fc.oneof(
    { weight: 5, arbitrary: mutated(F, A) },
    { weight: 5, arbitrary: retyped(F, A) },
    { weight: 3, arbitrary: valid },
    { weight: 2, arbitrary: truncated(F, A) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'grapheme' }).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  );
  return fc.record({
    // Node's parser answers an unknown method (FOO) with its own 400 before the master sees it.
    method: fc.oneof({ weight: 14, arbitrary: fc.constant('POST') }, { weight: 2, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'FOO') }),
    path: fc.oneof(
      { weight: 14, arbitrary: fc.constantFrom('/master/api/v1/scheduler', '/api/v1/scheduler') },
      { weight: 1, arbitrary: fc.constantFrom('/master/state', '/master/state.json', '/version', '/master/health', '/master/api/v1/scheduler?x=1') },
      { weight: 1, arbitrary: printable.map((s) => `/${encodeURIComponent(s)}`) },
    ),
    contentType: fc.oneof(
      { weight: 14, arbitrary: fc.constant('application/json') },
      { weight: 2, arbitrary: fc.constantFrom(null, 'application/x-protobuf', 'application/json; charset=utf-8', 'text/plain') },
      { weight: 1, arbitrary: printable },
    ),
    accept: fc.oneof(
      { weight: 4, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('application/json', '*/*', 'application/x-protobuf', 'text/html', 'application/json;q=0') },
      { weight: 1, arbitrary: printable },
    ),
    streamId: fc.oneof(
      { weight: 12, arbitrary: fc.constant('live') },
      { weight: 2, arbitrary: fc.constant('none') },
      { weight: 1, arbitrary: printable },
    ),
    body,
  });
}

async function healthy(master: RunningMaster): Promise<boolean> {
  const reply = await rawRequest(master.port, Buffer.from('GET /master/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  return reply.status === 200 && reply.body.length === 0;
}

t.test('every request gets one well-formed answer, and the master serves on', async (t) => {
  const master = await testMaster(t, { maxBodyBytes: 4096 });
  const agent = addTestAgent(master);
  let live: Subscription = await subscribe(master.url, frameworkInfo({ failover_timeout: 3600 }));
  await live.next('SUBSCRIBED');
  t.teardown(() => live.close());

  const problems: string[] = [];
  let count = 0;
  await fc.assert(
    fc.asyncProperty(sampleArbitrary(() => live.frameworkId, () => agent.link.agentId), async (sample) => {
      // Keep a subscribed framework around for the calls to reach.
      if (master.master.framework(live.frameworkId)?.connection === undefined || live.ended) {
        live.close();
        live = await subscribe(master.url, frameworkInfo({ failover_timeout: 3600 }));
        await live.next('SUBSCRIBED');
      }
      count++;
      const response = await rawRequest(master.port, encode(sample, live));
      const text = response.body.toString('utf8');
      const describe = () => `${sample.method} ${sample.path} ${sample.contentType} -> ${response.status} ${JSON.stringify(text.slice(0, 200))}`;
      if (!ALLOWED.has(response.status)) problems.push(`status: ${describe()}`);
      if (response.extra.length > 0) problems.push(`bytes after the response: ${describe()}`);
      if (response.status >= 400 && text !== '') {
        if (response.headers.get('content-type') !== 'text/plain; charset=utf-8') problems.push(`type: ${describe()}`);
        if (/[\r\n]/.test(text)) problems.push(`more than one line: ${describe()}`);
        if (/\bat .*\(.*:\d+:\d+\)/.test(text) || /Error:/.test(text)) problems.push(`a stack trace: ${describe()}`);
      }
      return true;
    }),
    // MASTER_FUZZ_RUNS and MASTER_FUZZ_SEED widen the search; the default is quick and repeatable.
    { numRuns: Number(process.env.MASTER_FUZZ_RUNS ?? 400), seed: Number(process.env.MASTER_FUZZ_SEED ?? 4242), endOnFailure: true },
  );
  t.same(problems.slice(0, 10), [], `${count} requests, ${problems.length} problems`);
  t.ok(await healthy(master), 'still serving');
});

t.test('a client that sends past the limit gets its 413 at once, then the connection closes', async (t) => {
  const master = await testMaster(t, { maxBodyBytes: 1024 });
  const socket = connect(master.port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write('POST /master/api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n');
  const junk = Buffer.alloc(16 * 1024, 0x20);
  for (let i = 0; i < 64 && !socket.destroyed && received === ''; i++) {
    socket.write(junk);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await closed;
  t.match(received, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
  t.match(received, /\r\nConnection: close\r\n/);
  t.match(received, /\r\n\r\nRequest body is larger than 1024 bytes$/);
  t.ok(await healthy(master), 'the master serves on');
});

t.test('garbage that is not HTTP at all', async (t) => {
  const master = await testMaster(t);
  for (const garbage of ['\x00\x01\x02\r\n\r\n', 'HELLO\r\n\r\n', 'POST / HTTP/1.1\r\nBad Header\r\n\r\n']) {
    const response = await rawRequest(master.port, Buffer.from(garbage, 'latin1')).catch((error: Error) => error);
    if (response instanceof Error) t.match(response.message, /connection closed/, 'closed without an answer');
    else t.equal(response.status, 400, JSON.stringify(garbage));
  }
  t.ok(await healthy(master));
});
