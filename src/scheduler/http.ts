// HTTP to the master's scheduler endpoint with Node's client: the request
// every call makes (POST /master/api/v1/scheduler, the content type both
// ways, a length), on the keep-alive agent it is given, and a whole answer
// collected for the calls that are not streams.
import { Agent, request, type ClientRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { MEDIA_TYPES, type ContentType } from './content-type';
import type { MasterAddress } from './master-address';

export const SCHEDULER_PATH = '/master/api/v1/scheduler';

/** An agent that keeps one connection open and sends the requests given it in order, one after another. */
export function connectionAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
}

export function schedulerRequest(
  address: MasterAddress,
  agent: Agent,
  type: ContentType,
  body: Buffer,
  extraHeaders: OutgoingHttpHeaders = {},
): ClientRequest {
  const req = request({
    host: address.host,
    port: address.port,
    path: SCHEDULER_PATH,
    method: 'POST',
    agent,
    headers: {
      'Content-Type': MEDIA_TYPES[type],
      Accept: MEDIA_TYPES[type],
      'Content-Length': body.length,
      ...extraHeaders,
    },
  });
  req.end(body);
  return req;
}

export interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Sends a request and resolves with its whole answer. Rejects when the
 * connection fails or, after `timeoutMs`, when no whole answer has come.
 */
export function post(
  address: MasterAddress,
  agent: Agent,
  type: ContentType,
  body: Buffer,
  headers: OutgoingHttpHeaders,
  timeoutMs: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = schedulerRequest(address, agent, type, body, headers);
    const timer = setTimeout(() => req.destroy(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new Error('The connection closed inside the answer'));
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks),
        });
      });
    });
  });
}

/** The answer's body for a message: text, cut short. */
export function bodyText(body: Buffer): string {
  const text = body.subarray(0, 1000).toString('utf8');
  return body.length > 1000 ? `${text}...` : text;
}
