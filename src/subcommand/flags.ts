// A flag loader with stout's rules (Mesos's `FlagsBase::load`), so that an
// agent, a script or an operator can pass us exactly what they pass Mesos's
// own helper and get the same answer, errors included.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { reasonOf } from '../../native/libc';
import { quoteValue } from './quote';

export { quoteValue };

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type FlagType = 'string' | 'int' | 'bool' | 'object' | 'array';

type ValueOf<T extends FlagType> = T extends 'string'
  ? string
  : T extends 'int'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'object'
        ? JsonObject
        : JsonValue[];

export interface FlagSpec<T extends FlagType = FlagType> {
  readonly type: T;
  readonly help: string;
  readonly default?: ValueOf<T>;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** What a loaded flag set looks like: flags with a default are always set. */
export type Flags<S extends FlagSpecs> = {
  -readonly [K in keyof S]: S[K] extends FlagSpec<infer T>
    ? S[K] extends { default: unknown }
      ? ValueOf<T>
      : ValueOf<T> | undefined
    : never;
} & { help: boolean };

/** Every flag set has `--help`, as stout's FlagsBase does. */
const HELP: FlagSpec<'bool'> = { type: 'bool', help: 'Prints this help message', default: false };

export class FlagError extends Error {}

/** JSON values deeper than this are refused (protobuf's own recursion limit). */
export const MAX_JSON_DEPTH = 100;

/**
 * The most a flag's file (`file:///path`, or a JSON flag's `/path`) may hold.
 * An agent sends launch_info in an environment variable, which the kernel
 * caps at 128 KiB (MAX_ARG_STRLEN), so what it sends is far below this; a
 * file may rightly hold more (many mounts, a seccomp profile), and 16 MiB
 * still reads and parses in a fraction of a second. Anything larger is a
 * mistake, refused before it can exhaust memory (stout reads without bound).
 */
export const MAX_FLAG_FILE_BYTES = 16 * 1024 * 1024;

function withHelp(specs: FlagSpecs): FlagSpecs {
  return { help: HELP, ...specs };
}

/**
 * Loads `specs` from `argv` (the words after the subcommand's name) and from
 * environment variables named `prefix` + the flag's name in any case. The
 * command line wins over the environment. Throws FlagError with stout's text.
 */
export function loadFlags<S extends FlagSpecs>(
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  prefix: string,
): Flags<S> {
  const all = withHelp(specs);
  const known = (name: string): boolean =>
    Object.hasOwn(all, name) || (name.startsWith('no-') && Object.hasOwn(all, name.slice(3)));

  // stout keeps every word given (a multimap): a flag given twice is caught
  // when the second one is loaded, after any error the first one makes.
  const given: Array<[string, string | undefined]> = [];
  for (const word of argv) {
    const arg = word.trim();
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).toLowerCase();
    given.push([name, eq === -1 ? undefined : arg.slice(eq + 1)]);
  }
  // The environment only fills names not on the command line; of two
  // variables for one name (PREFIX_X, PREFIX_x) the later in byte order wins.
  const fromEnv = new Map<string, string>();
  for (const key of Object.keys(env).sort(byteOrder)) {
    const value = env[key];
    if (!key.startsWith(prefix) || value === undefined) continue;
    const name = key.slice(prefix.length).toLowerCase();
    if (known(name)) fromEnv.set(name, value);
  }
  for (const [name, value] of fromEnv) {
    if (!given.some(([seen]) => seen === name)) given.push([name, value]);
  }
  // stout walks its map in the order of the names (so errors come in that
  // order), repeats of one name in the order given (the sort is stable).
  given.sort(([a], [b]) => byteOrder(a, b));

  const result: Record<string, unknown> = {};
  const loaded = new Set<string>();
  for (const [name, value] of given) {
    const negated = name.startsWith('no-');
    const flagName = negated ? name.slice(3) : name;
    if (!Object.hasOwn(all, flagName)) {
      throw new FlagError(
        `Failed to load unknown flag '${quoteValue(flagName)}'${negated ? ` via '${quoteValue(name)}'` : ''}`,
      );
    }
    const spec = all[flagName]!;
    // Whichever of --x, --no-x or --x=v came first, stout names the flag
    // twice: we have no aliases, so it was loaded via its own name.
    if (loaded.has(flagName)) throw new FlagError(`Flag '${flagName}' is already loaded via name '${flagName}'`);
    let text: string;
    if (spec.type !== 'bool') {
      if (negated) throw new FlagError(`Failed to load non-boolean flag '${flagName}' via '${name}'`);
      if (value === undefined) throw new FlagError(`Failed to load non-boolean flag '${flagName}': Missing value`);
      text = value;
    } else if (value === undefined || value === '') {
      text = negated ? 'false' : 'true';
    } else if (!negated) {
      text = value;
    } else {
      throw new FlagError(
        `Failed to load boolean flag '${flagName}' via '${name}' with value '${quoteValue(value)}'`,
      );
    }
    try {
      result[flagName] = parseValue(spec.type, fetchValue(text));
    } catch (error) {
      throw new FlagError(
        `Failed to load flag '${flagName}': Failed to load value '${quoteValue(text)}': ${(error as Error).message}`,
      );
    }
    loaded.add(flagName);
  }
  for (const [name, spec] of Object.entries(all)) {
    if (!(name in result) && spec.default !== undefined) result[name] = spec.default;
  }
  return result as Flags<S>;
}

/** A value `file:///path` stands for the contents of that file. */
function fetchValue(text: string): string {
  if (!text.startsWith('file://')) return text;
  return readText(text.slice('file://'.length));
}

function readText(path: string): string {
  try {
    return readBounded(path, MAX_FLAG_FILE_BYTES).toString('utf8');
  } catch (error) {
    throw new Error(`Error reading file '${quoteValue(path)}': ${reasonOf(error)}`);
  }
}

/**
 * Only a regular file is sure to end: a FIFO or a device may block forever
 * or never stop (/dev/zero). A directory fails as stout's read does.
 */
function requireRegular(stats: Stats): void {
  if (stats.isDirectory()) throw new Error('Is a directory');
  if (!stats.isFile()) throw new Error('Not a regular file');
}

/** The bytes of the regular file `path`, refused once they pass `limit`. */
function readBounded(path: string, limit: number): Buffer {
  // Checked before the open too, since opening some devices does something.
  requireRegular(statSync(path));
  // Non-blocking and no controlling terminal, should the path change to
  // something else between the two checks (Node adds O_CLOEXEC itself).
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    requireRegular(fstatSync(fd));
    let buffer = Buffer.allocUnsafe(Math.min(limit + 1, 64 * 1024));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const larger = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      // Reading one byte past the limit tells a file that is too large.
      const count = readSync(fd, buffer, length, buffer.length - length, null);
      if (count === 0) return buffer.subarray(0, length);
      length += count;
      if (length > limit) throw new Error(`File is larger than ${limit / (1024 * 1024)} MiB`);
    }
  } finally {
    closeSync(fd);
  }
}

function parseValue(type: FlagType, text: string): unknown {
  switch (type) {
    case 'string':
      return text;
    case 'bool':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new Error('Expecting a boolean (e.g., true or false)');
    case 'int':
      return parseInteger(text);
    case 'object':
    case 'array': {
      // For JSON flags stout still honours the older form: an absolute path.
      const json = parseJson(text.startsWith('/') ? readText(text) : text);
      const isArray = Array.isArray(json);
      if (type === 'object' && (isArray || json === null || typeof json !== 'object')) {
        throw new Error('Expecting a JSON object');
      }
      if (type === 'array' && !isArray) throw new Error('Expecting a JSON array');
      return json;
    }
  }
}

function parseInteger(text: string): number {
  const trimmed = text.trim();
  const value = /^[+-]?0x[0-9a-f]+$/i.test(trimmed)
    ? Number.parseInt(trimmed, 16)
    : /^[+-]?\d+$/.test(trimmed)
      ? Number(trimmed)
      : Number.NaN;
  if (!Number.isSafeInteger(value) || value > 0x7fffffff || value < -0x80000000) {
    throw new Error(`Failed to convert '${quoteValue(text)}' to number`);
  }
  return value;
}

/** std::string's order: by UTF-8 bytes, as stout sorts names. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** JSON.parse plus a depth bound, so no input can exhaust the stack later. */
export function parseJson(text: string): JsonValue {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (error) {
    // V8 quotes the input around the fault, newlines and all.
    throw new Error(`Failed to parse JSON: ${(error as Error).message.replace(/[\r\n]+/g, ' ')}`);
  }
  const stack: Array<[JsonValue, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new Error(`Failed to parse JSON: nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return value;
}

/** stout's flag listing: names sorted, help aligned five columns past the widest. */
export function flagsUsage(specs: FlagSpecs): string {
  const all = withHelp(specs);
  const names = Object.keys(all).sort();
  const firstColumn = new Map(
    names.map((name) => [name, all[name]!.type === 'bool' ? `  --[no-]${name}` : `  --${name}=VALUE`]),
  );
  const width = Math.max(...[...firstColumn.values()].map((column) => column.length)) + 5;
  let text = '';
  for (const name of names) {
    const spec = all[name]!;
    let help = spec.help;
    if (spec.default !== undefined) {
      help += `${help.length > 0 && !/[\n\r]$/.test(help) ? ' ' : ''}(default: ${String(spec.default)})`;
    }
    const [first, ...rest] = help.split(/[\n\r]/);
    text += firstColumn.get(name)!.padEnd(width) + first + '\n';
    for (const line of rest) text += ' '.repeat(width) + line + '\n';
  }
  return text;
}
