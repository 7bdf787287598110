// A stand-in for a master, for the scheduler client's tests of what our
// master never does: streams cut at any byte, silence, garbage, 503s and
// redirects, calls left unanswered. It records every request (decoded as
// a Call when it is one) and hands it to the test's handler; a TCP proxy
// between a client and a real master lets a test cut the connections.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, connect, type AddressInfo, type Socket } from 'node:net';
import { MEDIA_TYPES, type ContentType } from '../../src/scheduler/content-type';
import { decode, encode } from '../../src/proto/binary';
import { readJsonText, writeJson } from '../../src/proto/json';
import { encodeRecord } from '../../src/proto/recordio';
import { Call, Event } from '../../src/proto/v1';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Recorded {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly call: Call | undefined;
  readonly body: Buffer;
  readonly remotePort: number;
  readonly at: number;
}

export type Handler = (request: Recorded, res: ServerResponse, index: number) => void;

export class FakeMaster {
  readonly requests: Recorded[] = [];
  private readonly sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];

  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(t: Teardown, handler: Handler): Promise<FakeMaster> {
    let fake: FakeMaster | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        let call: Call | undefined;
        try {
          call = req.headers['content-type'] === MEDIA_TYPES.protobuf ? decode(Call, body) : readJsonText(Call, body.toString('utf8'));
        } catch {
          call = undefined;
        }
        const recorded: Recorded = {
          path: req.url ?? '',
          headers: req.headers,
          call,
          body,
          remotePort: req.socket.remotePort ?? 0,
          at: Date.now(),
        };
        fake!.requests.push(recorded);
        fake!.wake();
        handler(recorded, res, fake!.requests.length - 1);
      });
    });
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeMaster(server, (server.address() as AddressInfo).port);
    server.on('connection', (socket: Socket) => {
      fake!.sockets.add(socket);
      socket.on('close', () => fake!.sockets.delete(socket));
    });
    t.teardown(() => fake!.close());
    return fake;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Requests whose Call is of `type`. */
  calls(type: string): Recorded[] {
    return this.requests.filter((r) => r.call?.type === type);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Waits until `count` requests of Call type `type` have come. */
  async waitFor(type: string, count = 1, timeoutMs = 5000): Promise<Recorded[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls(type);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${found.length} ${type} of ${count} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export const STREAM_ID = '8f1c1b4e-2a57-4b59-9a8e-8f7a0e3c2d11';

/** The start of a 200 stream in `type`. */
export function openStream(res: ServerResponse, type: ContentType, streamId = STREAM_ID): void {
  res.writeHead(200, { 'Content-Type': MEDIA_TYPES[type], 'Mesos-Stream-Id': streamId });
  res.flushHeaders();
}

/** An Event as one framed record in `type`. */
export function record(type: ContentType, event: Event): Buffer {
  return encodeRecord(type === 'json' ? writeJson(Event, event) : encode(Event, event));
}

export function subscribedEvent(frameworkId: string, heartbeatSeconds = 15): Event {
  return {
    type: 'SUBSCRIBED',
    subscribed: { framework_id: { value: frameworkId }, heartbeat_interval_seconds: heartbeatSeconds },
  };
}

/**
 * A TCP proxy on 127.0.0.1 to `targetPort`: cut() drops every connection
 * through it, retarget() sends new ones elsewhere (a master replaced
 * behind one address).
 */
export class Proxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private targetPort = 0;

  private constructor(
    private readonly server: ReturnType<typeof createNetServer>,
    readonly port: number,
  ) {}

  static async start(t: Teardown, targetPort: number): Promise<Proxy> {
    let proxy: Proxy | undefined;
    const server = createNetServer((client) => {
      const upstream = connect(proxy!.targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      proxy!.pairs.add(pair);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        proxy!.pairs.delete(pair);
      };
      client.on('error', drop);
      upstream.on('error', drop);
      client.on('close', drop);
      upstream.on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new Proxy(server, (server.address() as AddressInfo).port);
    proxy.targetPort = targetPort;
    t.teardown(() => proxy!.close());
    return proxy;
  }

  retarget(targetPort: number): void {
    this.targetPort = targetPort;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get connections(): number {
    return this.pairs.size;
  }

  cut(): void {
    for (const [client, upstream] of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A free port on 127.0.0.1, closed again: nothing listens there until someone does. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
