// The master's HTTP server: its routes, and request bodies read whole up
// to a limit before anything else is decided.
//
//   POST /master/api/v1/scheduler, /api/v1/scheduler   the scheduler API
//   /master/health                                       200, empty
//   /version                                             build information
//   /master/state, /master/state.json                    everything known
//
// Anything else is 404. A request whose body goes over the limit is
// answered as soon as it does (413 on the scheduler endpoint, after the
// checks that need only the headers), and its connection closed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Master } from '../master';
import { writeJson, type JsonOut } from './json-writer';
import { reply } from './responses';
import { handleScheduler, type RequestBody } from './scheduler';
import { stateJson, versionJson } from './state';

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** How long a sender cut off for a body over the limit has to read its answer. */
const LINGER_MS = 1000;

/**
 * Reads the body, then calls `done`. A body over `limit` is not read on:
 * `done` comes at once (with `tooLarge`), the answer says the connection
 * closes, and it does close soon after the answer is out.
 */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number, done: (body: RequestBody) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let answered = false;
  req.on('data', (chunk: Buffer) => {
    if (answered) return;
    size += chunk.length;
    if (size <= limit) {
      chunks.push(chunk);
      return;
    }
    answered = true;
    chunks.length = 0;
    req.pause();
    res.setHeader('Connection', 'close');
    res.on('finish', () => setTimeout(() => req.socket.destroy(), LINGER_MS).unref());
    done({ bytes: Buffer.alloc(0), tooLarge: true, limit });
  });
  req.on('end', () => {
    if (answered) return;
    answered = true;
    done({ bytes: Buffer.concat(chunks), tooLarge: false, limit });
  });
  req.on('error', () => {});
}

function json(res: ServerResponse, value: JsonOut, query: URLSearchParams): void {
  const text = writeJson(value);
  const jsonp = query.get('jsonp');
  if (jsonp !== null && /^[A-Za-z_$][\w$.]*$/.test(jsonp)) {
    return reply(res, 200, `${jsonp}(${text});`, { 'Content-Type': 'text/javascript' });
  }
  reply(res, 200, text, { 'Content-Type': 'application/json' });
}

function route(master: Master, req: IncomingMessage, res: ServerResponse, body: RequestBody): void {
  const url = new URL(req.url ?? '/', 'http://master');
  switch (url.pathname) {
    case '/master/api/v1/scheduler':
    case '/api/v1/scheduler':
      return handleScheduler(master, req, res, body);
    case '/master/health':
      return reply(res, 200);
    case '/version':
      return json(res, versionJson(), url.searchParams);
    case '/master/state':
    case '/master/state.json':
      return json(res, stateJson(master), url.searchParams);
    default:
      return reply(res, 404);
  }
}

/** A server for the master `master()` returns (made once the port is known). */
export function createMasterServer(master: () => Master, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): Server {
  const server = createServer((req, res) => {
    readBody(req, res, maxBodyBytes, (body) => {
      try {
        route(master(), req, res, body);
      } catch (error) {
        // A defect of ours: one answer, one line, and the master serves on.
        const reason = error instanceof Error ? error.message : String(error);
        reply(res, 500, `Internal error: ${reason.split('\n')[0]}`);
      }
    });
  });
  // A subscription's stream lasts as long as its framework does, and a
  // scheduler keeps its connection for calls open however long it idles
  // (Mesos's client takes a closed connection for a lost master, and
  // subscribes again): no timeouts but for a request's headers.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 0;
  server.headersTimeout = 60_000;
  return server;
}
