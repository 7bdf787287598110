// The package as its users get it, without the network: the tarball of
// `npm pack` (of what the build left; run `npm run build` first) unpacked
// into a fresh project's node_modules, with protobufjs and @types/node
// linked from this repository's. It ships the library, its declarations and
// the programs, and nothing of the tests; a strict consumer type-checks
// against it (CommonJS and ESM, node16 and node10 resolution, and the
// README's examples), with the declarations themselves checked too; and
// plain node, through `require` and through `import`, starts a LocalCluster
// on a free port, runs `echo hello` with runTask and stops the cluster,
// leaving no process, work directory or port behind; and the README's
// examples run as they stand.
import t from 'tap';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { LocalCluster } from '../src/local/cluster';
import { portIsFree, processesUnder } from './helpers/local-cluster';
import { finishedText, tempDir, type Teardown } from './helpers/process';
import { cleanEnv, isRoot, ROOT, type Result } from './helpers/run';

const rootOnly = { skip: !isRoot && 'needs root (namespaces, mounts and cgroups)' };
const NAME = 'mesos-containerizer';

/** Runs `file` and returns its stdout; throws with its stderr unless it exits 0. */
function check(file: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(file, args, { cwd, encoding: 'utf8', env: cleanEnv(), timeout: 120_000 });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${result.status ?? result.signal}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

// The tarball and a project with it installed, once for every test here.
const work = tempDir('package-');
t.teardown(work.cleanup);
const packed = JSON.parse(check('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work.path], ROOT))[0] as {
  filename: string;
  files: Array<{ path: string }>;
};
const project = join(work.path, 'consumer');
const installed = join(project, 'node_modules', NAME);
mkdirSync(installed, { recursive: true });
check('tar', ['-xzf', join(work.path, packed.filename), '--strip-components=1', '-C', installed], work.path);
mkdirSync(join(project, 'node_modules', '@types'));
symlinkSync(join(ROOT, 'node_modules', 'protobufjs'), join(project, 'node_modules', 'protobufjs'));
symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { [NAME]: '*' } }));

t.test('the tarball holds the library, its declarations and the programs, and nothing of the tests', async (t) => {
  const files = packed.files.map((file) => file.path);
  for (const path of ['dist/index.js', 'dist/types/src/index.d.ts', 'dist/types/src/proto/generated/types.d.ts', 'bin/mesos-containerizer', 'dist/mesos-containerizer.js', 'native/build/addon.node', 'native/build/clone', 'native/build/waiter', 'seccomp/default.json']) {
    t.ok(files.includes(path), path);
  }
  t.same(files.filter((path) => /^(test|src|bench|\.ci|\.tap)\//.test(path) || /(?<!\.d)\.ts$/.test(path)), [], 'no test, no source');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  const entry = manifest.exports['.'];
  for (const path of [manifest.main, manifest.types, entry.types, entry.default]) t.ok(existsSync(join(installed, path)), `${path} is there`);
});

// A consumer that uses every part of the surface a framework needs; its
// expected errors (ts-expect-error) fail the check if the types were `any`.
const CONSUMER = `
import {
  CallError, isTerminal, LocalCluster, runTask, Scheduler, SchedulerError,
  type LocalClusterOptions, type Offer, type Resource, type RunTaskOptions, type SchedulerEvents, type TaskInfo, type TaskState, type TaskStatus,
} from '${NAME}';

const cpus = (value: number): Resource => ({ name: 'cpus', type: 'SCALAR', scalar: { value } });
// Ports are ranges of 64-bit integers: bigint, exact whichever content type is on the wire.
const ports: Resource = { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000n, end: 31000n }] } };

export async function framework(master: string): Promise<TaskStatus> {
  const scheduler = new Scheduler({ master, framework: { user: 'root', name: 'typed' }, contentType: 'protobuf' });
  scheduler.on('offers', (offers: Offer[]) => {
    const task: TaskInfo = { name: 't', task_id: { value: 't' }, agent_id: offers[0]!.agent_id, resources: [cpus(0.1), ports], command: { value: 'true' } };
    scheduler.launch([offers[0]!.id], [task]).catch((error: unknown) => {
      if (error instanceof CallError) console.error(error.status, error.body);
    });
  });
  const updates: Array<SchedulerEvents['update'][0]> = [];
  scheduler.on('update', (status) => void updates.push(status));
  scheduler.on('error', (error: SchedulerError) => console.error(error.fatal, error.message));
  const subscribed = await scheduler.start();
  const id: string = subscribed.framework_id.value;
  scheduler.stop();
  return { task_id: { value: id }, state: 'TASK_LOST' };
}

export async function local(): Promise<TaskState> {
  const options: LocalClusterOptions = { ip: '127.0.0.1', port: 0, numAgents: 1, master: { allocationIntervalMs: 100 }, warn: (line) => console.error(line) };
  const cluster = await LocalCluster.start(options);
  try {
    const task: RunTaskOptions['task'] = { name: 'hello', task_id: { value: 'hello' }, resources: [cpus(0.1)], command: { value: 'echo hello' } };
    const run = runTask({ master: cluster.url, task, killAfterMs: 60_000 });
    run.on('status', (status) => console.log(status.state, isTerminal(status.state)));
    const final = await run.done;
    const url: string = cluster.url;
    const workDir: string = cluster.workDir;
    console.log(url, workDir, cluster.agents.length, final.message?.length);
    return final.state;
  } finally {
    await cluster.stop();
  }
}

// @ts-expect-error: a port is a number
LocalCluster.start({ port: '5050' });
// @ts-expect-error: no such state
export const state: TaskState = 'TASK_DONE';
// @ts-expect-error: a range's ends are bigint
export const range: Resource = { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 2 }] } };
// @ts-expect-error: a task needs its id
export const task: TaskInfo = { name: 't', agent_id: { value: 'a' }, resources: [] };
`;

/** The README's examples of the library: its "## The library" section's ts blocks. */
function readmeExamples(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## The library\n');
  const end = readme.indexOf('\n## ', start + 1);
  return [...readme.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

function typeCheck(files: Record<string, string>, options: Record<string, unknown>): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
  const config = {
    compilerOptions: { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2023'], types: ['node'], skipLibCheck: false, ...options },
    files: Object.keys(files),
  };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(config));
  return check(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
}

t.test('a strict consumer type-checks against the declarations', async (t) => {
  const examples = readmeExamples();
  t.equal(examples.length, 2, "the README's two examples");
  const files: Record<string, string> = { 'consumer.cts': CONSUMER, 'consumer.mts': CONSUMER };
  for (const [index, text] of examples.entries()) files[`readme-${index}.mts`] = `${text}\nexport {};\n`;
  t.doesNotThrow(() => typeCheck(files, { module: 'nodenext', moduleResolution: 'nodenext' }), 'node16 resolution (exports), CommonJS and ESM');
  t.doesNotThrow(() => typeCheck({ 'consumer.ts': CONSUMER }, { module: 'commonjs', moduleResolution: 'node10' }), 'node10 resolution (types)');
});

/**
 * Runs the consumer's `file` with plain node, TMPDIR a fresh directory
 * `tmp` and no MESOS_* variable; one that hangs is asked to stop (SIGTERM),
 * then killed.
 */
async function runProgram(t: Teardown, file: string, args: readonly string[], tmp: string): Promise<Result> {
  mkdirSync(tmp);
  const env = Object.fromEntries(Object.entries(cleanEnv({ TMPDIR: tmp })).filter(([key]) => !key.startsWith('MESOS_')));
  const child: ChildProcess = spawn(process.execPath, [file, ...args], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stopTimer = setTimeout(() => child.kill('SIGTERM'), 90_000);
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 105_000);
  t.teardown(() => {
    clearTimeout(stopTimer);
    clearTimeout(killTimer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return finishedText(child);
}

/** The consumer's program: a task on a LocalCluster; its line of JSON tells what happened. */
const PROGRAM = `
const scalar = (name, value) => ({ name, type: 'SCALAR', scalar: { value } });
const cluster = await LocalCluster.start({ ip: '127.0.0.1', port: 0, master: { allocationIntervalMs: 100 } });
process.once('SIGTERM', () => cluster.stop().finally(() => process.exit(143)));
try {
  const states = [];
  const run = runTask({
    master: cluster.url,
    task: { name: 'hello', task_id: { value: 'hello' }, resources: [scalar('cpus', 0.1), scalar('mem', 32)], command: { value: 'echo hello' } },
  });
  let frameworkId;
  run.on('subscribed', (id) => (frameworkId = id));
  run.on('status', (status) => states.push(status.state));
  const final = await run.done;
  const agentId = final.agent_id.value;
  const sandbox = join(cluster.workDir, 'agents/0/work/slaves', agentId, 'frameworks', frameworkId, 'executors/hello/runs', final.container_status.container_id.value);
  const stdout = readFileSync(join(sandbox, 'stdout'), 'utf8');
  console.log(JSON.stringify({ url: cluster.url, workDir: cluster.workDir, states, message: final.message, stdout }));
} finally {
  await cluster.stop();
}
`;
const PROGRAMS = {
  'require (CommonJS)': {
    file: 'program.cjs',
    text: `const { LocalCluster, runTask } = require('${NAME}');\nconst { readFileSync } = require('node:fs');\nconst { join } = require('node:path');\n(async () => {${PROGRAM}})().catch((error) => {\n  console.error(error);\n  process.exitCode = 1;\n});\n`,
  },
  'import (ESM)': {
    file: 'program.mjs',
    text: `import { LocalCluster, runTask } from '${NAME}';\nimport { readFileSync } from 'node:fs';\nimport { join } from 'node:path';\n${PROGRAM}`,
  },
};

for (const [how, program] of Object.entries(PROGRAMS)) {
  t.test(`${how}: a task on a LocalCluster, and nothing left once it stops`, rootOnly, async (t) => {
    writeFileSync(join(project, program.file), program.text);
    // The cluster makes its work directory under TMPDIR: here, one of the test's own.
    const tmp = join(work.path, `tmp-${program.file}`);
    const result = await runProgram(t, program.file, [], tmp);
    t.equal(result.code, 0, `exits 0 ${result.stderr}`);
    t.equal(result.stderr, '', 'says nothing on stderr');
    const report = JSON.parse(result.stdout);
    t.match(report.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    t.same(report.states, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    t.equal(report.message, 'Command exited with status 0');
    t.equal(report.stdout, 'hello\n', "the task's output, in its sandbox");
    t.ok(report.workDir.startsWith(join(tmp, 'mesos', 'work') + '/'), 'the work directory was under TMPDIR');
    t.same(readdirSync(tmp), [], 'the work directory is removed, and the mesos/work it made');
    t.same(processesUnder(report.workDir), [], 'no process works under it');
    t.ok(await portIsFree(Number(new URL(report.url).port)), 'the port is released');
  });
}

t.test("the README's examples run: LocalCluster with runTask, and a framework against a master", rootOnly, async (t) => {
  const [local, framework] = readmeExamples().map((text, index) => {
    const file = `readme-run-${index}.mjs`;
    writeFileSync(join(project, file), transformSync(text, { loader: 'ts', format: 'esm' }).code);
    return file;
  });
  const tmp = join(work.path, 'tmp-readme-0');
  const first = await runProgram(t, local!, [], tmp);
  t.equal(first.code, 0, `exits 0 ${first.stderr}`);
  t.equal(first.stdout, 'TASK_STARTING\nTASK_RUNNING\nTASK_FINISHED\nTASK_FINISHED Command exited with status 0\n');
  t.same(readdirSync(tmp), [], 'nothing left in TMPDIR');

  // A work directory of the test's own, not one under the shared TMPDIR/mesos/work.
  const workDir = join(work.path, 'cluster');
  const cluster = await LocalCluster.start({ port: 0, workDir, env: {}, master: { allocationIntervalMs: 100 }, warn: (line) => t.fail(line) });
  t.teardown(() => cluster.stop());
  const second = await runProgram(t, framework!, [cluster.url], join(work.path, 'tmp-readme-1'));
  t.equal(second.code, 0, `exits 0 ${second.stderr}`);
  t.match(second.stdout, /^Subscribed with ID [0-9a-f-]+-0000\nhello TASK_STARTING \nhello TASK_RUNNING \nhello TASK_FINISHED Command exited with status 0\n$/);
});
