// The read-only endpoints: /master/health, /version, /master/state (and
// state.json), with Mesos's field names and number forms.
import t from 'tap';
import { addTestAgent, commandTask, frameworkInfo, request, subscribed, testMaster } from './helpers/master';

t.test('/master/health: 200, empty, for any method', async (t) => {
  const master = await testMaster(t);
  for (const method of ['GET', 'POST', 'HEAD']) {
    const reply = await request(master.url, { method, path: '/master/health' });
    t.equal(reply.status, 200, method);
    t.equal(reply.body, '');
  }
});

t.test('/version', async (t) => {
  const master = await testMaster(t);
  const reply = await request(master.url, { method: 'GET', path: '/version' });
  t.equal(reply.status, 200);
  t.equal(reply.headers['content-type'], 'application/json');
  const version = JSON.parse(reply.body);
  t.equal(version.version, '1.12.0');
  t.match(version.build_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  t.match(reply.body, /"build_time":\d+\.0/, 'build_time is a double');
  t.type(version.build_user, 'string');
});

t.test('/master/state: the master, its agents, frameworks, tasks and offers', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const framework = await subscribed(t, master.url, frameworkInfo({ principal: 'p', capabilities: [{ type: 'PARTITION_AWARE' }] }));
  const offer = (await framework.next('OFFERS')).offers!.offers[0]!;
  await framework.call(master.url, {
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('web', agent.link.agentId, 'cpus:1;mem:128;ports:[31000-31001]')] } }],
      filters: { refuse_seconds: 0 },
    },
  });
  await agent.waitFor('runTask');
  await framework.next('OFFERS');
  agent.update(framework.frameworkId, 'web', 'TASK_RUNNING', { container_status: { executor_pid: 7 } });
  await framework.update('web', 'TASK_RUNNING');

  const reply = await request(master.url, { method: 'GET', path: '/master/state' });
  t.equal(reply.status, 200);
  t.equal(reply.headers['content-type'], 'application/json');
  const state = JSON.parse(reply.body);
  t.equal(state.version, '1.12.0');
  t.equal(state.id, master.masterId);
  t.equal(state.pid, `master@127.0.0.1:${master.port}`);
  t.equal(state.hostname, 'localhost');
  t.equal(state.activated_slaves, 1);
  t.equal(state.deactivated_slaves, 0);
  t.same(state.leader_info, { id: master.masterId, pid: state.pid, port: master.port, hostname: 'localhost' });
  t.same(state.completed_frameworks, []);
  t.same(state.orphan_tasks, []);

  const [slave] = state.slaves;
  t.equal(slave.id, agent.link.agentId);
  t.equal(slave.hostname, 'agent.local');
  t.equal(slave.pid, `slave(1)@127.0.0.1:${master.port}`);
  t.same(slave.resources, { cpus: 4, gpus: 0, mem: 4096, disk: 10240, ports: '[31000-32000]' });
  t.same(slave.used_resources, { cpus: 1, gpus: 0, mem: 128, disk: 0, ports: '[31000-31001]' });
  t.same(slave.offered_resources, { cpus: 3, gpus: 0, mem: 3968, disk: 10240, ports: '[31002-32000]' });
  t.equal(slave.active, true);
  t.match(reply.body, /"resources":\{"cpus":4\.0,"gpus":0\.0,"mem":4096\.0,"disk":10240\.0,"ports":"\[31000-32000\]"\}/);

  const [fw] = state.frameworks;
  t.equal(fw.id, framework.frameworkId);
  t.equal(fw.name, 'test framework');
  t.equal(fw.user, 'tester');
  t.equal(fw.principal, 'p');
  t.equal(fw.active, true);
  t.equal(fw.connected, true);
  t.equal(fw.role, '*');
  t.same(fw.capabilities, ['PARTITION_AWARE']);
  t.equal(fw.failover_timeout, 0);
  t.match(reply.body, /"failover_timeout":0\.0/);
  t.same(fw.used_resources, slave.used_resources);
  t.equal(fw.offers.length, 1);
  t.same(Object.keys(fw.offers[0]), ['id', 'framework_id', 'allocation_info', 'slave_id', 'resources']);

  const [task] = fw.tasks;
  t.equal(task.id, 'web');
  t.equal(task.name, 'web');
  t.equal(task.framework_id, framework.frameworkId);
  t.equal(task.slave_id, agent.link.agentId);
  t.equal(task.executor_id, '');
  t.equal(task.state, 'TASK_RUNNING');
  t.equal(task.role, '*');
  t.same(task.resources, { cpus: 1, gpus: 0, mem: 128, disk: 0, ports: '[31000-31001]' });
  t.equal(task.statuses.length, 1);
  t.equal(task.statuses[0].state, 'TASK_RUNNING');
  t.type(task.statuses[0].timestamp, 'number');
  t.same(task.statuses[0].container_status, { executor_pid: 7 });

  const json = await request(master.url, { method: 'GET', path: '/master/state.json' });
  t.same(Object.keys(JSON.parse(json.body)), Object.keys(state), '/master/state.json is the same');
  const jsonp = await request(master.url, { method: 'GET', path: '/master/state?jsonp=show' });
  t.match(jsonp.body, /^show\(\{"version":"1\.12\.0",.*\}\);$/);
});
