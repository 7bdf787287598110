import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FlagError, flagsUsage, loadFlags, MAX_FLAG_FILE_BYTES, MAX_JSON_DEPTH } from '../src/subcommand/flags';
import { testDir } from './helpers/process';

const specs = {
  name: { type: 'string', help: 'A name.' },
  count: { type: 'int', help: 'A count.', default: 3 },
  verbose: { type: 'bool', help: 'Talk more.', default: false },
  info: { type: 'object', help: 'An object.' },
  list: { type: 'array', help: 'An array.' },
} as const;

const PREFIX = 'TEST_';
const load = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadFlags(specs, argv, env, PREFIX);
const failure = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    load(argv, env);
  } catch (error) {
    if (error instanceof FlagError) return error.message;
    throw error;
  }
  throw new Error('expected the flags to be refused');
};

t.test('--name=value and typed values', async (t) => {
  const flags = load(['--name=x=y', '--count=42', '--info={"a":1}', '--list=[1,"b"]']);
  t.equal(flags.name, 'x=y', 'only the first = splits');
  t.equal(flags.count, 42);
  t.same(flags.info, { a: 1 });
  t.same(flags.list, [1, 'b']);
  t.equal(flags.verbose, false, 'defaults fill what is not given');
  t.equal(flags.help, false, 'every flag set has --help');
  t.equal(load(['--count=0x10']).count, 16, 'hexadecimal integers');
  t.equal(load(['--count=-7']).count, -7);
});

t.test('booleans: bare, --no-, and true/false/1/0', async (t) => {
  t.equal(load(['--verbose']).verbose, true);
  t.equal(load(['--no-verbose']).verbose, false);
  t.equal(load(['--verbose=']).verbose, true, 'an empty value is a bare flag');
  for (const [text, value] of [['true', true], ['1', true], ['false', false], ['0', false]] as const) {
    t.equal(load([`--verbose=${text}`]).verbose, value, text);
  }
  t.equal(
    failure(['--verbose=yes']),
    "Failed to load flag 'verbose': Failed to load value 'yes': Expecting a boolean (e.g., true or false)",
  );
  t.equal(failure(['--no-verbose=true']), "Failed to load boolean flag 'verbose' via 'no-verbose' with value 'true'");
});

t.test('names are lower-cased; other words are skipped; -- ends the flags', async (t) => {
  t.equal(load(['--NAME=a']).name, 'a');
  t.equal(load(['word', '-x', '--name=a', 'more']).name, 'a');
  const flags = load(['--name=a', '--', '--count=9', '--bogus']);
  t.equal(flags.count, 3, 'nothing after -- is a flag');
  t.equal(load(['  --name=a  ']).name, 'a', 'words are trimmed');
});

t.test("stout's error messages", async (t) => {
  t.equal(failure(['--bogus']), "Failed to load unknown flag 'bogus'");
  t.equal(failure(['--no-bogus']), "Failed to load unknown flag 'bogus' via 'no-bogus'");
  t.equal(failure(['--no-name']), "Failed to load non-boolean flag 'name' via 'no-name'");
  t.equal(failure(['--name']), "Failed to load non-boolean flag 'name': Missing value");
  t.equal(failure(['--count=abc']), "Failed to load flag 'count': Failed to load value 'abc': Failed to convert 'abc' to number");
  t.equal(failure(['--count=1.5']), "Failed to load flag 'count': Failed to load value '1.5': Failed to convert '1.5' to number");
  t.equal(
    failure(['--count=99999999999']),
    "Failed to load flag 'count': Failed to load value '99999999999': Failed to convert '99999999999' to number",
  );
  t.match(failure(['--info={']), /^Failed to load flag 'info': Failed to load value '\{': Failed to parse JSON: /);
  t.equal(failure(['--info=[1]']), "Failed to load flag 'info': Failed to load value '[1]': Expecting a JSON object");
  t.equal(failure(['--list={}']), "Failed to load flag 'list': Failed to load value '{}': Expecting a JSON array");
});

t.test('a flag given twice: stout names the flag and the name it was loaded via', async (t) => {
  const twice = (flag: string) => `Flag '${flag}' is already loaded via name '${flag}'`;
  t.equal(failure(['--name=a', '--name=b']), twice('name'), '--x=1 --x=2');
  t.equal(failure(['--name=a', '--name=a']), twice('name'), 'even with the same value');
  t.equal(failure(['--verbose', '--no-verbose']), twice('verbose'), '--x --no-x');
  t.equal(failure(['--no-verbose', '--verbose']), twice('verbose'), '--no-x --x');
  t.equal(failure(['--verbose=1', '--verbose=true']), twice('verbose'), '--x=1 --x=true');
  t.equal(failure(['--help', '--no-help']), twice('help'), "'help' sorts before 'no-help'");
  t.equal(failure(['--NAME=a', '--name=b']), twice('name'), 'names are compared lower-cased');
  t.equal(failure(['--name=a', '--no-name']), twice('name'), 'a repeat is caught before the non-boolean check');
  t.equal(failure(['--zzz', '--name=a', '--name=b']), twice('name'), 'in the order of the names, before a later unknown one');
  t.equal(failure(['--bogus', '--bogus']), "Failed to load unknown flag 'bogus'", 'an unknown flag is unknown first');
  t.equal(
    failure(['--count=abc', '--count=1']),
    "Failed to load flag 'count': Failed to load value 'abc': Failed to convert 'abc' to number",
    'the first value is loaded (and refused) before the repeat is seen',
  );
  t.equal(failure(['--count=1', '--count=abc']), twice('count'), 'a bad second value is never parsed');
  t.equal(failure(['--name', '--name=a']), "Failed to load non-boolean flag 'name': Missing value");
  t.equal(load(['--name=a', '--', '--name=b']).name, 'a', 'nothing after -- is a repeat');
});

t.test('the environment fills only names the command line lacks (--no-x and x are two names)', async (t) => {
  t.equal(load(['--name=cli'], { TEST_NAME: 'env' }).name, 'cli', 'the same name in both: the command line wins');
  t.equal(load(['--verbose'], { TEST_VERBOSE: 'false' }).verbose, true);
  t.equal(load(['--no-verbose'], { TEST_NO_VERBOSE: 'x' }).verbose, false, 'an unknown variable (no_verbose) is ignored');
  // stout compares names as given: --no-x and a variable for x are two.
  t.equal(failure(['--no-verbose'], { TEST_VERBOSE: 'true' }), "Flag 'verbose' is already loaded via name 'verbose'");
  t.equal(failure(['--verbose'], { 'TEST_no-verbose': '' }), "Flag 'verbose' is already loaded via name 'verbose'");
  t.equal(load([], { TEST_NAME: 'upper', TEST_name: 'lower' }).name, 'lower', 'of two variables, the later in byte order');
  t.equal(load([], { TEST_name: 'lower', TEST_NAME: 'upper' }).name, 'lower', 'whatever order they come in');
});

t.test('errors come in the order of the names, as stout walks its map', async (t) => {
  t.equal(failure(['--zzz', '--aaa']), "Failed to load unknown flag 'aaa'");
});

t.test('error lines quote at most a bounded, single-line part of a value', async (t) => {
  const message = failure([`--info={"a":\n${'x'.repeat(10_000)}`]);
  t.notMatch(message, /\n/);
  t.ok(message.length < 400, `message is ${message.length} characters`);
});

t.test('JSON nested deeper than the bound is refused', async (t) => {
  const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
  t.match(failure([`--list=${deep}`]), /nested deeper than 100 levels/);
  const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
  t.ok(Array.isArray(load([`--list=${ok}`]).list));
  const huge = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
  t.match(failure([`--list=${huge}`]), /^Failed to load flag 'list': .*(JSON)/);
});

t.test('the environment fills flags, the command line wins', async (t) => {
  t.equal(load([], { TEST_NAME: 'env' }).name, 'env');
  t.equal(load([], { TEST_name: 'lower' }).name, 'lower', 'PREFIX_name works too');
  t.equal(load(['--name=cli'], { TEST_NAME: 'env' }).name, 'cli');
  t.equal(load([], { TEST_VERBOSE: 'true' }).verbose, true);
  t.equal(load([], { TEST_UNKNOWN: 'x', OTHER_NAME: 'y' }).name, undefined, 'unknown and unprefixed names are ignored');
  t.equal(load([], { test_NAME: 'x' }).name, undefined, 'the prefix itself is case-sensitive');
  t.equal(failure([], { TEST_COUNT: 'many' }), "Failed to load flag 'count': Failed to load value 'many': Failed to convert 'many' to number");
});

t.test('file:// values and JSON from an absolute path', async (t) => {
  const dir = testDir(t, 'flags-');
  writeFileSync(join(dir, 'name'), 'from-file');
  writeFileSync(join(dir, 'info.json'), '{"from": "file"}');
  writeFileSync(join(dir, 'count'), '17');
  t.equal(load([`--name=file://${dir}/name`]).name, 'from-file');
  t.equal(load([`--count=file://${dir}/count`]).count, 17);
  t.same(load([`--info=file://${dir}/info.json`]).info, { from: 'file' });
  t.same(load([`--info=${dir}/info.json`]).info, { from: 'file' }, 'an absolute path for a JSON flag');
  t.equal(load([`--name=${dir}/name`]).name, `${dir}/name`, 'a string flag keeps a path as it is');
  t.equal(
    failure([`--name=file://${dir}/missing`]),
    `Failed to load flag 'name': Failed to load value 'file://${dir}/missing': Error reading file '${dir}/missing': No such file or directory`,
  );
});

t.test("a flag's file is read with a bound, and only if it is a regular file", async (t) => {
  const dir = testDir(t, 'flags-');
  const refusal = (path: string, reason: string, form = `file://${path}`) =>
    `Failed to load flag 'info': Failed to load value '${form}': Error reading file '${path}': ${reason}`;
  const json = '{"at":"bound"}';
  writeFileSync(join(dir, 'at-bound.json'), json + ' '.repeat(MAX_FLAG_FILE_BYTES - json.length));
  t.same(load([`--info=file://${dir}/at-bound.json`]).info, { at: 'bound' }, `${MAX_FLAG_FILE_BYTES} bytes are read`);
  writeFileSync(join(dir, 'over.json'), json + ' '.repeat(MAX_FLAG_FILE_BYTES + 1 - json.length));
  t.equal(failure([`--info=file://${dir}/over.json`]), refusal(`${dir}/over.json`, 'File is larger than 16 MiB'), 'one byte more is not');
  t.equal(
    failure([`--info=${dir}/over.json`]),
    refusal(`${dir}/over.json`, 'File is larger than 16 MiB', `${dir}/over.json`),
    "so for a JSON flag's absolute path",
  );
  t.equal(failure(['--info=file:///dev/zero']), refusal('/dev/zero', 'Not a regular file'), '/dev/zero');
  t.equal(failure(['--info=/dev/zero']), refusal('/dev/zero', 'Not a regular file', '/dev/zero'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  t.equal(failure([`--info=file://${dir}/fifo`]), refusal(`${dir}/fifo`, 'Not a regular file'), 'a FIFO nobody writes');
  mkdirSync(join(dir, 'directory'));
  t.equal(failure([`--info=file://${dir}/directory`]), refusal(`${dir}/directory`, 'Is a directory'), "a directory, in stout's words");
  t.equal(
    load(['--name=file:///proc/self/comm']).name,
    readFileSync('/proc/self/comm', 'utf8'),
    'a /proc file, whose size says 0, is read to its end',
  );
});

t.test('usage lists each flag with its help text and default', async (t) => {
  const text = flagsUsage({
    ...specs,
    multi: { type: 'string', help: 'First line\nsecond line' },
  });
  t.equal(
    text,
    [
      '  --count=VALUE      A count. (default: 3)',
      '  --[no-]help        Prints this help message (default: false)',
      '  --info=VALUE       An object.',
      '  --list=VALUE       An array.',
      '  --multi=VALUE      First line',
      '                     second line',
      '  --name=VALUE       A name.',
      '  --[no-]verbose     Talk more. (default: false)',
      '',
    ].join('\n'),
  );
});
