// bin/mesos-local in a child process, as root: the URL line when ready,
// /master/health, a task through the scheduler API; SIGTERM with a task
// still running kills it, leaves no runtime directory in the work directory
// given and exits 0 within 10 s; flag errors and a port in use in one line
// with exit status 1; --num_slaves=2 gives two agents; without --work_dir,
// SIGINT removes the directory it made. Run `npm run build` first.
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { agentCgroups, cgroupsRootFor } from '../src/agent/work-dir';
import { freePort, launch, nextOffer, portIsFree, processesUnder, ROOT_FRAMEWORK, updatesUntil } from './helpers/local-cluster';
import { request, subscribed } from './helpers/master';
import { exitWithin, LOCAL, localEnv, startLocal } from './helpers/mesos-local';
import { testDir } from './helpers/process';
import { isRoot, run } from './helpers/run';

const rootOnly = { skip: !isRoot && 'needs root (namespaces, mounts and cgroups)' };

t.test('--help: the flags, and where --ip differs from Mesos', async (t) => {
  const result = run(LOCAL, ['--help'], { env: localEnv() });
  t.equal(result.code, 0);
  t.match(result.stdout, /^Usage: mesos-local \[options\]\n/);
  for (const flag of ['--ip=VALUE', '--port=VALUE', '--work_dir=VALUE', '--num_slaves=VALUE', 'MESOS_RESOURCES']) t.match(result.stdout, flag);
  t.match(result.stdout, "Mesos's default is the\n");
  t.match(result.stdout, '(default: 127.0.0.1)');
  t.equal(result.stderr, '');
  t.equal(run(LOCAL, ['--bogus', '--help'], { env: localEnv() }).code, 0, '--help wins over a bad flag');
});

t.test('flag errors and a port in use: one line, exit 1, nothing on stdout', rootOnly, async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const taken = (server.address() as { port: number }).port;
  const temp = testDir(t, 'local-tmp-');
  const cases: Array<[string[], Record<string, string>, string]> = [
    [['--bogus'], {}, "Failed to load unknown flag 'bogus'"],
    [['--port=abc'], {}, "Failed to load flag 'port': Failed to load value 'abc': Failed to convert 'abc' to number"],
    [['--port=70000'], {}, "Failed to load flag 'port': Failed to load value '70000': Failed to convert '70000' to number"],
    [['--num_slaves=-1'], {}, "Failed to load flag 'num_slaves': Failed to load value '-1': Expecting 0 or more agents"],
    [['--work_dir'], {}, "Failed to load non-boolean flag 'work_dir': Missing value"],
    [['--port=0'], { MESOS_NUM_SLAVES: 'x' }, "Failed to load flag 'num_slaves': Failed to load value 'x': Failed to convert 'x' to number"],
    [['--ip=localhost', '--port=0'], {}, "Failed to initialize: 'localhost' is not an IPv4 address"],
    [[`--port=${taken}`], {}, `Failed to initialize: Failed to bind on 127.0.0.1:${taken}: Address already in use`],
    [['--port=0'], { MESOS_RESOURCES: 'cpus:x' }, 'Failed to start agent 0: Failed to parse resource cpus value x error Bad type for resource cpus value x type TEXT'],
  ];
  for (const [args, extra, message] of cases) {
    const result = run(LOCAL, args, { env: localEnv({ TMPDIR: temp, ...extra }) });
    t.equal(result.stderr, `${message}\n`, [...Object.entries(extra).map(([key, value]) => `${key}=${value}`), ...args].join(' '));
    t.equal(result.code, 1);
    t.equal(result.stdout, '');
  }
  t.same(readdirSync(temp), [], 'nothing left in TMPDIR');
});

t.test('--port=P --work_dir=D: a task through it; SIGTERM kills a running one, leaves no runtime directory, exits 0', rootOnly, async (t) => {
  const workDir = testDir(t, 'local-');
  const port = await freePort();
  const local = await startLocal(t, [`--port=${port}`, `--work_dir=${workDir}`]);
  t.equal(local.line, `Master started at http://127.0.0.1:${port}`);
  t.equal((await request(local.url, { method: 'GET', path: '/master/health' })).status, 200, '/master/health');

  const framework = await subscribed(t, local.url, ROOT_FRAMEWORK, { path: '/api/v1/scheduler' });
  t.equal(framework.status, 200, 'SUBSCRIBE on /api/v1/scheduler');
  t.match(framework.streamId, /^[0-9a-f-]{36}$/, 'a Mesos-Stream-Id');
  t.ok(framework.frameworkId, 'SUBSCRIBED');

  await launch(local.url, framework, await nextOffer(framework), 'hello', 'echo hello');
  const statuses = await updatesUntil(local.url, framework, 'hello', 'TASK_FINISHED');
  t.same(statuses.map((status) => status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  t.equal(statuses[2]!.message, 'Command exited with status 0');

  await launch(local.url, framework, await nextOffer(framework), 'sleeper', 'sleep 1000');
  await updatesUntil(local.url, framework, 'sleeper', 'TASK_RUNNING');
  const working = processesUnder(workDir);
  t.ok(working.length > 0, "the running task's processes work in its sandbox");
  t.ok(readdirSync(join(workDir, 'agents/0/run')).length > 0, 'with a runtime directory');
  const agentCgroupPaths = agentCgroups(cgroupsRootFor(join(workDir, 'agents/0/work')));
  t.ok(agentCgroupPaths.some((path) => existsSync(path)), "and cgroups under the agent's");

  local.child.kill('SIGTERM');
  const result = await exitWithin(local, 10_000);
  t.equal(result.code, 0, 'exit 0');
  t.equal(result.stdout, `${local.line}\n`, 'the URL line was all of stdout');
  t.equal(result.stderr, '');
  t.ok(working.every((pid) => !existsSync(`/proc/${pid}`)), 'the task is killed');
  t.same(processesUnder(workDir), []);
  t.ok(agentCgroupPaths.every((path) => !existsSync(path)), "the agent's cgroups are gone, and the containers' in them");
  t.same(readdirSync(join(workDir, 'agents/0/run')), [], 'no runtime directory is left');
  t.ok(existsSync(join(workDir, 'agents/0/work/slaves')), 'the work directory given stays, with its sandboxes');
  await framework.done;
  t.ok(await portIsFree(port), 'the port is released');
});

t.test('--num_slaves=2: two agents in /master/state; SIGINT removes the work directory it made', rootOnly, async (t) => {
  const temp = testDir(t, 'local-tmp-');
  const local = await startLocal(t, ['--port=0', '--num_slaves=2'], localEnv({ TMPDIR: temp, MESOS_RESOURCES: 'cpus:1;mem:128' }));
  t.match(local.line, /^Master started at http:\/\/127\.0\.0\.1:\d+$/);
  const state = JSON.parse((await request(local.url, { method: 'GET', path: '/master/state' })).body);
  t.equal(state.slaves.length, 2, 'two agents');
  t.same(state.slaves.map((agent: { id: string }) => agent.id), [`${state.id}-S0`, `${state.id}-S1`]);
  t.ok(state.slaves.every((agent: any) => agent.resources.cpus === 1 && agent.resources.mem === 128), 'each with MESOS_RESOURCES');
  const [made] = readdirSync(join(temp, 'mesos/work'));
  t.ok(existsSync(join(temp, 'mesos/work', made!, 'agents/1/work')), 'a fresh work directory under TMPDIR/mesos/work');
  local.child.kill('SIGINT');
  const result = await exitWithin(local, 10_000);
  t.equal(result.code, 0);
  t.equal(result.stderr, '');
  t.same(readdirSync(temp), [], 'removed, with the parents it made');
});
