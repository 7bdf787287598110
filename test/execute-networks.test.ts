// mesos-execute --networks and --port_mappings with its local cluster, in
// a "host" network namespace the test makes (never the machine's own),
// with Debian's bridge, host-local and portmap plugins: a task serving
// HTTP on port 80 is reached from that host on its mapped port, and after
// a kill nothing of its network is left. Also the flags' one-line
// refusals, and the TaskInfo they make. Run `npm run build` first.
import t from 'tap';
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { taskInfoOf, type TaskFlags } from '../src/execute/task-info';
import { BUSYBOX, needsCni, world } from './helpers/cni-agent';
import { finishedText, testDir } from './helpers/process';
import { cleanEnv, EXECUTE, run } from './helpers/run';

const base: TaskFlags = { name: 'web', command: 'true', shell: true, resources: 'cpus:0.5;mem:64', tty: false };

t.test('--networks and --port_mappings: the TaskInfo they make', async (t) => {
  const task = taskInfoOf({ ...base, networks: 'net1, net2', port_mappings: '31080:80,31053:53/udp' });
  t.same(JSON.parse(JSON.stringify(task.container, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value))), {
    type: 'MESOS',
    network_infos: [
      { name: 'net1', port_mappings: [{ host_port: 31080, container_port: 80 }, { host_port: 31053, container_port: 53, protocol: 'udp' }] },
      { name: 'net2' },
    ],
  });
  const ports = task.resources!.find((resource) => resource.name === 'ports');
  t.same(ports?.ranges?.range, [{ begin: 31080n, end: 31080n }, { begin: 31053n, end: 31053n }], 'the host ports are added to the resources');
  const given = taskInfoOf({ ...base, resources: 'cpus:0.5;mem:64;ports:[31000-31100]', networks: 'net1', port_mappings: '31080:80' });
  t.equal(given.resources!.filter((resource) => resource.name === 'ports').length, 1, 'ports the resources hold are not added again');
  t.throws(() => taskInfoOf({ ...base, port_mappings: '31080:80' }), { message: "'--port_mappings' can only be set with '--networks'" });
  for (const bad of ['80', '0:80', '31080:80/sctp', '70000:80', '31080:80,']) {
    t.throws(() => taskInfoOf({ ...base, networks: 'net1', port_mappings: bad }), { message: /^Invalid --port_mappings / }, bad);
  }
  t.throws(() => taskInfoOf({ ...base, networks: 'net1,,net2' }), { message: /^Invalid --networks 'net1,,net2': a network name is empty$/ });
  const withTask = run(EXECUTE, ['--task={"name":"x"}', '--networks=net1']);
  t.match(withTask.stderr, /^'--networks' can only be set when '--task' is not set\n\nUsage:/);
});

t.test('a task on a bridge network serves HTTP on its mapped port', { skip: needsCni }, async (t) => {
  const w = world(t);
  w.bridgeNetwork('net1', 1);
  const tmp = realpathSync(testDir(t, 'execute-networks-'));
  const env = cleanEnv({ TMPDIR: tmp, MESOS_NETWORK_CNI_CONFIG_DIR: w.configDir, MESOS_NETWORK_CNI_PLUGINS_DIR: w.pluginsDir });
  const script = `mkdir www && echo served > www/index.html && exec ${BUSYBOX} httpd -f -p 80 -h www`;
  const argv = ['unshare', '--mount', '--propagation', 'slave', EXECUTE, '--name=web', '--networks=net1', '--port_mappings=31080:80', `--command=${script}`];
  const child = spawn('nsenter', [`--net=/run/netns/${w.netns}`, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = finishedText(child);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let page = '';
  for (let attempt = 0; attempt < 100 && page === ''; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const result = w.host([BUSYBOX, 'wget', '-q', '-O-', 'http://10.77.1.1:31080/']);
    if (result.status === 0) page = result.stdout;
  }
  t.equal(page, 'served\n', "the host's address on the mapped port reaches the task's port 80");
  child.kill('SIGINT');
  const result = await done;
  t.equal(result.code, 1);
  t.match(result.stderr, /Received status update TASK_KILLED for task 'web'/);
  t.notMatch(w.host(['iptables-save', '-t', 'nat']).stdout, /31080/, 'the port mapping is gone');
  t.same(w.host(['ip', '-o', 'link', 'show', 'type', 'veth']).stdout, '', 'no veth is left');
});
