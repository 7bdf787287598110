// The agent's CNI networks for real, with Debian's bridge, host-local and
// portmap plugins, entirely inside network namespaces each test makes: the
// agent runs in a child process in the test's own "host" namespace, so the
// bridges, veths, iptables rules and address leases are all made there
// (the leases in a temporary directory), and go with it. Tasks use the
// host's static busybox. Run `npm run build` first.
import t, { type Test } from 'tap';
import { readdirSync } from 'node:fs';
import { commandTask } from './helpers/master-stub';
import { addressesOf, AgentChild, BUSYBOX, leftovers, needsCni, ports, world, type World } from './helpers/cni-agent';

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
