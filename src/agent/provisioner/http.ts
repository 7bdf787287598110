// GET over Node's http and https: redirects followed (without credentials
// once they lead to another origin), a stall timeout on every socket, bodies
// read up to a limit. Errors are one line: the URL and what went wrong.
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';

export class HttpError extends Error {}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** Where the answer came from, after any redirects. */
  url: URL;
  /** The body, to read (or to dispose of with `discard`). */
  body: IncomingMessage;
}

export interface GetOptions {
  headers?: OutgoingHttpHeaders;
  /** How long a socket may stay silent, connecting or reading. */
  timeoutMs: number;
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 16 }), https: new https.Agent({ keepAlive: true, maxSockets: 16 }) };

/** `GET url` once: the response as it comes. */
function getOnce(url: URL, headers: OutgoingHttpHeaders, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      reject(new HttpError(`GET ${url.href}: only http and https are supported`));
      return;
    }
    const request = (secure ? https : http).get(url, { headers, agent: secure ? agents.https : agents.http });
    request.setTimeout(timeoutMs, () => request.destroy(new HttpError(`GET ${url.href}: no answer for ${timeoutMs / 1000} s`)));
    request.once('response', (response) => {
      // The stall timeout goes on for the body.
      response.setTimeout?.(timeoutMs, () => response.destroy(new HttpError(`GET ${url.href}: the body stalled for ${timeoutMs / 1000} s`)));
      resolve(response);
    });
    request.once('error', (error) =>
      reject(error instanceof HttpError ? error : new HttpError(`GET ${url.href}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)),
    );
  });
}

/** Reads and drops a body, so that its socket can serve the next request. */
export function discard(response: IncomingMessage): void {
  response.resume();
}

/**
 * `GET url`, following redirects (a 303 too) up to `maxRedirects`; the
 * Authorization header goes only to the origin it was meant for.
 */
export async function get(url: URL, options: GetOptions): Promise<Response> {
  let current = url;
  let headers = { ...(options.headers ?? {}) };
  const maxRedirects = options.maxRedirects ?? 5;
  for (let redirects = 0; ; redirects++) {
    const response = await getOnce(current, headers, options.timeoutMs);
    const status = response.statusCode ?? 0;
    if (!REDIRECTS.has(status)) return { status, headers: response.headers, url: current, body: response };
    discard(response);
    const location = response.headers.location;
    if (location === undefined) throw new HttpError(`GET ${current.href}: ${status} without a Location`);
    if (redirects >= maxRedirects) throw new HttpError(`GET ${url.href}: more than ${maxRedirects} redirects`);
    const next = new URL(location, current);
    if (next.origin !== current.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
    }
    current = next;
  }
}

/** A whole body, refused past `limit` bytes (by Content-Length or as it comes). */
export async function readBody(response: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    response.body.destroy();
    throw new HttpError(`GET ${response.url.href}: the ${what} is ${declared} bytes, more than the ${limit} allowed`);
  }
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response.body) {
      length += (chunk as Buffer).length;
      if (length > limit) {
        response.body.destroy();
        throw new HttpError(`GET ${response.url.href}: the ${what} is more than the ${limit} bytes allowed`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(`GET ${response.url.href}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return Buffer.concat(chunks, length);
}

/** `STATUS Reason`, and a registry's own error codes and messages when it gave them (its JSON `errors`). */
export function describeFailure(response: Response, body: Buffer): string {
  let detail = '';
  try {
    const json = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
    if (Array.isArray(json.errors)) {
      detail = json.errors
        .map((error) => [error.code, error.message].filter((part) => typeof part === 'string' && part !== '').join(': '))
        .filter((text) => text !== '')
        .join('; ');
    }
  } catch {
    // Not a registry's JSON error.
  }
  const reason = http.STATUS_CODES[response.status] ?? '';
  return `${response.status}${reason === '' ? '' : ` ${reason}`}${detail === '' ? '' : ` (${detail})`}`;
}
