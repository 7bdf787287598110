// Where the master is: `HOST:PORT` or `http://HOST:PORT` (a trailing `/`
// allowed, IPv6 hosts in brackets). Mesos's client also finds masters
// through ZooKeeper (`zk://`) or a file (`file://`), and starts one in
// process (`local`); this one does none of that, and says so in one line.

export interface MasterAddress {
  readonly host: string;
  readonly port: number;
  /** "HOST:PORT", for messages. */
  readonly text: string;
}

export class MasterAddressError extends Error {
  override readonly name = 'MasterAddressError';
}

function refuse(master: string, why: string): never {
  const shown = master.length > 100 ? `${master.slice(0, 100)}...` : master;
  throw new MasterAddressError(`Master '${shown.replace(/[\r\n]/g, ' ')}' is not supported: ${why}; give HOST:PORT or http://HOST:PORT`);
}

export function parseMasterAddress(master: string): MasterAddress {
  const text = master.trim();
  if (/^zk:\/\//i.test(text)) refuse(master, 'this client does not detect masters through ZooKeeper');
  if (/^file:\/\//i.test(text)) refuse(master, 'this client does not read masters from a file');
  if (text === 'local') refuse(master, 'this client does not start a master of its own');
  if (/^https:\/\//i.test(text)) refuse(master, 'this client speaks plain HTTP only');
  const http = /^http:\/\//i.test(text);
  if (!http && /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) refuse(master, 'unknown scheme');
  const rest = http ? text.slice('http://'.length).replace(/\/$/, '') : text;
  if (rest.includes('/')) refuse(master, 'a path after the port is not taken (calls go to /master/api/v1/scheduler)');
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$/.exec(rest);
  if (match === null) refuse(master, 'expected a host and a port');
  const port = Number(match[2]);
  if (port < 1 || port > 65535) refuse(master, `port ${match[2]} is out of range`);
  const host = match[1]!.startsWith('[') ? match[1]!.slice(1, -1) : match[1]!;
  return { host, port, text: `${match[1]}:${port}` };
}
