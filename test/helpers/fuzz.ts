// Shared pieces of the reliability tests (fuzz, faults, hostile) and of
// bench/fuzz.ts: fast-check generators for argv words, environments and
// launch descriptions (valid ones and mutations of them), the properties the
// fuzz tests check, and the process helpers of the reliability tests (a
// control pipe the way an agent holds one, a bounded pool, a whole-process
// run); ./process has those that every test shares.
//
// Nothing here changes the system except temporary FIFOs and directories
// the caller owns.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { networkCniSetupFlags } from '../../src/cni/flags';
import { launchFlags } from '../../src/launch/flags';
import { LaunchInfoError, parseCommandInfo, parseLaunchInfo } from '../../src/launch/launch-info';
import { buildPlan, type LaunchFlags, PlanError } from '../../src/launch/plan';
import { mountFlags } from '../../src/mount/subcommand';
import { FLAG_PREFIX } from '../../src/subcommand/dispatch';
import { FlagError, type FlagSpecs, type JsonObject, type JsonValue, loadFlags } from '../../src/subcommand/flags';
import { killQuietly, tempDir } from './process';

// ---------------------------------------------------------------------------
// What a rejection must look like

/** One line of text: something, and no line break in it. */
export function isOneLine(message: unknown): boolean {
  return typeof message === 'string' && message.length > 0 && !/[\r\n]/.test(message);
}

/** The first `error` that is not one of `accepted`, as a reason; undefined when it is one. */
export function wrongKind(error: unknown, ...accepted: Array<abstract new (...args: never[]) => Error>): string | undefined {
  if (accepted.some((kind) => error instanceof kind)) return undefined;
  const name = error instanceof Error ? error.constructor.name : typeof error;
  return `threw ${name} instead of ${accepted.map((kind) => kind.name).join('/')}: ${String((error as Error)?.stack ?? error)}`;
}

/** `text` with everything but printable ASCII escaped, safe in a TAP line. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (c) =>
    [...c].length === 1 && c.length === 2
      ? `\\u{${c.codePointAt(0)!.toString(16)}}`
      : [...c].map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  );
}

/**
 * Rejections whose message is not one line. They are collected rather than
 * failing the property on the spot, so that one such defect does not stop
 * the run (and hide everything else it would find); the test asserts the
 * list is empty and prints the shortest example.
 */
export class LineViolations {
  readonly examples: Array<{ input: string; message: string }> = [];
  count = 0;

  check(error: unknown, input: unknown): void {
    const message = (error as Error).message;
    if (isOneLine(message)) return;
    this.count++;
    const shown = JSON.stringify(input, (_, value: unknown) =>
      typeof value === 'string' && value.length > 200 ? `${value.slice(0, 200)}...(${value.length} chars)` : value,
    );
    this.examples.push({ input: printable(shown), message: printable(JSON.stringify(message.slice(0, 300))) });
    this.examples.sort((a, b) => a.input.length - b.input.length);
    this.examples.length = Math.min(this.examples.length, 3);
  }
}

// ---------------------------------------------------------------------------
// Strings and flag words

/** Every subcommand's flag set, for the loader property. */
export const FLAG_SETS: Record<string, FlagSpecs> = {
  launch: launchFlags,
  'network-cni-setup': networkCniSetupFlags,
  mount: mountFlags,
};

const KNOWN_NAMES = [...new Set(['help', ...Object.values(FLAG_SETS).flatMap((specs) => Object.keys(specs))])];
export const LAUNCH_NAMES = Object.keys(launchFlags);

/** Characters that matter to parsers and to one-line messages. */
const TRICKY_CHARACTERS = ['\n', '\r', '\t', ' ', '=', '-', '/', '"', "'", '\\', '\0', '\u0085', '\u2028', '\u00e9', '\u{1F600}', 'a', '1'];

/** Short text of any kind: ASCII, graphemes, any code point (lone surrogates too), tricky characters. */
export const text = (maxLength = 16): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength, unit: fc.constantFrom(...TRICKY_CHARACTERS) }),
    fc.string({ maxLength, unit: 'grapheme-ascii' }),
    fc.string({ maxLength, unit: 'grapheme' }),
    fc.string({ maxLength, unit: 'binary' }),
  );

/** Values that sit on the edges of the flag types. */
const EDGE_VALUES = [
  '',
  ' ',
  'true',
  'false',
  '1',
  '0',
  'yes',
  'TRUE',
  '-1',
  '+7',
  ' 3 ',
  '0x10',
  '-0x80000000',
  '0x80000000',
  '2147483647',
  '2147483648',
  '-2147483649',
  '9007199254740993',
  '1e3',
  '1.5',
  'NaN',
  'Infinity',
  '\n',
  'a\nb',
  '\r\n',
  '\u2028',
  '{}',
  '[]',
  'null',
  '"x"',
  '{"command":{"value":"exit 0"}}',
  '[{"value":"exit 0"}]',
  '{',
  '[1,',
  '/',
  'file://',
  'file:///',
  'file:///nonexistent-fuzz-dir/',
  '/nonexistent-fuzz-dir/launch_info.json',
  'file:///nonexistent-fuzz-dir/launch_info.json',
  'file://relative/nonexistent',
  '--',
  '=',
  '==',
  '\u00e9t\u00e9',
  '\u{1F600}',
  '\uD800',
];

/** A huge value (in-process only: the kernel caps one argv string at 128 KiB). */
export const hugeValue = fc
  .tuple(fc.integer({ min: 1 << 16, max: 1 << 20 }), fc.constantFrom('x', '{', '[', '\u00e9', '\n', '9', '/'))
  .map(([length, unit]) => unit.repeat(length));

/** A JSON text nested `depth` levels deep. */
export function nestedJsonText(depth: number, open = '[', close = ']'): string {
  return open.repeat(depth) + close.repeat(depth);
}

// ---------------------------------------------------------------------------
// Launch descriptions: valid ones, then mutations

const CAPABILITY_NAMES = ['CHOWN', 'NET_RAW', 'SYS_ADMIN', 'SETPCAP', 'KILL', 'BPF'];
const RLIMIT_NAMES = ['RLMT_NOFILE', 'RLMT_CORE', 'RLMT_NPROC', 'RLMT_CPU', 'RLMT_STACK'];
const SECCOMP_ACTIONS = ['ACT_KILL', 'ACT_TRAP', 'ACT_ERRNO', 'ACT_TRACE', 'ACT_ALLOW'];
const NAMESPACES = [0x20000, 0x4000000, 0x8000000, 0x20000000, 0x40000000, 0x2000000];

/**
 * What a command does: harmless shell words, so that even a fuzzed input
 * that somehow ran would do nothing (the whole-process runs also never let
 * anything run: see launchArgv).
 */
const commandValue = fc.oneof(fc.constantFrom('exit 0', 'true', ':', 'exit 3', '/bin/true'), text(12));
const path = fc.oneof(fc.constantFrom('/', '/tmp', '/nonexistent-fuzz-dir', 'relative', '', '/proc/self/fd/3'), text(12).map((s) => `/${s}`));

const variable = fc.record(
  { name: text(8), value: text(8), type: fc.constantFrom('VALUE', 'VALUE', 'UNKNOWN', 'SECRET') },
  { requiredKeys: ['name'] },
);
const environment = fc.record({ variables: fc.array(variable, { maxLength: 3 }) });

export const commandInfo: fc.Arbitrary<JsonObject> = fc.record(
  {
    shell: fc.boolean(),
    value: commandValue,
    arguments: fc.array(text(8), { maxLength: 3 }),
    environment,
    user: fc.constantFrom('root', 'nobody', 'no-such-user-fuzz'),
    uris: fc.constant([]),
  },
  { requiredKeys: ['value'] },
) as fc.Arbitrary<JsonObject>;

const mountInfo = fc.record(
  { source: path, target: path, type: fc.constantFrom('proc', 'tmpfs', 'bind'), flags: fc.nat(), options: text(8) },
  { requiredKeys: ['target'] },
);

const sourceTarget = fc.record({ source: path, target: path });
const fileOperation = fc.oneof(
  sourceTarget.map((symlink) => ({ operation: 'SYMLINK', symlink })),
  sourceTarget.map((rename) => ({ operation: 'RENAME', rename })),
  mountInfo.map((mount) => ({ operation: 'MOUNT', mount })),
  fc.record({ target: path, recursive: fc.boolean() }).map((mkdir) => ({ operation: 'MKDIR', mkdir })),
);

const limitValue = fc.oneof(fc.nat(), fc.constantFrom(0, 1024, 2 ** 53 - 1), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
const rlimit = fc.oneof(
  fc.record({ type: fc.constantFrom(...RLIMIT_NAMES) }),
  fc.record({ type: fc.constantFrom(...RLIMIT_NAMES), soft: limitValue, hard: limitValue }),
);

const capabilities = fc.record({ capabilities: fc.subarray(CAPABILITY_NAMES) });

const seccompProfile = fc.record(
  {
    default_action: fc.constantFrom(...SECCOMP_ACTIONS),
    architectures: fc.subarray(['ARCH_X86_64', 'ARCH_X86', 'ARCH_AARCH64']),
    syscalls: fc.array(
      fc.record(
        {
          names: fc.subarray(['mkdir', 'read', 'personality', 'no_such_syscall']),
          action: fc.constantFrom(...SECCOMP_ACTIONS),
          args: fc.array(
            fc.record({
              index: fc.nat(6),
              op: fc.constantFrom('CMP_EQ', 'CMP_NE', 'CMP_MASKED_EQ'),
              value: limitValue,
              value_two: limitValue,
            }),
            { maxLength: 2 },
          ),
          includes: capabilities,
        },
        { requiredKeys: ['names', 'action'] },
      ),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['default_action'] },
);

/** A ContainerLaunchInfo the parser accepts (its values need not make sense to the system). */
export const launchInfo: fc.Arbitrary<JsonObject> = fc.record(
  {
    command: commandInfo,
    pre_exec_commands: fc.array(commandInfo, { maxLength: 2 }),
    environment,
    task_environment: environment,
    rootfs: path,
    working_directory: path,
    user: fc.constantFrom('root', 'nobody'),
    supplementary_groups: fc.array(fc.nat(2 ** 32 - 1), { maxLength: 3 }),
    clone_namespaces: fc.subarray(NAMESPACES),
    enter_namespaces: fc.subarray(NAMESPACES),
    effective_capabilities: capabilities,
    bounding_capabilities: capabilities,
    rlimits: fc.record({ rlimits: fc.array(rlimit, { maxLength: 3 }) }),
    tty_slave_path: path,
    mounts: fc.array(mountInfo, { maxLength: 2 }),
    masked_paths: fc.array(path, { maxLength: 2 }),
    file_operations: fc.array(fileOperation, { maxLength: 3 }),
    seccomp_profile: seccompProfile,
    no_new_privileges: fc.boolean(),
  },
  { requiredKeys: ['command'] },
) as fc.Arbitrary<JsonObject>;

/** Numbers on the edges of protobuf's integer types, and past JSON's exact range. */
const EDGE_NUMBERS = [
  0, -0, -1, 1.5, 0.1, 1e308, -1e308, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53,
  2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 63), Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER,
];
/** Numbers in strings: protobuf JSON takes decimal digit strings for integers. */
const NUMERIC_STRINGS = [
  '0', '1', '-1', '007', '-0', '+1', ' 1', '1 ', '1e3', '0x10', '1.0', '131072', '4294967295', '4294967296',
  '2147483648', '-2147483649', '18446744073709551615', '18446744073709551616', '-9223372036854775809',
  '99999999999999999999999', '000000000000000000000000001', 'NaN', 'Infinity', '-', '',
];
/** Names of the enums, some right, some in the wrong field or case. */
const ENUM_NAMES = [
  'UNKNOWN', 'SYMLINK', 'MOUNT', 'RENAME', 'MKDIR', 'symlink', 'ACT_ALLOW', 'ACT_ERRNO', 'act_allow', 'RLMT_NOFILE',
  'RLMT_UNKNOWN', 'NET_RAW', 'CAP_NET_RAW', 'net_raw', 'VALUE', 'SECRET', 'ARCH_X86_64', 'CMP_EQ', 'CMP_UNKNOWN',
];
/** Keys a naive parser might trip on. */
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'value', 'command', ''];

/** Where `value` nests `depth` levels of arrays or objects around it (built without recursion). */
export function nest(depth: number, kind: 'array' | 'object', value: JsonValue = 1): JsonValue {
  let node = value;
  for (let i = 0; i < depth; i++) node = kind === 'array' ? [node] : { command: node };
  return node;
}

/**
 * A replacement for one node of a launch description. `big` allows nesting
 * past what the flag loader takes and strings of up to 100,000 characters;
 * without it values stay small enough for a command line.
 */
export const replacement = (big: boolean): fc.Arbitrary<JsonValue> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue> },
    { weight: 3, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
    { weight: 3, arbitrary: fc.constantFrom(...NUMERIC_STRINGS) },
    { weight: 2, arbitrary: fc.constantFrom(...ENUM_NAMES) },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], [[]], [{}]) },
    { weight: 2, arbitrary: text(24) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: big ? 100_000 : 20_000 }).map((n) => 'x'.repeat(n)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: big ? 1000 : 120 }), fc.constantFrom<'array' | 'object'>('array', 'object'))
        .map(([depth, kind]) => nest(depth, kind)),
    },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...ODD_KEYS), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<JsonValue>, { maxKeys: 3 }) },
  );

type Change =
  | { kind: 'delete' }
  | { kind: 'replace'; value: JsonValue }
  | { kind: 'wrap-array' }
  | { kind: 'wrap-object' }
  | { kind: 'stringify' }
  | { kind: 'add-key'; key: string; value: JsonValue }
  | { kind: 'duplicate' };

export interface Mutation {
  /** Child choices from the root, each taken modulo the number of children. */
  route: number[];
  change: Change;
}

export const mutation = (big = true): fc.Arbitrary<Mutation> =>
  fc.record({
    route: fc.array(fc.nat(), { minLength: 0, maxLength: 6 }),
    change: fc.oneof(
      { weight: 3, arbitrary: fc.constant<Change>({ kind: 'delete' }) },
      { weight: 6, arbitrary: replacement(big).map((value): Change => ({ kind: 'replace', value })) },
      { weight: 1, arbitrary: fc.constant<Change>({ kind: 'wrap-array' }) },
      { weight: 1, arbitrary: fc.constant<Change>({ kind: 'wrap-object' }) },
      { weight: 2, arbitrary: fc.constant<Change>({ kind: 'stringify' }) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.oneof(fc.constantFrom(...ODD_KEYS), text(8)), replacement(big))
          .map(([key, value]): Change => ({ kind: 'add-key', key, value })),
      },
      { weight: 1, arbitrary: fc.constant<Change>({ kind: 'duplicate' }) },
    ),
  });

function children(node: JsonValue): Array<string | number> {
  if (Array.isArray(node)) return node.map((_, index) => index);
  if (node !== null && typeof node === 'object') return Object.keys(node);
  return [];
}

function changed(node: JsonValue, change: Change): JsonValue | undefined {
  switch (change.kind) {
    case 'delete':
      return undefined;
    case 'replace':
      return change.value;
    case 'wrap-array':
      return [node];
    case 'wrap-object':
      return { value: node };
    case 'stringify':
      return typeof node === 'string' ? node : JSON.stringify(node);
    case 'add-key':
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
      // defineProperty: a '__proto__' key must become an own key, as JSON.parse makes it.
      return Object.defineProperty({ ...node }, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
    case 'duplicate':
      return Array.isArray(node) ? [...node, ...node] : node;
  }
}

/** `base` with one mutation applied at the node the route leads to (base is not changed). */
export function applyMutation(base: JsonValue, { route, change }: Mutation): JsonValue {
  const root = structuredClone(base);
  const stop = route.length === 0 ? 0 : route[route.length - 1]! % (route.length + 1);
  let parent: JsonValue | undefined;
  let key: string | number | undefined;
  let node = root;
  for (const step of route.slice(0, stop)) {
    const keys = children(node);
    if (keys.length === 0) break;
    key = keys[step % keys.length]!;
    parent = node;
    node = (node as Record<string | number, JsonValue>)[key]!;
  }
  const next = changed(node, change);
  if (parent === undefined || key === undefined) return next === undefined ? {} : next;
  if (Array.isArray(parent)) {
    if (next === undefined) parent.splice(key as number, 1);
    else parent[key as number] = next;
  } else if (next === undefined) {
    delete (parent as JsonObject)[key];
  } else {
    (parent as JsonObject)[key] = next;
  }
  return root;
}

/** A valid description with 0 to 4 mutations. */
export const mutated = (base: fc.Arbitrary<JsonObject>, big = true): fc.Arbitrary<JsonValue> =>
  fc
    .tuple(base, fc.array(mutation(big), { maxLength: 4 }))
    .map(([value, mutations]) => mutations.reduce<JsonValue>((node, m) => applyMutation(node, m), value));

// ---------------------------------------------------------------------------
// argv words and environments

/** What loadFlags would take as the name of `word`, if it is a flag at all. */
export function loadedName(word: string): string | undefined {
  const arg = word.trim();
  if (!arg.startsWith('--') || arg === '--') return undefined;
  const eq = arg.indexOf('=');
  return (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).toLowerCase();
}

export interface WordOptions {
  names: readonly string[];
  /** Allow values past the kernel's argv limit and NUL bytes (in-process runs only). */
  inProcess: boolean;
}

const flagName = ({ names }: WordOptions): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...names) },
    { weight: 2, arbitrary: fc.mixedCase(fc.constantFrom(...names)) },
    { weight: 2, arbitrary: text(12) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'no-no-help', 'no-', 'NO-HELP', '', '=', 'launch-info') },
  );

export const flagValue = (options: WordOptions): fc.Arbitrary<string> => {
  const values: Array<fc.WeightedArbitrary<string>> = [
    { weight: 4, arbitrary: fc.constantFrom(...EDGE_VALUES) },
    { weight: 3, arbitrary: text(24) },
    { weight: 2, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.bigInt().map(String) },
    { weight: 2, arbitrary: text(12).map((s) => `file:///nonexistent-fuzz-dir/${s}`) },
    { weight: 2, arbitrary: text(12).map((s) => `/nonexistent-fuzz-dir/${s}`) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 3, arbitrary: launchInfo.map((info) => JSON.stringify(info)) },
    { weight: 3, arbitrary: mutated(launchInfo, false).map((info) => JSON.stringify(info)) },
    { weight: 1, arbitrary: fc.array(mutated(commandInfo, false), { maxLength: 3 }).map((list) => JSON.stringify(list)) },
    { weight: 1, arbitrary: fc.integer({ min: 90, max: 130 }).map((depth) => nestedJsonText(depth)) },
  ];
  if (options.inProcess) {
    values.push({ weight: 1, arbitrary: hugeValue });
    values.push({ weight: 1, arbitrary: fc.integer({ min: 1000, max: 200_000 }).map((depth) => nestedJsonText(depth)) });
  }
  const value = fc.oneof(...values);
  return options.inProcess ? value : value.map((s) => s.replace(/\0/g, ''));
};

export const flagWord = (options: WordOptions): fc.Arbitrary<string> => {
  const name = flagName(options);
  const value = flagValue(options);
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(name, value).map(([n, v]) => `--${n}=${v}`) },
    { weight: 2, arbitrary: name.map((n) => `--${n}`) },
    { weight: 2, arbitrary: name.map((n) => `--no-${n}`) },
    { weight: 1, arbitrary: fc.tuple(name, value).map(([n, v]) => `--no-${n}=${v}`) },
    { weight: 1, arbitrary: fc.constant('--') },
    { weight: 1, arbitrary: value },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(' ', '\t', '\n', ''), name, value, fc.constantFrom(' ', '\t', '')).map(
        ([before, n, v, after]) => `${before}--${n}=${v}${after}`,
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom('-', '---', '--=', '--=x', '-x', '--no-', '--no-=1', '-- ', '--no-no-x') },
  );
};

export const argvWords = (options: WordOptions, maxLength = 8): fc.Arbitrary<string[]> =>
  fc.array(flagWord(options), { maxLength });

/** Environment variables: ours (in any case) and others. */
export const environmentMap = (options: WordOptions): fc.Arbitrary<Record<string, string>> =>
  fc.dictionary(
    fc.oneof(
      { weight: 4, arbitrary: flagName(options).map((n) => FLAG_PREFIX + n) },
      { weight: 2, arbitrary: flagName(options).map((n) => FLAG_PREFIX + n.toUpperCase()) },
      { weight: 1, arbitrary: fc.constantFrom('MESOS_CONTAINERIZER', 'MESOS_CONTAINERIZER_', 'PATH_FUZZ', 'mesos_containerizer_launch_info') },
    ),
    flagValue(options),
    { maxKeys: 5 },
  );

// ---------------------------------------------------------------------------
// The in-process properties, shared by test/fuzz.test.ts and bench/fuzz.ts

export interface PropertyRun {
  name: string;
  property: fc.IProperty<never> | fc.IProperty<unknown>;
  runs: number;
  /** The only exceptions it may throw. */
  throws: string;
  /** Cases the predicate actually executed. */
  executed: () => number;
  /** Rejections that were not one line. */
  violations: LineViolations;
}

function typeOk(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return Number.isSafeInteger(value) && (value as number) >= -0x80000000 && (value as number) <= 0x7fffffff;
    case 'bool':
      return typeof value === 'boolean';
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    default:
      return false;
  }
}

/** Fails the property with `reason`, naming the input. */
function fail(reason: string): never {
  throw new Error(reason);
}

/** (a) loadFlags: a typed result or a one-line FlagError, whatever argv and environment hold. */
export function flagLoaderProperty(runs: number): PropertyRun {
  let executed = 0;
  const violations = new LineViolations();
  const options: WordOptions = { names: KNOWN_NAMES, inProcess: true };
  const property = fc.property(
    fc.constantFrom(...Object.keys(FLAG_SETS)),
    argvWords(options),
    environmentMap(options),
    (set, argv, env) => {
      executed++;
      const specs = FLAG_SETS[set]!;
      let flags: Record<string, unknown>;
      try {
        flags = loadFlags(specs, argv, env, FLAG_PREFIX) as Record<string, unknown>;
      } catch (error) {
        const bad = wrongKind(error, FlagError);
        if (bad !== undefined) fail(bad);
        violations.check(error, { set, argv, env });
        return;
      }
      const all: FlagSpecs = { help: { type: 'bool', help: '' }, ...specs };
      for (const [name, value] of Object.entries(flags)) {
        const spec = all[name];
        if (spec === undefined) fail(`loaded a flag that does not exist: ${JSON.stringify(name)}`);
        if (!typeOk(spec.type, value)) fail(`flag ${name} (${spec.type}) loaded as ${JSON.stringify(value)?.slice(0, 200)}`);
      }
    },
  );
  return { name: 'loadFlags on random argv and environment', property, runs, throws: 'FlagError', executed: () => executed, violations };
}

/** (b) parseLaunchInfo on any JSON value: a LaunchInfo or a one-line LaunchInfoError. */
export function launchInfoProperty(name: string, input: fc.Arbitrary<JsonValue>, runs: number): PropertyRun {
  let executed = 0;
  const violations = new LineViolations();
  const property = fc.property(input, (json) => {
    executed++;
    try {
      const info = parseLaunchInfo(json);
      if (typeof info.command.value !== 'string') fail('accepted a launch info without a command value');
    } catch (error) {
      const bad = wrongKind(error, LaunchInfoError);
      if (bad !== undefined) fail(bad);
      violations.check(error, json);
    }
  });
  return { name, property, runs, throws: 'LaunchInfoError', executed: () => executed, violations };
}

/** (b) parseCommandInfo on any JSON value. */
export function commandInfoProperty(name: string, input: fc.Arbitrary<JsonValue>, runs: number): PropertyRun {
  let executed = 0;
  const violations = new LineViolations();
  const property = fc.property(input, fc.constantFrom('command', 'pre_exec_commands[0]'), (json, root) => {
    executed++;
    try {
      parseCommandInfo(json, root);
    } catch (error) {
      const bad = wrongKind(error, LaunchInfoError);
      if (bad !== undefined) fail(bad);
      violations.check(error, { json, root });
    }
  });
  return { name, property, runs, throws: 'LaunchInfoError', executed: () => executed, violations };
}

/** Flags for buildPlan as the loader could hand them (JSON flags are objects and arrays). */
const planFlags = fc
  .record(
    {
      launch_info: mutated(launchInfo),
      command: mutated(commandInfo),
      pre_exec_commands: fc.array(fc.oneof(mutated(commandInfo), replacement(false)), { maxLength: 3 }),
      pipe_read: fc.integer({ min: -2, max: 1000 }),
      pipe_write: fc.integer({ min: -2, max: 1000 }),
      runtime_directory: fc.oneof(path, fc.constantFrom('/', '//', '/run/x///')),
      namespace_mnt_target: fc.integer(),
      unshare_namespace_mnt: fc.boolean(),
      tty_slave_path: path,
      working_directory: path,
      rootfs: path,
      user: fc.constantFrom('root', 'nobody'),
    },
    { requiredKeys: ['unshare_namespace_mnt'] },
  )
  .map((flags) => {
    const result: Record<string, unknown> = { help: false, ...flags };
    // The loader only ever hands over an object for an object flag.
    for (const key of ['launch_info', 'command'] as const) {
      const value = result[key];
      if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) delete result[key];
    }
    return result as LaunchFlags;
  });

/** (b) buildPlan on flags as the loader could hand them: a plan or a one-line PlanError. */
export function planProperty(runs: number): PropertyRun {
  let executed = 0;
  const violations = new LineViolations();
  const property = fc.property(planFlags, (flags) => {
    executed++;
    try {
      const plan = buildPlan(flags);
      if (typeof plan.command.value !== 'string') fail('planned a command without a value');
    } catch (error) {
      const bad = wrongKind(error, PlanError);
      if (bad !== undefined) fail(bad);
      violations.check(error, flags);
    }
  });
  return { name: 'buildPlan on mutated flags', property, runs, throws: 'PlanError', executed: () => executed, violations };
}

/** (a)+(b) the pipeline launch runs: loadFlags on argv words, then buildPlan. */
export function pipelineProperty(runs: number): PropertyRun {
  let executed = 0;
  const violations = new LineViolations();
  const options: WordOptions = { names: LAUNCH_NAMES, inProcess: true };
  const property = fc.property(
    fc.oneof(
      mutated(launchInfo).map((info) => [`--launch_info=${JSON.stringify(info)}`]),
      fc
        .tuple(mutated(commandInfo), fc.array(mutated(commandInfo), { maxLength: 2 }))
        .map(([command, pre]) => [`--command=${JSON.stringify(command)}`, `--pre_exec_commands=${JSON.stringify(pre)}`]),
    ),
    argvWords(options, 4),
    environmentMap(options),
    (words, extra, env) => {
      executed++;
      let flags: LaunchFlags;
      try {
        flags = loadFlags(launchFlags, [...words, ...extra], env, FLAG_PREFIX);
      } catch (error) {
        const bad = wrongKind(error, FlagError);
        if (bad !== undefined) fail(bad);
        violations.check(error, { argv: [...words, ...extra], env });
        return;
      }
      try {
        buildPlan(flags);
      } catch (error) {
        const bad = wrongKind(error, PlanError);
        if (bad !== undefined) fail(bad);
        violations.check(error, { argv: [...words, ...extra], env });
      }
    },
  );
  return { name: 'loadFlags then buildPlan', property, runs, throws: 'FlagError or PlanError', executed: () => executed, violations };
}

/** Every in-process property, with run counts scaled by `scale` (1 = the CI run). */
export function inProcessProperties(scale = 1): PropertyRun[] {
  const n = (runs: number) => Math.max(1, Math.round(runs * scale));
  const anyJson = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>;
  const anyObject = fc.object({ maxDepth: 3, key: fc.oneof(fc.constantFrom(...Object.keys(launchFlags), 'command', 'value', 'shell', 'mounts', 'rlimits', 'file_operations'), fc.string()) }) as unknown as fc.Arbitrary<JsonValue>;
  return [
    flagLoaderProperty(n(4000)),
    launchInfoProperty('parseLaunchInfo on random JSON', fc.oneof(anyJson, anyObject), n(1000)),
    launchInfoProperty('parseLaunchInfo on mutated launch infos', mutated(launchInfo), n(2500)),
    commandInfoProperty('parseCommandInfo on random JSON and mutated commands', fc.oneof(anyJson, mutated(commandInfo)), n(1000)),
    planProperty(n(1500)),
    pipelineProperty(n(1000)),
  ];
}

/** A failed fast-check run as one printable line: the input, the seed and what went wrong. */
export function failureReport<T>(result: fc.RunDetails<T>): string {
  const error = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance ?? '');
  return printable(`${fc.defaultReportMessage(result) ?? 'failed'} -- ${error}`);
}

// ---------------------------------------------------------------------------
// Processes

/** Runs `jobs` with at most `width` at a time; results in order. */
export async function pool<T, R>(items: readonly T[], width: number, job: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/**
 * The control pipe as an agent holds it: a FIFO (a pipe with a name) whose
 * read and write ends go to the helper as fds 3 and 4, while `agent` (the
 * test's end, O_RDWR and close-on-exec) is what the agent writes the byte
 * to. Close the child ends in the parent once the helper is spawned
 * (`release`), then `send` a byte or `hangUp`.
 */
export class ControlPipe {
  readonly readEnd: number;
  readonly writeEnd: number;
  private agent: number | undefined;
  private released = false;

  constructor(readonly fifo: string) {
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    // O_RDWR first: opening either end alone would wait for the other.
    this.agent = openSync(fifo, 'r+');
    this.readEnd = openSync(fifo, 'r');
    this.writeEnd = openSync(fifo, 'w');
  }

  /** The helper has its copies: drop ours (the agent keeps only its own end). */
  release(): void {
    if (this.released) return;
    this.released = true;
    closeSync(this.readEnd);
    closeSync(this.writeEnd);
  }

  /** The agent's go-ahead: one byte, then the agent's end is closed. */
  send(): void {
    if (this.agent === undefined) throw new Error('the agent end is closed already');
    writeSync(this.agent, 'x');
    this.hangUp();
  }

  /** The agent goes away without a byte. */
  hangUp(): void {
    if (this.agent !== undefined) closeSync(this.agent);
    this.agent = undefined;
  }

  close(): void {
    this.release();
    this.hangUp();
  }
}

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Resolves when `child` exits (not when its pipes close: a leftover
 * grandchild may hold them), with what it wrote until a short grace period
 * after exit.
 */
export function exited(child: ChildProcess, graceMs = 50): Promise<Exited> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        resolve({ code, signal, stdout, stderr });
      };
      let open = [child.stdout, child.stderr].filter((stream) => stream !== null && !stream.readableEnded).length;
      if (open === 0) return finish();
      for (const stream of [child.stdout, child.stderr]) stream?.once('end', () => --open === 0 && finish());
      setTimeout(finish, graceMs);
    });
  });
}

/** The status file's text, or undefined when there is none. */
export function readStatus(runtimeDirectory: string): string | undefined {
  try {
    return readFileSync(join(runtimeDirectory, 'status'), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The environment for a helper run by a test: the caller's, minus any
 * MESOS_CONTAINERIZER_* and minus what tap adds for its own bookkeeping
 * (NODE_OPTIONS loads tap's process tracker into every node it starts,
 * which an agent's helper would not have).
 */
export function helperEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('MESOS_CONTAINERIZER_') || key === 'NODE_OPTIONS' || key.startsWith('_TAPJS_') || key.startsWith('TAP')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * A prefix for every program a test starts that runs node: tap's process
 * tracker puts itself back into NODE_OPTIONS of whatever a test spawns, and
 * `env -u` (which execs, keeping the pid) takes it out again.
 */
export const WITHOUT_TAP = ['env', '-u', 'NODE_OPTIONS'];

/** Starts `bin/mesos-containerizer` (run by this node, so PATH plays no part) with `args`. */
export function spawnContainerizer(
  containerizer: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; stdio?: Array<'ignore' | 'pipe' | 'inherit' | number>; cwd?: string; prefix?: readonly string[] },
): ChildProcess {
  const stdio = options.stdio ?? ['ignore', 'pipe', 'pipe'];
  const [file, ...rest] = [...WITHOUT_TAP, ...(options.prefix ?? []), process.execPath, containerizer];
  return spawn(file!, [...rest, ...args], { env: options.env, stdio, cwd: options.cwd });
}

/** stdout + stderr for a failure message. */
export function describe(result: Exited): string {
  return JSON.stringify({ code: result.code, signal: result.signal, stdout: result.stdout.slice(0, 2000), stderr: result.stderr.slice(0, 2000) });
}

// ---------------------------------------------------------------------------
// (c) whole-process runs

export interface ProcessCase {
  words: string[];
  env: Record<string, string>;
}

/** Words and environments for a whole `launch`: never `help` (that prints usage and exits 0). */
export const processCase: fc.Arbitrary<ProcessCase> = (() => {
  const options: WordOptions = { names: LAUNCH_NAMES, inProcess: false };
  const notHelp = (word: string) => loadedName(word) !== 'help';
  const launchWord = fc.oneof(
    { weight: 3, arbitrary: mutated(launchInfo, false).map((info) => `--launch_info=${JSON.stringify(info)}`) },
    { weight: 2, arbitrary: launchInfo.map((info) => `--launch_info=${JSON.stringify(info)}`) },
    { weight: 1, arbitrary: mutated(commandInfo, false).map((command) => `--command=${JSON.stringify(command)}`) },
    {
      weight: 1,
      arbitrary: fc.array(fc.oneof(mutated(commandInfo, false), replacement(false)), { maxLength: 3 }).map((list) => `--pre_exec_commands=${JSON.stringify(list)}`),
    },
    { weight: 2, arbitrary: flagWord(options) },
  );
  return fc.record({
    // The kernel takes no NUL inside an argument.
    words: fc
      .array(launchWord, { minLength: 1, maxLength: 5 })
      .map((words) => words.map((word) => word.replace(/\0/g, '')).filter(notHelp)),
    env: environmentMap(options).map((env) => {
      const kept: Record<string, string> = {};
      for (const [key, value] of Object.entries(env)) {
        if (key.includes('\0') || key.includes('=') || key === '') continue;
        if (key.slice(FLAG_PREFIX.length).toLowerCase() === 'help') continue;
        kept[key] = value.replace(/\0/g, '');
      }
      return kept;
    }),
  });
})();

/**
 * What a whole-process run must look like: exit 1, nothing on stdout,
 * exactly one line on stderr and no stack trace, status "256". Returns the
 * reason it does not, or undefined.
 */
export function badProcessOutcome(result: Exited, status: string | undefined): string | undefined {
  const lines = result.stderr.split('\n');
  if (result.code !== 1) return `exit code ${result.code} (signal ${result.signal})`;
  if (result.stdout !== '') return 'wrote to stdout';
  if (lines.length !== 2 || lines[1] !== '' || lines[0] === '') return `stderr is not exactly one line`;
  if (lines.some((line) => line.startsWith('    at '))) return 'stderr holds a stack trace';
  if (status !== '256') return `status file holds ${JSON.stringify(status)}`;
  return undefined;
}

/** Whether the case names stdout (fd 1) as launch's --exec_notify_fd, by a word or a variable. */
function notifiesOnStdout(testCase: ProcessCase): boolean {
  const flag = '--exec_notify_fd=';
  const values = testCase.words.filter((word) => word.startsWith(flag)).map((word) => word.slice(flag.length));
  for (const [key, value] of Object.entries(testCase.env)) {
    if (key.startsWith(FLAG_PREFIX) && key.slice(FLAG_PREFIX.length).toLowerCase() === 'exec_notify_fd') values.push(value);
  }
  return values.some((value) => value.trim() !== '' && Number(value) === 1);
}

/**
 * Runs `launch` with `--runtime_directory`, and a control pipe the agent
 * closed before the helper started, then the fuzzed words: a valid input
 * can get no further than "Failed to synchronize with agent", so nothing
 * ever runs. Our flags come first, so a fuzzed `--` can't hide them and a
 * fuzzed duplicate is an error.
 */
export async function runProcessCase(containerizer: string, testCase: ProcessCase, baseEnv: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dir = tempDir('mc-fuzz-');
  try {
    const pipe = new ControlPipe(join(dir.path, 'control'));
    let child: ChildProcess;
    try {
      child = spawnContainerizer(
        containerizer,
        ['launch', `--runtime_directory=${dir.path}`, '--pipe_read=3', '--pipe_write=4', ...testCase.words],
        { env: { ...baseEnv, ...testCase.env }, stdio: ['ignore', 'pipe', 'pipe', pipe.readEnd, pipe.writeEnd] },
      );
    } finally {
      // The agent is gone before the helper even starts.
      pipe.close();
    }
    const timer = setTimeout(() => killQuietly(child.pid), 20_000);
    const result = await exited(child).finally(() => clearTimeout(timer));
    // A launch told to report on stdout does so: "F", it failed before the exec.
    const stdout = result.stdout === 'F' && notifiesOnStdout(testCase) ? '' : result.stdout;
    const bad = badProcessOutcome({ ...result, stdout }, readStatus(dir.path));
    return bad === undefined ? undefined : `${bad}: ${describe(result)}`;
  } finally {
    dir.cleanup();
  }
}
