// Plain HTTP answers, as libprocess makes them: a status, and for errors
// a text body in "text/plain; charset=utf-8".
import type { ServerResponse } from 'node:http';

export const TEXT = 'text/plain; charset=utf-8';

export function reply(res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = Buffer.from(body, 'utf8');
  const all: Record<string, string | number> = { ...headers, 'Content-Length': payload.length };
  if (body !== '' && all['Content-Type'] === undefined) all['Content-Type'] = TEXT;
  res.writeHead(status, all);
  res.end(payload);
}

export function methodNotAllowed(res: ServerResponse, allowed: readonly string[], method: string): void {
  reply(res, 405, `405 Method Not Allowed. Expecting one of { '${allowed.join("', '")}' }, but received '${method}'.`, {
    Allow: allowed.join(', '),
  });
}
