// The agent's CNI networks for real, with Debian's bridge, host-local and
// portmap plugins, entirely inside network namespaces each test makes: the
// agent runs in a child process in the test's own "host" namespace, so the
// bridges, veths, iptables rules and address leases are all made there
// (the leases in a temporary directory), and go with it. Tasks use the
// host's static busybox. Run `npm run build` first.
import t, { type Test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOTFS_LABEL } from '../src/agent/task-info';
import { commandTask } from './helpers/master-stub';
import type { TaskStatus } from '../src/master/types';
import { addressesOf, AgentChild, BUSYBOX, leftovers, needsCni, ports, runInWorld, world, type World } from './helpers/cni-agent';
import { makeBusyboxRootfs } from './helpers/rootfs';
import { cleanEnv } from './helpers/run';

const skip = { skip: needsCni };

/** Polls `argv` in the host namespace until it succeeds; its stdout. */
async function untilOk(w: World, argv: readonly string[], timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = w.host(argv);
    if (result.status === 0) return result.stdout;
    if (Date.now() > deadline) throw new Error(`${argv.join(' ')}: ${result.stdout}${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** After the tasks: nothing of theirs in the namespace, the IPAM data or the agent's mounts. */
async function nothingLeft(t: Test, w: World, agent: AgentChild, containerIds: readonly string[]): Promise<void> {
  t.same(leftovers(w, containerIds), [], 'no veth, iptables rule or IPAM lease is left');
  t.same(await agent.mounts(), [], 'no network namespace bind is left');
  const runtime = `${agent.workDir}/run`;
  t.same(readdirSync(runtime), [], 'the runtime directories are gone');
}

t.test('a task serving HTTP on port 80 is reached from the host on its mapped port', skip, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  const agent = new AgentChild(w);
  await agent.started();
  const script = [
    'mkdir www',
    'echo served-from-the-task > www/index.html',
    'cat /etc/hosts /etc/hostname',
    `exec ${BUSYBOX} httpd -f -p 80 -h www`,
  ].join(' && ');
  agent.run(
    commandTask('web', script, {
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }, ports(31080)],
      container: { type: 'MESOS', network_infos: [{ name: 'net1', port_mappings: [{ host_port: 31080, container_port: 80, protocol: 'tcp' }] }] },
    }),
  );
  const running = await agent.waitForState('web', 'TASK_RUNNING');
  const containerId = (running.container_status!['container_id'] as { value: string }).value;
  const [net] = addressesOf(running);
  t.equal(net?.name, 'net1', 'the status names the network');
  t.match(net?.addresses[0], /^10\.77\.1\.\d+$/, 'and gives the address');
  const starting = agent.updates('web').find((update) => update.state === 'TASK_STARTING');
  t.same(addressesOf(starting!), addressesOf(running), 'TASK_STARTING has the addresses too');

  const page = await untilOk(w, [BUSYBOX, 'wget', '-q', '-O-', 'http://10.77.1.1:31080/']);
  t.equal(page, 'served-from-the-task\n', "the host's address on the mapped port reaches the task's port 80");
  const direct = await untilOk(w, [BUSYBOX, 'wget', '-q', '-O-', `http://${net!.addresses[0]}:80/`]);
  t.equal(direct, 'served-from-the-task\n', 'and so does its own address on port 80');
  const etc = agent.stdout('web', containerId);
  t.match(etc, `127.0.0.1 localhost\n${net!.addresses[0]} ${containerId}\n${containerId}`, "its /etc/hosts and /etc/hostname are the network's");
  t.match(w.host(['iptables-save', '-t', 'nat']).stdout, /31080/, 'portmap made its rules');

  agent.send({ op: 'kill', taskId: 'web' });
  const end = await agent.waitForEnd('web');
  t.equal(end.state, 'TASK_KILLED');
  t.same(addressesOf(end), addressesOf(running), 'the terminal update still has the addresses');
  await nothingLeft(t, w, agent, [containerId]);
  t.notMatch(w.host(['iptables-save', '-t', 'nat']).stdout, /31080/, 'the port mapping is gone');
  t.same(agent.warnings(), [], 'no warnings');
});

t.test('two tasks on one bridge reach each other by address', skip, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  const agent = new AgentChild(w);
  await agent.started();
  const onNet1 = { type: 'MESOS', network_infos: [{ name: 'net1' }] };
  agent.run(commandTask('server', `mkdir www && echo from-the-server > www/index.html && exec ${BUSYBOX} httpd -f -p 8080 -h www`, { container: onNet1 }));
  const server = await agent.waitForState('server', 'TASK_RUNNING');
  const address = addressesOf(server)[0]!.addresses[0]!;
  // httpd listens once it runs; the client tries for a while.
  const client = `for i in $(seq 50); do ${BUSYBOX} wget -q -O- http://${address}:8080/ && exit 0; sleep 0.2; done; exit 1`;
  agent.run(commandTask('client', client, { container: onNet1 }));
  const end = await agent.waitForEnd('client');
  t.equal(end.state, 'TASK_FINISHED', 'the client reached the server');
  const clientId = (end.container_status!['container_id'] as { value: string }).value;
  t.equal(agent.stdout('client', clientId), 'from-the-server\n');
  const clientAddress = addressesOf(end)[0]!.addresses[0]!;
  t.not(clientAddress, address, 'each has an address of its own');
  t.match(clientAddress, /^10\.77\.1\.\d+$/, 'on the same bridge');
  agent.send({ op: 'kill', taskId: 'server' });
  await agent.waitForEnd('server');
  const serverId = (server.container_status!['container_id'] as { value: string }).value;
  await nothingLeft(t, w, agent, [serverId, clientId]);
});

t.test('a task on two networks gets eth0 and eth1', skip, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  w.bridgeNetwork('net2', 2);
  const agent = new AgentChild(w);
  await agent.started();
  agent.run(
    commandTask('both', `${BUSYBOX} ip -o -4 addr show | ${BUSYBOX} awk '{print $2, $4}'`, {
      container: { type: 'MESOS', network_infos: [{ name: 'net2' }, { name: 'net1' }] },
    }),
  );
  const end = await agent.waitForEnd('both');
  t.equal(end.state, 'TASK_FINISHED');
  const containerId = (end.container_status!['container_id'] as { value: string }).value;
  const networks = addressesOf(end);
  t.same(networks.map((network) => network.name), ['net2', 'net1'], 'both networks, in the order asked');
  const [eth0, eth1] = networks.map((network) => network.addresses[0]);
  t.match(eth0, /^10\.77\.2\.\d+$/);
  t.match(eth1, /^10\.77\.1\.\d+$/);
  t.equal(agent.stdout('both', containerId), `lo 127.0.0.1/8\neth0 ${eth0}/24\neth1 ${eth1}/24\n`, 'the first network is eth0, the second eth1');
  await nothingLeft(t, w, agent, [containerId]);
});

t.test('a plugin that fails, hangs or prints garbage fails the task with its message; everything is rolled back', skip, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  const log = `${w.dir}/plugin.log`;
  const record = `echo "$CNI_COMMAND $CNI_IFNAME $CNI_CONTAINERID" >> ${log}; [ "$CNI_COMMAND" = DEL ] && exit 0`;
  w.plugin('failing', `${record}; echo '{"cniVersion":"0.4.0","code":11,"msg":"no addresses left in the test range"}'; exit 1`);
  w.plugin('hanging', `${record}; exec sleep 600`);
  w.plugin('garbage', `${record}; echo 'this is not JSON'; exit 0`);
  for (const type of ['failing', 'hanging', 'garbage']) w.network(`${type}.conf`, { cniVersion: '0.4.0', name: type, type });
  const agent = new AgentChild(w, { networkCniPluginTimeoutMs: 2000 });
  await agent.started();
  const cases = [
    ['failing', "no addresses left in the test range"],
    ['hanging', "did not attach container .* to CNI network 'hanging' within 2secs"],
    ['garbage', "Failed to parse the output of the CNI plugin '.*/garbage': not a JSON object: 'this is not JSON\\\\n'"],
  ] as const;
  const ids: string[] = [];
  for (const [type, message] of cases) {
    // The real bridge first: its lease and veth must go too.
    agent.run(commandTask(type, 'echo never runs', { container: { type: 'MESOS', network_infos: [{ name: 'net1' }, { name: type }] } }));
    const end = await agent.waitForEnd(type);
    t.match(end, { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED' }, `${type}: the task failed`);
    t.match(end.message, new RegExp(`^Failed to launch container: .*${message}`), `${type}: in the plugin's words`);
    t.notOk(agent.updates(type).some((update) => update.state === 'TASK_RUNNING' || update.state === 'TASK_STARTING'), `${type}: the task never started`);
    const containerId = (end.container_status!['container_id'] as { value: string }).value;
    ids.push(containerId);
    t.same(addressesOf(end), [], `${type}: no addresses in the update`);
  }
  // The container's end waits for the DELs: once every task has ended, they have run.
  const calls = (await import('node:fs')).readFileSync(log, 'utf8').trim().split('\n');
  t.same(calls, ids.flatMap((id) => [`ADD eth1 ${id}`, `DEL eth1 ${id}`]), 'each failed ADD was followed by its DEL');
  await nothingLeft(t, w, agent, ids);
  t.same(agent.warnings(), [], 'no warnings');
});

t.test('a bad configuration keeps the agent from starting, in one line', skip, async (t) => {
  const w = world(t);
  w.network('broken.conf', { cniVersion: '0.4.0', name: 'broken', type: 'no-such-plugin' });
  const agent = new AgentChild(w);
  const error = await agent.waitFor('the start to fail', (events) => events.find((event) => event.startError !== undefined)?.startError);
  t.equal(error, `Failed to find CNI plugin 'no-such-plugin' used by CNI network configuration file '${w.configDir}/broken.conf' in '${w.pluginsDir}'`);
});

t.test('a local cluster: MESOS_NETWORK_CNI_* reach its agents; the addresses reach the scheduler and /master/state', skip, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  const env = cleanEnv({
    MESOS_NETWORK_CNI_CONFIG_DIR: w.configDir,
    MESOS_NETWORK_CNI_PLUGINS_DIR: w.pluginsDir,
    MESOS_WORK_DIR: `${w.dir}/cluster`,
  });
  const { events, code, stderr } = await runInWorld(w, 'cni-cluster-child', [BUSYBOX], env);
  t.equal(code, 0, `the cluster child ran: ${stderr}`);
  t.same(events.filter((event) => 'warn' in event), [], 'no warnings');
  const seen = events.find((event) => 'running' in event) as { running: TaskStatus; state: any; page: string } | undefined;
  t.ok(seen, 'the task ran');
  if (seen === undefined) return;
  const [net] = addressesOf(seen.running);
  t.equal(net?.name, 'net1');
  t.match(net?.addresses[0], /^10\.77\.1\.\d+$/, "the scheduler's TASK_RUNNING (protobuf) has the address");
  t.equal(seen.page, 'served-through-the-cluster\n', 'the mapped port served the page');
  const task = seen.state.frameworks[0].tasks[0];
  const running = task.statuses.find((status: TaskStatus) => status.state === 'TASK_RUNNING');
  t.same(addressesOf(running), [net], "/master/state has the task's addresses");
  t.same(running.container_status.network_infos[0].port_mappings, [{ host_port: 31080, container_port: 80 }], 'and its port mappings');
  t.match((events.find((event) => 'final' in event) as { final: TaskStatus }).final, { state: 'TASK_KILLED' });
  t.ok(events.some((event) => event.stopped === true), 'the cluster stopped');
  t.same(leftovers(w, []), [], 'no veth, iptables rule or IPAM lease is left');
});

/** An agent that ends with a task running, without undoing its networks; then the next start on its work directory. */
async function deadAgent(t: Test, how: 'killed with SIGKILL' | 'whose process exits'): Promise<void> {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  const first = new AgentChild(w);
  await first.started();
  first.run(
    commandTask('sleeper', 'exec sleep 600', {
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }, ports(31090)],
      container: { type: 'MESOS', network_infos: [{ name: 'net1', port_mappings: [{ host_port: 31090, container_port: 80 }] }] },
    }),
  );
  const running = await first.waitForState('sleeper', 'TASK_RUNNING');
  const containerId = (running.container_status!['container_id'] as { value: string }).value;
  if (how === 'killed with SIGKILL') await first.kill();
  else await first.exit();
  t.ok(leftovers(w, [containerId]).length > 0, 'the dead agent left a lease and rules behind');
  const second = new AgentChild(w, { workDir: first.workDir });
  await second.started();
  t.same(leftovers(w, [containerId]), [], 'the next start removed them');
  t.same(second.warnings(), [], 'without a warning');
  t.same(readdirSync(`${first.workDir}/run`), [], 'and the runtime directory');
}

for (const how of ['killed with SIGKILL', 'whose process exits'] as const) {
  t.test(`an agent ${how}: the next start on its work directory leaves its containers' networks`, skip, (t) => deadAgent(t, how));
}

t.test('a launch that fails after the networks are attached leaves them', skip, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  const agent = new AgentChild(w);
  await agent.started();
  agent.run(commandTask('nothing-here', 'true', { command: { shell: false, value: '/no/such/program' }, container: { type: 'MESOS', network_infos: [{ name: 'net1' }] } }));
  const end = await agent.waitForEnd('nothing-here');
  t.match(end, { state: 'TASK_FAILED', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: /\/no\/such\/program/ }, 'the helper failed it');
  const containerId = (end.container_status!['container_id'] as { value: string }).value;
  await nothingLeft(t, w, agent, [containerId]);
});

t.test('a task killed while its plugin hangs: the plugin is stopped, the task killed, everything rolled back', skip, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  const log = `${w.dir}/plugin.log`;
  w.plugin('hanging', `echo "$CNI_COMMAND" >> ${log}; [ "$CNI_COMMAND" = DEL ] && exit 0; echo $$ > ${log}.pid; exec sleep 600`);
  w.network('hanging.conf', { cniVersion: '0.4.0', name: 'hanging', type: 'hanging' });
  const agent = new AgentChild(w);
  await agent.started();
  agent.run(commandTask('stuck', 'echo never runs', { container: { type: 'MESOS', network_infos: [{ name: 'net1' }, { name: 'hanging' }] } }));
  const { existsSync, readFileSync } = await import('node:fs');
  await agent.waitFor('the plugin to hang', () => (existsSync(log) && readFileSync(log, 'utf8').includes('ADD') ? true : undefined));
  const before = Date.now();
  agent.send({ op: 'kill', taskId: 'stuck' });
  const end = await agent.waitForEnd('stuck');
  t.ok(Date.now() - before < 10_000, 'within seconds, not the 60 s deadline');
  t.match(end, { state: 'TASK_KILLED', reason: 'REASON_TASK_KILLED_DURING_LAUNCH' });
  t.equal(readFileSync(log, 'utf8'), 'ADD\nDEL\n', 'the hung ADD was followed by its DEL');
  const containerId = (end.container_status!['container_id'] as { value: string }).value;
  await nothingLeft(t, w, agent, [containerId]);
  const pid = Number(readFileSync(`${log}.pid`, 'utf8'));
  t.notOk(existsSync(`/proc/${pid}`), 'nothing of the plugin is left running');
});

t.test("a task in a root filesystem of its own gets the network's /etc files there, and its hostname", skip, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1, { dns: { nameservers: ['10.77.1.53'], search: ['cluster.test'] } });
  const rootfs = makeBusyboxRootfs();
  w.cleanup.add('remove the rootfs', () => rootfs.remove());
  const agent = new AgentChild(w, { rootfsLabel: true });
  await agent.started();
  agent.run(
    commandTask('boxed', 'cat /etc/hosts /etc/hostname /etc/resolv.conf && hostname && echo "$LIBPROCESS_IP" && mkdir -p /www && echo from-the-image > /www/index.html && exec httpd -f -p 80 -h /www', {
      labels: { labels: [{ key: ROOTFS_LABEL, value: rootfs.path }] },
      container: { type: 'MESOS', hostname: 'web.cluster.test', network_infos: [{ name: 'net1' }] },
    }),
  );
  const running = await agent.waitForState('boxed', 'TASK_RUNNING');
  const containerId = (running.container_status!['container_id'] as { value: string }).value;
  const address = addressesOf(running)[0]!.addresses[0]!;
  t.equal(await untilOk(w, [BUSYBOX, 'wget', '-q', '-O-', `http://${address}/`]), 'from-the-image\n', 'served from the image');
  t.equal(
    agent.stdout('boxed', containerId),
    `127.0.0.1 localhost\n${address} web.cluster.test\nweb.cluster.testsearch cluster.test\nnameserver 10.77.1.53\nweb.cluster.test\n0.0.0.0\n`,
    "its /etc/hosts, /etc/hostname, the network's name servers, its hostname and Mesos's LIBPROCESS_IP",
  );
  t.equal(readFileSync(join(rootfs.path, 'etc', 'hosts'), 'utf8'), '127.0.0.1 localhost\n', "the image's own files are as they were");
  agent.send({ op: 'kill', taskId: 'boxed' });
  await agent.waitForEnd('boxed');
  await nothingLeft(t, w, agent, [containerId]);
});

t.test("a task as another user reads its network's /etc files, and can't write them or the host's resolv.conf", skip, async (t) => {
  const w = world(t);
  // No name servers from the plugin: the container gets a copy of the host's.
  w.bridgeNetwork('net1', 1);
  const rootfs = makeBusyboxRootfs();
  w.cleanup.add('remove the rootfs', () => rootfs.remove());
  const hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
  const agent = new AgentChild(w, { rootfsLabel: true });
  await agent.started();
  const script = [
    'cat /etc/resolv.conf > /dev/null && echo readable',
    '(echo "nameserver 6.6.6.6" >> /etc/resolv.conf) 2>/dev/null && echo written || echo refused',
    'grep " /etc/resolv.conf " /proc/self/mountinfo | grep -c " ro,"',
  ].join('; ');
  // Root in the container, with every capability: still a read-only bind.
  agent.run(commandTask('root', script, { labels: { labels: [{ key: ROOTFS_LABEL, value: rootfs.path }] }, container: { type: 'MESOS', network_infos: [{ name: 'net1' }] } }));
  const rootEnd = await agent.waitForEnd('root');
  const rootId = (rootEnd.container_status!['container_id'] as { value: string }).value;
  t.equal(agent.stdout('root', rootId), 'readable\nrefused\n1\n', 'root reads it and gets a read-only bind');
  t.equal(readFileSync('/etc/resolv.conf', 'utf8'), hostResolv, "the host's resolv.conf is unchanged");
  agent.run(commandTask('nobody', 'cat /etc/hosts /etc/hostname /etc/resolv.conf > /dev/null && echo readable', { command: { value: 'cat /etc/hosts /etc/hostname /etc/resolv.conf > /dev/null && echo readable', user: 'nobody' }, container: { type: 'MESOS', network_infos: [{ name: 'net1' }] } }));
  const end = await agent.waitForEnd('nobody');
  const id = (end.container_status!['container_id'] as { value: string }).value;
  t.equal(end.state, 'TASK_FINISHED', `nobody reads all three (${end.message ?? ''})`);
  t.equal(agent.stdout('nobody', id), 'readable\n');
  await nothingLeft(t, w, agent, [rootId, id]);
});
