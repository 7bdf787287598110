// The scheduler client keeps its framework through a lost connection to
// our master: the connections cut under it (a proxy between them), the
// master stopped and started again on the same port, and a master that
// isn't there yet when the client starts.
import t from 'tap';
import { startMaster } from '../src/master/index';
import { freePort, Proxy } from './helpers/fake-master';
import { addTestAgent, sleep, testMaster } from './helpers/master';
import { task } from './helpers/scheduler-scenarios';
import { testFramework, testScheduler } from './helpers/scheduler';

// With the default failover timeout of 0 the master removes a framework
// as soon as its stream breaks; these frameworks have a minute to return.
const framework = testFramework({ failover_timeout: 60 });

t.test('connections cut: disconnected, resubscribed as the same framework, updates keep coming', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const proxy = await Proxy.start(t, master.port);
  const { scheduler, events } = testScheduler(t, proxy.address, { framework });
  const { framework_id } = await scheduler.start();
  await events.next('subscribed');
  const [offer] = await events.next('offers');
  await scheduler.launch([offer!.id], [task('c1', offer!)]);
  await agent.waitFor('runTask');
  agent.update(framework_id.value, 'c1', 'TASK_RUNNING');
  await scheduler.acknowledge(await events.next('update'));
  const firstStream = scheduler.streamId;
  t.equal(proxy.connections, 2, 'two connections: the stream and the calls');

  proxy.cut();
  t.match(await events.next('disconnected'), /^(End-Of-File received from master|Subscribe connection interrupted)/);
  const again = await events.next('subscribed', () => true, 2000);
  t.equal(again.framework_id.value, framework_id.value, 'the same framework');
  t.not(scheduler.streamId, firstStream, 'on a new stream');
  t.equal(master.master.frameworks.size, 1);

  const uuid = agent.update(framework_id.value, 'c1', 'TASK_FINISHED');
  const finished = await events.next('update', (s) => s.state === 'TASK_FINISHED');
  t.equal(Buffer.from(finished.uuid!).toString('base64'), uuid);
  await scheduler.acknowledge(finished);
  await agent.waitFor('acknowledge', (c) => c.uuid === uuid);
});

t.test('the master stopped and started on the same port: the client comes back to it', async (t) => {
  const first = await startMaster({ ip: '127.0.0.1', port: 0, hostname: 'localhost', allocationIntervalMs: 50, heartbeatIntervalMs: 200 });
  t.teardown(() => first.stop());
  const { scheduler, events } = testScheduler(t, `http://127.0.0.1:${first.port}`, { framework });
  const { framework_id } = await scheduler.start();
  await events.next('subscribed');
  await first.stop();
  t.ok(await events.next('disconnected'));
  await sleep(300);
  const second = await testMaster(t, { port: first.port });
  const again = await events.next('subscribed', () => true, 3000);
  t.equal(again.framework_id.value, framework_id.value, 'resubscribed with its id; the new master takes it');
  t.equal(again.master_info?.id, second.masterId);
  t.ok(second.master.frameworks.has(framework_id.value));
  addTestAgent(second);
  await events.next('offers');
});

t.test('a master that is not there yet: connection refused, then subscribed soon after it starts', async (t) => {
  const port = await freePort();
  const { scheduler, events } = testScheduler(t, `127.0.0.1:${port}`, { framework });
  const subscribed = scheduler.start();
  await sleep(1500);
  t.equal(scheduler.state === 'CONNECTING' || scheduler.state === 'SUBSCRIBING', true, 'still trying');
  t.equal(events.all('error').length, 0, 'refused connections are no errors');
  t.equal(events.all('disconnected').length, 0, 'nor disconnections: it never was connected');
  const master = await testMaster(t, { port });
  const startedAt = Date.now();
  const { framework_id } = await subscribed;
  const took = Date.now() - startedAt;
  t.ok(took < 1000, `subscribed ${took} ms after the master started`);
  t.equal(framework_id.value, `${master.masterId}-0000`);
});
