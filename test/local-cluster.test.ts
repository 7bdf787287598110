// LocalCluster in this process, as root: a task's whole life through the
// scheduler API over HTTP; stop() with a task still running leaves no
// process, cgroup, runtime directory, stream or port behind; a work
// directory of its own under TMPDIR/mesos/work, removed with the parents it
// made; several agents, each in agents/<i>/; start failures in one line,
// with nothing left.
import t, { type Test } from 'tap';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LocalCluster, type LocalClusterOptions } from '../src/local/cluster';
import { agentCgroups, cgroupsRootFor } from '../src/agent/work-dir';
import { launch, nextOffer, portIsFree, processesUnder, ROOT_FRAMEWORK, updatesUntil } from './helpers/local-cluster';
import { request, subscribed } from './helpers/master';
import { testDir } from './helpers/process';
import { isRoot } from './helpers/run';

const rootOnly = { skip: !isRoot && 'needs root (namespaces, mounts and cgroups)' };

/** A cluster on a free port with a quick allocator, stopped when `t` ends; a warning fails the test. */
async function testCluster(t: Test, options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const cluster = await LocalCluster.start({
    port: 0,
    env: {},
    master: { allocationIntervalMs: 100 },
    warn: (message) => t.fail(`the cluster warned: ${message}`),
    ...options,
  });
  t.teardown(() => cluster.stop());
  return cluster;
}

async function masterState(url: string): Promise<any> {
  return JSON.parse((await request(url, { method: 'GET', path: '/master/state' })).body);
}

t.test("a task's whole life over HTTP; stop() with a task running leaves nothing", rootOnly, async (t) => {
  const workDir = testDir(t, 'local-');
  const cluster = await testCluster(t, { workDir, env: { MESOS_RESOURCES: 'cpus:2;mem:512' } });
  t.match(cluster.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.equal(cluster.workDir, workDir);
  t.equal(cluster.agents.length, 1);
  const agent = cluster.agents[0]!;
  t.equal(agent.agentId, `${cluster.master.masterId}-S0`);
  t.ok(existsSync(join(workDir, 'master')), 'master/');
  t.ok(existsSync(join(workDir, 'agents/0/work/meta/agent.pid')), "the agent's work directory is agents/0/work");
  const port = cluster.master.port;
  t.equal((await request(cluster.url, { method: 'GET', path: '/master/health' })).status, 200);

  const framework = await subscribed(t, cluster.url, ROOT_FRAMEWORK);
  t.equal(framework.status, 200);
  t.match(framework.streamId, /^[0-9a-f-]{36}$/);
  const offer = await nextOffer(framework);
  t.equal(offer.agent_id.value, agent.agentId);
  t.same(
    offer.resources!.slice(0, 2).map((resource) => [resource.name, resource.scalar?.value]),
    [['cpus', 2], ['mem', 512]],
    'the agent offers what MESOS_RESOURCES names',
  );
  t.same(offer.resources!.map((resource) => resource.name), ['cpus', 'mem', 'disk', 'ports'], 'and what it leaves out is probed');

  await launch(cluster.url, framework, offer, 'hello', 'echo hello');
  const statuses = await updatesUntil(cluster.url, framework, 'hello', 'TASK_FINISHED');
  t.same(statuses.map((status) => status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  t.ok(statuses.every((status) => status.source === 'SOURCE_EXECUTOR' && status.agent_id?.value === agent.agentId));
  t.equal(statuses[1]!.message, undefined, 'TASK_RUNNING has no message');
  t.equal(statuses[2]!.message, 'Command exited with status 0', "Mesos's message");
  const containerId = (statuses[2]!.container_status as { container_id: { value: string } }).container_id.value;
  const sandbox = join(workDir, 'agents/0/work/slaves', agent.agentId, 'frameworks', framework.frameworkId, 'executors/hello/runs', containerId);
  t.equal(readFileSync(join(sandbox, 'stdout'), 'utf8'), 'hello\n', "the task's output in its sandbox");
  await agent.taskEnded(framework.frameworkId, 'hello');
  const completed = (await masterState(cluster.url)).frameworks[0].completed_tasks;
  t.match(completed, [{ id: 'hello', state: 'TASK_FINISHED' }], 'the master has it completed once FINISHED is acknowledged');

  // A task still running when the cluster stops.
  await launch(cluster.url, framework, await nextOffer(framework), 'sleeper', 'sleep 1000');
  t.same((await updatesUntil(cluster.url, framework, 'sleeper', 'TASK_RUNNING')).map((status) => status.state), ['TASK_STARTING', 'TASK_RUNNING']);
  const view = agent.taskView(framework.frameworkId, 'sleeper')!;
  t.ok(view.pid !== undefined && existsSync(`/proc/${view.pid}`), 'the container runs');
  t.ok(view.cgroups.length > 0 && view.cgroups.every((path) => existsSync(path)), 'in cgroups of its own');
  t.ok(existsSync(view.runtimeDirectory) && view.runtimeDirectory.startsWith(join(workDir, 'agents/0/run/')), 'with a runtime directory in agents/0/run');
  const agentCgroupPaths = agentCgroups(cgroupsRootFor(join(workDir, 'agents/0/work')));
  t.ok(agentCgroupPaths.some((path) => existsSync(path)), "under the agent's own cgroup");
  t.ok(processesUnder(workDir).length > 0, 'processes work in the sandbox');

  const first = cluster.stop();
  const second = cluster.stop();
  t.equal(first, second, 'a second stop() is the first');
  await first;
  await cluster.stop();
  t.notOk(existsSync(`/proc/${view.pid}`), 'the task is killed');
  t.same(processesUnder(workDir), [], 'no process works under the work directory');
  t.ok(view.cgroups.every((path) => !existsSync(path)), "the container's cgroups are gone");
  t.ok(agentCgroupPaths.every((path) => !existsSync(path)), "and so is the agent's own");
  t.same(readdirSync(join(workDir, 'agents/0/run')), [], 'no runtime directory is left');
  t.notOk(existsSync(join(workDir, 'agents/0/work/meta/agent.pid')), "the agent's lock is released");
  t.ok(existsSync(sandbox), 'a given work directory stays, sandboxes and all, as in Mesos');
  await framework.done;
  t.ok(framework.ended, "the framework's stream is ended");
  t.ok(await portIsFree(port), 'the port is released');
});

t.test('without a work directory: a fresh one under TMPDIR/mesos/work, removed with the parents it made', rootOnly, async (t) => {
  const temp = testDir(t, 'local-tmp-');
  const one = await testCluster(t, { env: { TMPDIR: temp } });
  const two = await testCluster(t, { env: { TMPDIR: temp }, numAgents: 0 });
  const parent = join(temp, 'mesos/work');
  t.match(one.workDir, new RegExp(`^${parent}/local-[^/]+$`));
  t.match(two.workDir, new RegExp(`^${parent}/local-[^/]+$`));
  t.not(one.workDir, two.workDir, 'each cluster has its own');
  t.ok(existsSync(join(one.workDir, 'agents/0/work')));
  t.same(two.agents, [], 'a cluster of a master alone');
  await one.stop();
  t.notOk(existsSync(one.workDir), 'removed when the cluster stops');
  t.ok(existsSync(two.workDir), "another cluster's stays");
  await two.stop();
  t.same(readdirSync(temp), [], 'the parents it made went with the last one');
});

t.test("TMPDIR/mesos or TMPDIR/mesos/work that isn't ours alone is refused: whoever else can write there could swap the fresh directory", rootOnly, async (t) => {
  const temp = testDir(t, 'local-tmp-');
  chmodSync(temp, 0o1777);
  mkdirSync(join(temp, 'mesos/work'), { recursive: true });
  chownSync(join(temp, 'mesos'), 65534, 65534);
  await t.rejects(LocalCluster.start({ port: 0, env: { TMPDIR: temp } }), {
    message: `Failed to create a work directory under '${temp}/mesos/work': '${temp}/mesos' is not ours alone (owner 65534, mode 755): remove it, or give a work directory`,
  });
  chownSync(join(temp, 'mesos'), 0, 0);
  chmodSync(join(temp, 'mesos/work'), 0o777);
  await t.rejects(LocalCluster.start({ port: 0, env: { TMPDIR: temp } }), { message: /'.*\/mesos\/work' is not ours alone \(owner 0, mode 777\)/ });
  t.same(readdirSync(join(temp, 'mesos/work')), [], 'nothing made there');
  chmodSync(join(temp, 'mesos/work'), 0o755);
  const cluster = await testCluster(t, { env: { TMPDIR: temp }, numAgents: 0 });
  t.equal(statSync(cluster.workDir).mode & 0o777, 0o755, "the fresh directory is open to pass through, as Mesos's work dir");
  await cluster.stop();
});

t.test('MESOS_NUM_SLAVES agents, each in agents/<i>/, each registered', rootOnly, async (t) => {
  const workDir = testDir(t, 'local-');
  const cluster = await testCluster(t, { workDir, env: { MESOS_NUM_SLAVES: '2', MESOS_RESOURCES: 'cpus:1;mem:128' } });
  t.same(cluster.agents.map((agent) => agent.agentId), [`${cluster.master.masterId}-S0`, `${cluster.master.masterId}-S1`]);
  for (const index of [0, 1]) t.ok(existsSync(join(workDir, `agents/${index}/work/meta/agent.pid`)), `agents/${index}/work`);
  const state = await masterState(cluster.url);
  t.equal(state.slaves.length, 2);
  t.ok(state.slaves.every((agent: any) => agent.resources.cpus === 1 && agent.resources.mem === 128));
});

t.test('start failures: one line, and nothing left behind', rootOnly, async (t) => {
  const temp = testDir(t, 'local-tmp-');
  const quiet = { env: { TMPDIR: temp }, warn: (message: string) => t.fail(`warned: ${message}`) };

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const taken = (server.address() as { port: number }).port;
  await t.rejects(LocalCluster.start({ ...quiet, port: taken }), {
    message: `Failed to initialize: Failed to bind on 127.0.0.1:${taken}: Address already in use`,
  });
  t.same(readdirSync(temp), [], 'a port in use: no work directory left');

  await t.rejects(LocalCluster.start({ ...quiet, port: 0, env: { TMPDIR: temp, MESOS_RESOURCES: 'cpus:x' } }), {
    message: /^Failed to start agent 0: Failed to parse resource cpus value x/,
  });
  t.same(readdirSync(temp), [], 'an agent that fails to start: the master stopped, the work directory removed');

  await t.rejects(LocalCluster.start({ ...quiet, port: 0, numAgents: 2, env: { TMPDIR: temp, MESOS_CGROUPS_ROOT: 'shared' } }), {
    message: "The cgroups root 'shared' can't be shared by 2 agents: each removes everything under its own",
  });
  await t.rejects(LocalCluster.start({ ...quiet, port: 0, env: { TMPDIR: temp, MESOS_NUM_SLAVES: 'two' } }), {
    message: "Failed to load flag 'num_slaves': Failed to load value 'two': Failed to convert 'two' to number",
  });
  await t.rejects(LocalCluster.start({ ...quiet, ip: 'localhost' }), { message: "Failed to initialize: 'localhost' is not an IPv4 address" });
  t.same(readdirSync(temp), []);

  const workDir = testDir(t, 'local-');
  const running = await testCluster(t, { workDir });
  await t.rejects(LocalCluster.start({ ...quiet, port: 0, workDir }), {
    message: `Failed to start agent 0: The work directory '${join(workDir, 'agents/0/work')}' is in use by the agent with pid ${process.pid}`,
  });
  t.equal((await request(running.url, { method: 'GET', path: '/master/health' })).status, 200, 'the cluster that has it runs on');
});
