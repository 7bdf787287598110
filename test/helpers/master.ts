// Shared pieces of the master's tests: a master on a free local port,
// stopped when the test ends however it ends; raw HTTP requests; a
// subscription that records its stream chunk by chunk; and an in-test
// agent that records what the master asks of it and sends the statuses a
// test chooses.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Agent, AgentLink, RunningMaster, StartOptions } from '../../src/master/index';
import { parseResourceText, startMaster } from '../../src/master/index';
import { encode } from '../../src/proto/binary';
import { readJson } from '../../src/proto/json';
import { RecordDecoder } from '../../src/proto/recordio';
import { Call } from '../../src/proto/v1';
import { APPLICATION_JSON, APPLICATION_PROTOBUF, decodeEvent, type MediaType } from '../../src/master/codec';
import type { Event, FrameworkInfo, KillPolicy, TaskInfo, TaskState, TaskStatus } from '../../src/master/types';

export const SCHEDULER = '/master/api/v1/scheduler';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A master on 127.0.0.1 and a free port, with short intervals; stopped at the end of the test `t`. */
export async function testMaster(t: Teardown, options: Partial<StartOptions> = {}): Promise<RunningMaster> {
  const master = await startMaster({
    ip: '127.0.0.1',
    port: 0,
    hostname: 'localhost',
    allocationIntervalMs: 50,
    heartbeatIntervalMs: 200,
    ...options,
  });
  t.teardown(() => master.stop());
  return master;
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** One HTTP request with Node's client; resolves with the whole answer. */
export function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const target = new URL(options.path ?? SCHEDULER, url);
  const headers: Record<string, string | number> = { ...options.headers };
  if (options.body !== undefined) headers['Content-Length'] = Buffer.byteLength(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      target,
      { method: options.method ?? 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A Call given in its JSON form as protobuf bytes: read by the JSON mapping, written by the binary codec. */
export function protobufBody(body: unknown): Buffer {
  const bytes = encode(Call, readJson(Call, body));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A call on the scheduler endpoint (JSON unless told), with the stream id when one is given. */
export function call(url: string, body: unknown, streamId?: string, type: MediaType = APPLICATION_JSON): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': type };
  if (streamId !== undefined) headers['Mesos-Stream-Id'] = streamId;
  return request(url, { headers, body: type === APPLICATION_JSON ? JSON.stringify(body) : protobufBody(body) });
}

export function frameworkInfo(extra: Partial<FrameworkInfo> = {}): FrameworkInfo {
  return { user: 'tester', name: 'test framework', ...extra };
}

/** A subscription's stream, recorded: every HTTP chunk, and every event decoded from it. */
export class Subscription {
  readonly chunks: Buffer[] = [];
  readonly events: Event[] = [];
  /** Chunks that did not hold exactly one whole record. */
  readonly misaligned: Buffer[] = [];
  ended = false;
  /** Events already returned by next(), by index. */
  private readonly taken = new Set<number>();
  private waiters: Array<() => void> = [];
  private readonly reader = new RecordDecoder();
  private destroy: () => void = () => {};
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** The stream's media type, as its Content-Type says. */
  get contentType(): MediaType {
    return this.headers['content-type'] === APPLICATION_PROTOBUF ? APPLICATION_PROTOBUF : APPLICATION_JSON;
  }

  get streamId(): string {
    return String(this.headers['mesos-stream-id']);
  }

  get frameworkId(): string {
    const subscribed = this.events.find((e) => e.type === 'SUBSCRIBED');
    if (subscribed === undefined) throw new Error('not subscribed');
    return subscribed.subscribed!.framework_id.value;
  }

  attach(destroy: () => void): void {
    this.destroy = destroy;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    const records = this.reader.push(chunk);
    if (records.length !== 1 || records[0]!.length + `${records[0]!.length}\n`.length !== chunk.length) {
      this.misaligned.push(chunk);
    }
    for (const record of records) this.events.push(decodeEvent(record, this.contentType));
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.resolveDone();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** The first event not yet taken that matches, waiting for it; fails after `timeoutMs`. */
  async next(match: Event['type'] | ((event: Event) => boolean), timeoutMs = 5000): Promise<Event> {
    const test = typeof match === 'string' ? (e: Event) => e.type === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = 0; i < this.events.length; i++) {
        if (!this.taken.has(i) && test(this.events[i]!)) {
          this.taken.add(i);
          return this.events[i]!;
        }
      }
      if (this.ended) throw new Error(`stream ended before ${String(match)}; got ${this.events.map((e) => e.type).join(',')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${String(match)} within ${timeoutMs} ms; got ${this.events.map((e) => e.type).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next UPDATE for `taskId` (of any state, or of `state`). */
  async update(taskId: string, state?: TaskState, timeoutMs = 5000): Promise<TaskStatus> {
    const event = await this.next(
      (e) => e.type === 'UPDATE' && e.update!.status.task_id.value === taskId && (state === undefined || e.update!.status.state === state),
      timeoutMs,
    );
    return event.update!.status;
  }

  /** Events of `type` that have arrived so far. */
  all(type: Event['type']): Event[] {
    return this.events.filter((e) => e.type === type);
  }

  close(): void {
    this.destroy();
  }

  /** Sends a call on this framework's behalf (JSON unless told). */
  call(url: string, body: Record<string, unknown>, type: MediaType = APPLICATION_JSON): Promise<Reply> {
    return call(url, { framework_id: { value: this.frameworkId }, ...body }, this.streamId, type);
  }
}

export interface SubscribeOptions {
  readonly headers?: Record<string, string>;
  /** Resubscribe as this framework. */
  readonly frameworkId?: string;
  readonly suppressedRoles?: string[];
  /** Send the SUBSCRIBE as protobuf (the stream's type is still the Accept header's). */
  readonly protobuf?: boolean;
  /** The endpoint (default /master/api/v1/scheduler). */
  readonly path?: string;
}

/** Opens a subscription; resolves once the response's headers are in. */
export function subscribe(url: string, info: FrameworkInfo = frameworkInfo(), options: SubscribeOptions = {}): Promise<Subscription> {
  const framework_info = options.frameworkId !== undefined ? { ...info, id: { value: options.frameworkId } } : info;
  const body: Record<string, unknown> = {
    type: 'SUBSCRIBE',
    subscribe: { framework_info, ...(options.suppressedRoles !== undefined ? { suppressed_roles: options.suppressedRoles } : {}) },
  };
  if (options.frameworkId !== undefined) body.framework_id = { value: options.frameworkId };
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(options.path ?? SCHEDULER, url),
      { method: 'POST', headers: { 'Content-Type': options.protobuf === true ? APPLICATION_PROTOBUF : APPLICATION_JSON, ...options.headers }, agent: false },
      (res) => {
        const subscription = new Subscription(res.statusCode ?? 0, res.headers);
        subscription.attach(() => req.destroy());
        res.on('data', (chunk: Buffer) => subscription.push(chunk));
        res.on('end', () => subscription.end());
        res.on('close', () => subscription.end());
        res.on('error', () => subscription.end());
        resolve(subscription);
      },
    );
    req.on('error', reject);
    req.end(options.protobuf === true ? protobufBody(body) : JSON.stringify(body));
  });
}

/** A subscription that has seen SUBSCRIBED, closed at the end of `t`. */
export async function subscribed(t: Teardown, url: string, info?: FrameworkInfo, options?: SubscribeOptions): Promise<Subscription> {
  const subscription = await subscribe(url, info, options);
  t.teardown(() => subscription.close());
  await subscription.next('SUBSCRIBED');
  return subscription;
}

type AgentCall =
  | { method: 'runTask'; framework: FrameworkInfo; task: TaskInfo }
  | { method: 'killTask'; frameworkId: string; taskId: string; killPolicy?: KillPolicy }
  | { method: 'acknowledge'; frameworkId: string; taskId: string; uuid: string }
  | { method: 'shutdownExecutor'; frameworkId: string; executorId: string }
  | { method: 'shutdownFramework'; frameworkId: string }
  | { method: 'frameworkMessage'; frameworkId: string; executorId: string; data: string };

/** An agent that does nothing but record what it is asked, and send the statuses it is told to. */
export class TestAgent implements Agent {
  readonly calls: AgentCall[] = [];
  link!: AgentLink;
  private waiters: Array<() => void> = [];

  private record(call: AgentCall): void {
    this.calls.push(call);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  runTask(framework: FrameworkInfo, task: TaskInfo): void {
    this.record({ method: 'runTask', framework, task });
  }
  killTask(frameworkId: string, taskId: string, killPolicy?: KillPolicy): void {
    this.record({ method: 'killTask', frameworkId, taskId, killPolicy });
  }
  acknowledge(frameworkId: string, taskId: string, uuid: string): void {
    this.record({ method: 'acknowledge', frameworkId, taskId, uuid });
  }
  shutdownExecutor(frameworkId: string, executorId: string): void {
    this.record({ method: 'shutdownExecutor', frameworkId, executorId });
  }
  shutdownFramework(frameworkId: string): void {
    this.record({ method: 'shutdownFramework', frameworkId });
  }
  frameworkMessage(frameworkId: string, executorId: string, data: string): void {
    this.record({ method: 'frameworkMessage', frameworkId, executorId, data });
  }

  /** The first recorded call of `method` matching `match`, waiting for it. */
  async waitFor<M extends AgentCall['method']>(
    method: M,
    match: (call: Extract<AgentCall, { method: M }>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<AgentCall, { method: M }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find((c) => c.method === method && match(c as Extract<AgentCall, { method: M }>));
      if (found !== undefined) return found as Extract<AgentCall, { method: M }>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`agent was not asked to ${method}; got ${this.calls.map((c) => c.method).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a status update the way an agent does (a fresh uuid each time); returns the uuid. */
  update(frameworkId: string, taskId: string, state: TaskState, extra: Partial<TaskStatus> = {}): string {
    const bytes = randomBytes(16);
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const uuid = bytes.toString('base64');
    this.link.statusUpdate({
      framework_id: frameworkId,
      status: {
        task_id: { value: taskId },
        state,
        source: 'SOURCE_EXECUTOR',
        agent_id: { value: this.link.agentId },
        executor_id: { value: taskId },
        timestamp: Date.now() / 1000,
        uuid,
        ...extra,
      },
    });
    return uuid;
  }
}

export const AGENT_RESOURCES = 'cpus:4;mem:4096;disk:10240;ports:[31000-32000]';

/** Registers a TestAgent with `resources` (Mesos's text form). */
export function addTestAgent(master: RunningMaster, resources = AGENT_RESOURCES, hostname = 'agent.local'): TestAgent {
  const agent = new TestAgent();
  agent.link = master.addAgent({ hostname, resources: parseResourceText(resources) }, agent);
  return agent;
}

/** A command task for an offer. */
export function commandTask(id: string, agentId: string, resources = 'cpus:1;mem:128', command = 'true'): TaskInfo {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: agentId },
    resources: parseResourceText(resources),
    command: { value: command },
  };
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
