// The master's HTTP server: its routes, and request bodies read whole up
// to a limit before anything else is decided.
//
//   POST /master/api/v1/scheduler, /api/v1/scheduler   the scheduler API
//   /master/health                                       200, empty
//   /version                                             build information
//   /master/state, /master/state.json                    everything known
//
// Anything else is 404. A request whose body goes over the limit is
// answered once it has ended (413 on the scheduler endpoint); one that
// keeps sending far beyond it is cut off.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Master } from '../master';
import { writeJson, type JsonOut } from './json-writer';
import { reply } from './responses';
import { handleScheduler, type RequestBody } from './scheduler';
import { stateJson, versionJson } from './state';

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Past this many times the limit, the sender is not waited for. */
const CUT_OFF_FACTOR = 4;

function readBody(req: IncomingMessage, limit: number, done: (body: RequestBody) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit * CUT_OFF_FACTOR) {
      req.socket.destroy();
      return;
    }
    if (size <= limit) chunks.push(chunk);
  });
  req.on('end', () => done({ bytes: size > limit ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge: size > limit, limit }));
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
    readBody(req, maxBodyBytes, (body) => {
      try {
        route(master(), req, res, body);
      } catch (error) {
        // A defect of ours: one answer, one line, and the master serves on.
        const reason = error instanceof Error ? error.message : String(error);
        reply(res, 500, `Internal error: ${reason.split('\n')[0]}`);
      }
    });
  });
  // A subscription's stream lasts as long as its framework does.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  return server;
}
