// What a CNI plugin prints: on success a result (spec 0.1/0.2: `ip4`,
// `ip6`; 0.3 and later: `ips`; and `dns`), on failure an error object
// (`code`, `msg`, `details`). Turned into the container's addresses, its
// /etc/hosts and resolv.conf as Mesos writes them, and the NetworkInfos of
// its status updates. Pure.
import { isIP } from 'node:net';
import { quoteValue } from '../../subcommand/quote';
import type { Attachment } from './plan';
import { isObject, type Json } from './json';

/** How much of a plugin's output a message quotes. */
const OUTPUT_LIMIT = 400;

export interface CniAddress {
  readonly version: 4 | 6;
  /** Without the prefix length. */
  readonly address: string;
}

export interface CniDns {
  readonly nameservers: readonly string[];
  readonly domain?: string;
  readonly search: readonly string[];
  readonly options: readonly string[];
}

export interface CniResult {
  /** The result as printed: chained plugins get it as `prevResult`. */
  readonly raw: Json;
  readonly addresses: readonly CniAddress[];
  readonly dns?: CniDns;
}

export class CniResultError extends Error {}

function address(value: unknown, field: string): CniAddress {
  if (typeof value !== 'string') throw new CniResultError(`'${field}' is not a string`);
  const bare = value.replace(/\/\d{1,3}$/, '');
  const version = isIP(bare);
  if (version === 0) throw new CniResultError(`'${field}' is not an IP address: '${quoteValue(value)}'`);
  return { version: version as 4 | 6, address: bare };
}

const strings = (value: unknown, field: string): string[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new CniResultError(`'${field}' is not a list of strings`);
  return value as string[];
};

function dnsOf(value: unknown): CniDns | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new CniResultError("'dns' is not an object");
  const domain = value['domain'];
  if (domain !== undefined && typeof domain !== 'string') throw new CniResultError("'dns.domain' is not a string");
  return {
    nameservers: strings(value['nameservers'], 'dns.nameservers'),
    ...(domain === undefined ? {} : { domain }),
    search: strings(value['search'], 'dns.search'),
    options: strings(value['options'], 'dns.options'),
  };
}

/** A successful plugin's stdout; throws CniResultError with what is wrong. */
export function parseResult(stdout: string): CniResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new CniResultError(`not a JSON object: '${quoteValue(stdout, OUTPUT_LIMIT)}'`);
  }
  if (!isObject(parsed)) throw new CniResultError(`not a JSON object: '${quoteValue(stdout, OUTPUT_LIMIT)}'`);
  const addresses: CniAddress[] = [];
  const ips = parsed['ips'];
  if (ips !== undefined && ips !== null) {
    if (!Array.isArray(ips)) throw new CniResultError("'ips' is not a list");
    for (const [index, ip] of ips.entries()) {
      if (!isObject(ip)) throw new CniResultError(`'ips[${index}]' is not an object`);
      addresses.push(address(ip['address'], `ips[${index}].address`));
    }
  }
  for (const field of ['ip4', 'ip6'] as const) {
    const config = parsed[field];
    if (config === undefined || config === null) continue;
    if (!isObject(config)) throw new CniResultError(`'${field}' is not an object`);
    addresses.push(address(config['ip'], `${field}.ip`));
  }
  const dns = dnsOf(parsed['dns']);
  return { raw: parsed, addresses, ...(dns === undefined ? {} : { dns }) };
}

/**
 * A failed plugin's own words: the `msg` (and `details`) of the error it
 * printed, else what it printed on stdout and stderr, as Mesos quotes them.
 */
export function pluginError(stdout: string, stderr: string): string {
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (isObject(parsed) && typeof parsed['msg'] === 'string') {
      const details = typeof parsed['details'] === 'string' && parsed['details'] !== '' ? `: ${parsed['details']}` : '';
      return quoteValue(`${parsed['msg']}${details}`, OUTPUT_LIMIT);
    }
  } catch {
    // Not the spec's error object: quote it all.
  }
  return `stdout='${quoteValue(stdout, OUTPUT_LIMIT)}', stderr='${quoteValue(stderr, OUTPUT_LIMIT)}'`;
}

/** The container's /etc/hosts: localhost, and its name at its first IPv4 address (Mesos writes no more). */
export function hostsFile(hostname: string, results: readonly CniResult[]): string {
  const first = results.flatMap((result) => result.addresses).find((entry) => entry.version === 4);
  return `127.0.0.1 localhost\n${first === undefined ? '' : `${first.address} ${hostname}\n`}`;
}

/** The name servers the plugins gave, merged as Mesos merges them; undefined when none did (the host's file is used). */
export function resolvConf(results: readonly CniResult[]): string | undefined {
  const nameservers: string[] = [];
  const search: string[] = [];
  const options: string[] = [];
  let domain: string | undefined;
  for (const result of results) {
    if (result.dns === undefined || result.dns.nameservers.length === 0) continue;
    nameservers.push(...result.dns.nameservers);
    search.push(...result.dns.search);
    options.push(...result.dns.options);
    domain = result.dns.domain ?? domain;
  }
  if (nameservers.length === 0) return undefined;
  // Nothing of a plugin's may add lines of its own.
  const word = (value: string) => value.replace(/\s+/g, '');
  let text = domain === undefined ? '' : `domain ${word(domain)}\n`;
  if (search.length > 0) text += `search ${search.map(word).join(' ')}\n`;
  if (options.length > 0) text += `options ${options.map(word).join(' ')}\n`;
  for (const server of nameservers) text += `nameserver ${word(server)}\n`;
  return text;
}

/** The NetworkInfos of the container's status: the task's own, with the addresses the plugins gave. */
export function statusNetworkInfos(attachments: readonly Attachment[], results: readonly CniResult[]): Json[] {
  return attachments.map((attachment, index) => {
    const { ip_addresses: _given, ...info } = attachment.networkInfo;
    const addresses = results[index]?.addresses ?? [];
    return {
      ...info,
      ip_addresses: addresses.map((entry) => ({ protocol: entry.version === 4 ? 'IPv4' : 'IPv6', ip_address: entry.address })),
    };
  });
}
