// The agent's CNI networks without root: loading the operator's
// configurations (against a reader of the test's), planning a task's
// NetworkInfos, reading plugins' results and errors, and the attach and
// detach steps against a recording stand-in for the system.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CniNetworks, type ConfigReader, loadCniNetworks } from '../src/agent/cni/config';
import { removeLeftoverNetworks } from '../src/agent/cni/leftovers';
import { ContainerNetworks } from '../src/agent/cni/network';
import { type TaskNetworkRequest, type TaskNetworks, taskNetworks } from '../src/agent/cni/task-networks';
import { type NetworkPlan, type NetworkRequest, planNetworks, pluginEnvironment, portmapConfig } from '../src/agent/cni/plan';
import { hostsFile, parseResult, pluginError, resolvConf, statusNetworkInfos } from '../src/agent/cni/result';
import { type NetworkSystem, type ProcessRun, realConfigReader } from '../src/agent/cni/system';

/** A directory tree in memory: files by path, executables marked. */
function reader(files: Record<string, string>, executables: readonly string[] = [], directories: readonly string[] = []): ConfigReader {
  const dirs = new Set(directories);
  for (const path of [...Object.keys(files), ...executables]) {
    for (let at = path.lastIndexOf('/'); at > 0; at = path.lastIndexOf('/', at - 1)) dirs.add(path.slice(0, at));
  }
  return {
    exists: (path) => dirs.has(path) || path in files || executables.includes(path),
    isDirectory: (path) => dirs.has(path),
    list: (path) =>
      [...new Set([...Object.keys(files), ...dirs].filter((entry) => entry.startsWith(`${path}/`)).map((entry) => entry.slice(path.length + 1).split('/')[0]!))].sort(),
    read(path) {
      if (!(path in files)) throw new Error('EACCES: permission denied, open');
      return files[path]!;
    },
    isExecutable: (path) => executables.includes(path),
  };
}

const PLUGINS = ['/cni/bin/bridge', '/cni/bin/host-local', '/cni/bin/portmap'];
const bridge = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: '0.4.0', name, type: 'bridge', ipam: { type: 'host-local', subnet: '10.1.0.0/24' }, ...extra });
const flags = { configDir: '/cni/conf', pluginsDir: '/cni/bin' };

t.test('loading the configurations: what refuses the start, in one line', async (t) => {
  t.equal(loadCniNetworks({}, reader({})), undefined, 'neither flag: no networks, no error');
  t.equal(loadCniNetworks({ configDir: '', pluginsDir: '' }, reader({})), undefined, 'both empty: the same');
  const load = (files: Record<string, string>, executables = PLUGINS, given: typeof flags = flags) => () => loadCniNetworks(given, reader(files, executables, ['/cni/conf']));
  t.throws(load({}, PLUGINS, { configDir: '/cni/conf', pluginsDir: '' }), { message: "Missing required '--network_cni_plugins_dir' flag" });
  t.throws(() => loadCniNetworks({ pluginsDir: '/cni/bin' }, reader({})), { message: "Missing required '--network_cni_config_dir' flag" });
  t.throws(load({}, [], { configDir: '/cni/conf', pluginsDir: '/nowhere' }), { message: "The CNI plugin directory '/nowhere' does not exist" });
  t.throws(() => loadCniNetworks({ configDir: '/none', pluginsDir: '/cni/bin' }, reader({}, PLUGINS)), {
    message: "The CNI network configuration directory '/none' does not exist",
  });
  t.throws(load({}), { message: "Unable to find any valid CNI network configuration files under '/cni/conf'" });
  t.throws(load({ '/cni/conf/a.conf': '{"name": "a",' }), {
    message: /^Failed to parse CNI network configuration file '\/cni\/conf\/a\.conf': JSON parse failed: /,
  });
  t.throws(load({ '/cni/conf/a.conf': '[]' }), { message: "Failed to parse CNI network configuration file '/cni/conf/a.conf': Expecting a JSON object" });
  t.throws(load({ '/cni/conf/a.conf': '{"type":"bridge"}' }), { message: /Expecting a string 'name'$/ });
  for (const type of ['../bin/bridge', '/cni/bin/bridge', '..', '', 7]) {
    t.throws(load({ '/cni/conf/a.conf': JSON.stringify({ name: 'a', type }) }), { message: /Expecting a plugin's file name as 'type'$/ }, `type ${JSON.stringify(type)}`);
  }
  t.throws(load({ '/cni/conf/a.conf': JSON.stringify({ name: 'a', type: 'bridge', ipam: { type: '../x' } }) }), { message: /'ipam\.type'$/ });
  t.throws(load({ '/cni/conf/a.conflist': JSON.stringify({ cniVersion: '0.4.0', name: 'a', plugins: [{ type: 'bridge' }] }) }), {
    message: "Failed to parse CNI network configuration file '/cni/conf/a.conflist': A configuration list ('plugins') is not supported: expecting one network's configuration, with its 'type'",
  });
  t.throws(load({ '/cni/conf/a.conf': bridge('a', { args: { 'org.apache.mesos': {} } }) }), { message: /It is reserved by Mesos$/ });
  t.throws(load({ '/cni/conf/a.conf': bridge('a', { args: [] }) }), { message: /Expecting a JSON object as 'args'$/ });
  t.throws(load({ '/cni/conf/a.conf': bridge('same'), '/cni/conf/b.conf': bridge('same') }), {
    message: 'Multiple CNI network configuration files have same name: same',
  });
  t.throws(load({ '/cni/conf/a.conf': JSON.stringify({ name: 'a', type: 'macvlan' }) }), {
    message: "Failed to find CNI plugin 'macvlan' used by CNI network configuration file '/cni/conf/a.conf' in '/cni/bin'",
  });
  t.throws(load({ '/cni/conf/a.conf': bridge('a') }, ['/cni/bin/bridge']), {
    message: "Failed to find CNI IPAM plugin 'host-local' used by CNI network configuration file '/cni/conf/a.conf' in '/cni/bin'",
  });
  for (const call of [load({ '/cni/conf/a.conf': '{' }), load({ '/cni/conf/a.conf': bridge('a', { args: { 'org.apache.mesos': 1 } }) })]) {
    try {
      call();
    } catch (error) {
      t.notMatch((error as Error).message, /\n/, 'one line');
    }
  }
});

t.test('loading the configurations: the networks', async (t) => {
  const files = { '/cni/conf/1-a.conf': bridge('a', { args: { mine: 1 } }), '/cni/conf/2-b.json': JSON.stringify({ name: 'b', type: 'ptp' }) };
  const networks = loadCniNetworks(
    { configDir: '/cni/conf', pluginsDir: '/cni/bin:/more/bin' },
    reader(files, [...PLUGINS, '/more/bin/ptp'], ['/cni/conf/sub.d']),
  )!;
  t.same([...networks.networks.keys()], ['a', 'b'], 'every file is a network; directories are skipped');
  t.equal(networks.networks.get('a')!.plugin, '/cni/bin/bridge');
  t.equal(networks.networks.get('b')!.plugin, '/more/bin/ptp', 'plugins are looked for in each directory, in order');
  t.equal(networks.portmap, '/cni/bin/portmap');
  t.equal(networks.pluginsDir, '/cni/bin:/more/bin', 'CNI_PATH is the flag as given');
  t.equal(loadCniNetworks(flags, reader({ '/cni/conf/a.conf': bridge('a') }, PLUGINS.slice(0, 2)))!.portmap, undefined, 'no portmap: none');

  // The real reader on real files.
  const dir = mkdtempSync(join(tmpdir(), 'cni-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'conf'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'bridge'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'bin', 'host-local'), '#!/bin/sh\n', { mode: 0o644 });
  writeFileSync(join(dir, 'conf', 'a.conf'), bridge('a'));
  const real = { configDir: join(dir, 'conf'), pluginsDir: join(dir, 'bin') };
  t.throws(() => loadCniNetworks(real, realConfigReader()), { message: /^Failed to find CNI IPAM plugin 'host-local'/ }, 'a plugin must be executable');
  rmSync(join(dir, 'bin', 'host-local'));
  symlinkSync(join(dir, 'bin', 'bridge'), join(dir, 'bin', 'host-local'));
  t.same([...loadCniNetworks(real, realConfigReader())!.networks.keys()], ['a'], 'a link to an executable will do');
  writeFileSync(join(dir, 'conf', 'big.conf'), ' '.repeat(1024 * 1024 + 1));
  t.throws(() => loadCniNetworks(real, realConfigReader()), { message: /^Failed to read CNI network configuration file '.*big\.conf': larger than 1048576 bytes$/ });
  rmSync(join(dir, 'conf', 'big.conf'));
  writeFileSync(join(dir, 'conf', 'odd.conf'), bridge('two\nlines'));
  t.throws(() => loadCniNetworks(real, realConfigReader()), { message: /^Failed to parse CNI network configuration file '.*odd\.conf': Invalid network name 'two\\nlines': expecting letters/ }, "a network name follows the CNI specification's rule");
});

const networks: CniNetworks = loadCniNetworks(
  flags,
  reader({ '/cni/conf/a.conf': bridge('net-a', { args: { operator: 'x' } }), '/cni/conf/b.conf': bridge('net-b') }, PLUGINS),
)!;
const ports = { name: 'ports', type: 'RANGES' as const, ranges: { range: [{ begin: 31000, end: 31010 }] } };
const request = (networkInfos: unknown[], more: Partial<NetworkRequest> = {}): NetworkRequest => ({
  containerId: 'c1',
  networkInfos,
  resources: [ports],
  dir: '/run/c1/cni',
  hostname: 'c1',
  ...more,
});

t.test('a plan: which networks, as which interfaces, with which configuration', async (t) => {
  t.equal(planNetworks(request([{}, { labels: {} }]), networks), undefined, 'NetworkInfos without a name ask for nothing');
  const plan = planNetworks(request([{ name: 'net-b' }, {}, { name: 'net-a', labels: { labels: [{ key: 'k', value: 'v' }] } }]), networks) as NetworkPlan;
  t.same(
    plan.attachments.map((attachment) => [attachment.network, attachment.ifname, attachment.dir]),
    [
      ['net-b', 'eth0', '/run/c1/cni/eth0'],
      ['net-a', 'eth1', '/run/c1/cni/eth1'],
    ],
    'eth0, eth1 in the order given; their files named after the interface',
  );
  t.equal(plan.netns, '/run/c1/cni/ns');
  t.same(plan.attachments[1]!.config['args'], {
    operator: 'x',
    'org.apache.mesos': { network_info: { name: 'net-a', labels: { labels: [{ key: 'k', value: 'v' }] } } },
  }, "the operator's args, with the NetworkInfo under Mesos's key");
  t.same(networks.networks.get('net-a')!.config['args'], { operator: 'x' }, "the loaded configuration isn't changed");
  t.same(pluginEnvironment(plan, plan.attachments[1]!, 'ADD', { netns: true, path: '/usr/bin' }), {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'c1',
    CNI_PATH: '/cni/bin',
    CNI_IFNAME: 'eth1',
    CNI_NETNS: '/run/c1/cni/ns',
    PATH: '/usr/bin',
  });
  t.notOk('CNI_NETNS' in pluginEnvironment(plan, plan.attachments[0]!, 'DEL', { netns: false, path: undefined }), 'no handle, no CNI_NETNS');
});

t.test('a plan: what is refused', async (t) => {
  const refusal = (infos: unknown[], given = networks, more: Partial<NetworkRequest> = {}) => planNetworks(request(infos, more), given);
  t.same(refusal([{ name: 'nope' }]), {
    refused: true,
    state: 'TASK_FAILED',
    reason: 'REASON_CONTAINER_LAUNCH_FAILED',
    message: "Failed to launch container: Unknown CNI network 'nope'",
  });
  t.match(planNetworks(request([{ name: 'net-a' }]), undefined), { message: "Failed to launch container: Unknown CNI network 'net-a'" }, 'an agent without networks');
  t.match(refusal([{ name: '../../etc\n' }]), { message: "Failed to launch container: Unknown CNI network '../../etc\\n'" }, "a name is looked up, quoted, and goes nowhere");
  t.match(refusal([{ name: 'net-a' }, { name: 'net-a' }]), { state: 'TASK_FAILED', message: "Failed to launch container: Attempted to join CNI network 'net-a' multiple times" });
  t.match(refusal([{ name: 7 }]), { state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message: 'Invalid container.network_infos[0].name: expecting a string' });
  t.match(refusal(['x']), { state: 'TASK_ERROR', message: 'Invalid container.network_infos[0]: expecting a NetworkInfo' });
  const mapping = (entry: Record<string, unknown>) => refusal([{ name: 'net-a', port_mappings: [entry] }]);
  t.match(mapping({ host_port: 30999, container_port: 80 }), {
    state: 'TASK_ERROR',
    message: "Invalid container.network_infos[0].port_mappings[0]: host port 30999 is not in the task's 'ports' resources",
  });
  t.match(mapping({ host_port: 31000, container_port: 0 }), { message: /'host_port' and 'container_port' must be ports/ });
  t.match(mapping({ host_port: 31000, container_port: 80, protocol: 'icmp' }), { message: /unknown protocol 'icmp'/ });
  t.match(refusal([{ name: 'net-a', port_mappings: [{ host_port: 31000, container_port: 80 }] }, { name: 'net-b', port_mappings: [{ host_port: 31000, container_port: 81 }] }]), {
    message: 'Invalid container.network_infos[1]: host port tcp/31000 is mapped twice',
  });
  t.match(refusal([{ port_mappings: [] }]), { message: "Invalid container.network_infos[0]: port mappings need a network 'name'" });
  const withoutPortmap = loadCniNetworks(flags, reader({ '/cni/conf/a.conf': bridge('net-a') }, PLUGINS.slice(0, 2)))!;
  t.match(refusal([{ name: 'net-a', port_mappings: [{ host_port: 31000, container_port: 80 }] }], withoutPortmap), {
    state: 'TASK_FAILED',
    message: "Failed to launch container: Port mappings need the CNI plugin 'portmap' in '/cni/bin'",
  });
  t.match(refusal([{ name: 'net-a', port_mappings: [{ host_port: 31000, container_port: 80 }] }], networks, { resources: [] }), { state: 'TASK_ERROR' }, 'no ports resources');
});

t.test('port mappings: portmap chained after the network', async (t) => {
  const plan = planNetworks(request([{ name: 'net-a', port_mappings: [{ host_port: 31005, container_port: 80 }, { host_port: 31006, container_port: 53, protocol: 'UDP' }] }]), networks) as NetworkPlan;
  const prev = { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.2/24' }] };
  t.same(portmapConfig(plan.attachments[0]!, prev), {
    cniVersion: '0.4.0',
    name: 'net-a',
    type: 'portmap',
    capabilities: { portMappings: true },
    runtimeConfig: {
      portMappings: [
        { hostPort: 31005, containerPort: 80, protocol: 'tcp' },
        { hostPort: 31006, containerPort: 53, protocol: 'udp' },
      ],
    },
    prevResult: prev,
  });
});

t.test("plugins' results and errors", async (t) => {
  const current = parseResult(
    JSON.stringify({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0' }],
      ips: [{ version: '4', address: '10.1.0.5/24', gateway: '10.1.0.1' }, { version: '6', address: 'fd00::5/64' }],
      dns: { nameservers: ['10.1.0.53'], search: ['example'], domain: 'example', options: ['ndots:2'] },
    }),
  );
  t.same(current.addresses, [
    { version: 4, address: '10.1.0.5' },
    { version: 6, address: 'fd00::5' },
  ]);
  const old = parseResult(JSON.stringify({ cniVersion: '0.2.0', ip4: { ip: '10.2.0.7/16' }, dns: {} }));
  t.same(old.addresses, [{ version: 4, address: '10.2.0.7' }], 'spec 0.2 results too');
  t.equal(resolvConf([old]), undefined, 'no name servers: the host file');
  t.equal(resolvConf([old, current]), 'domain example\nsearch example\noptions ndots:2\nnameserver 10.1.0.53\n');
  t.equal(resolvConf([parseResult('{"dns":{"nameservers":["1.2.3.4\\nsearch evil"]}}')]), 'nameserver 1.2.3.4searchevil\n', 'a plugin adds no lines');
  t.equal(hostsFile('c1', [parseResult('{}'), current]), '127.0.0.1 localhost\n10.1.0.5 c1\n', 'the first IPv4 address');
  t.equal(hostsFile('c1', []), '127.0.0.1 localhost\n');
  for (const [output, why] of [
    ['not json', "not a JSON object: 'not json'"],
    ['[1]', "not a JSON object: '[1]'"],
    ['{"ips":{}}', "'ips' is not a list"],
    ['{"ips":[{"address":"10.1.0.300/24"}]}', "'ips[0].address' is not an IP address: '10.1.0.300/24'"],
    ['{"ip4":{"ip":5}}', "'ip4.ip' is not a string"],
    ['{"dns":{"nameservers":[1]}}', "'dns.nameservers' is not a list of strings"],
  ] as const) {
    t.throws(() => parseResult(output), { message: why }, output);
  }
  t.equal(pluginError('{"cniVersion":"0.4.0","code":7,"msg":"failed to allocate","details":"range full"}', 'ignored'), 'failed to allocate: range full');
  t.equal(pluginError('oops\n', 'panic: x\n'), "stdout='oops\\n', stderr='panic: x\\n'", 'anything else, quoted on one line');
  t.equal(pluginError('x'.repeat(5000), '').length < 1000, true, 'and bounded');
  const plan = planNetworks(request([{ name: 'net-a', ip_addresses: [{ ip_address: '1.1.1.1' }], labels: {} }]), networks) as NetworkPlan;
  t.same(statusNetworkInfos(plan.attachments, [current]), [
    {
      name: 'net-a',
      labels: {},
      ip_addresses: [
        { protocol: 'IPv4', ip_address: '10.1.0.5' },
        { protocol: 'IPv6', ip_address: 'fd00::5' },
      ],
    },
  ], "the task's NetworkInfo with the plugin's addresses");
});

// ---------------------------------------------------------------------------
// attach and detach against a recording system

type Answer = Partial<ProcessRun> | ((env: Record<string, string>, input: string, abort?: AbortSignal) => Partial<ProcessRun> | Promise<Partial<ProcessRun>>);

function recorder(answers: Record<string, Answer> = {}, setup: Partial<ProcessRun> = { code: 0 }, bindFails = false) {
  const calls: string[] = [];
  const files = new Map<string, string>();
  const plugins: Array<{ plugin: string; env: Record<string, string>; input: Record<string, unknown> }> = [];
  const system: NetworkSystem = {
    makeDirectory: (path) => void calls.push(`mkdir ${path}`),
    writeFile: (path, text) => {
      calls.push(`write ${path}`);
      files.set(path, text);
    },
    removeDirectory: (path) => void calls.push(`rm ${path}`),
    bindNamespace: (pid, _parentPid, target) => {
      calls.push(`bind ${pid} ${target}`);
      if (bindFails) throw new Error('Operation not permitted');
    },
    unbindNamespace: (target) => void calls.push(`unbind ${target}`),
    isNamespaceBind: (path) => files.get(path) === '<nsfs>',
    list: (path) => [...new Set([...files.keys()].filter((key) => key.startsWith(`${path}/`)).map((key) => key.slice(path.length + 1).split('/')[0]!))].sort(),
    readText: (path) => files.get(path),
    async runPlugin(plugin, env, input, timeoutMs, abort) {
      const name = plugin.split('/').pop()!;
      calls.push(`${env['CNI_COMMAND']} ${name} ${env['CNI_IFNAME']} ${timeoutMs}`);
      plugins.push({ plugin, env: { ...env }, input: JSON.parse(input) as Record<string, unknown> });
      const answer = answers[`${env['CNI_COMMAND']} ${name} ${env['CNI_IFNAME']}`];
      const given = typeof answer === 'function' ? await answer({ ...env }, input, abort) : answer;
      const ip = `10.1.0.${Number(env['CNI_IFNAME']!.slice(3)) + 2}/24`;
      return { code: 0, signal: null, timedOut: false, stdout: env['CNI_COMMAND'] === 'ADD' ? JSON.stringify({ cniVersion: '0.4.0', ips: [{ address: ip }] }) : '', stderr: '', ...given };
    },
    async runSetup(flags) {
      calls.push(`setup ${JSON.stringify(flags)}`);
      return { code: 0, signal: null, timedOut: false, stdout: '', stderr: '', ...setup };
    },
    hostResolvConf: '/etc/resolv.conf',
  };
  return { calls, files, plugins, system };
}

const twoNetworks = () =>
  planNetworks(request([{ name: 'net-a', port_mappings: [{ host_port: 31001, container_port: 80 }] }, { name: 'net-b' }]), networks) as NetworkPlan;

t.test('attach, then detach: every step in order', async (t) => {
  const { calls, files, plugins, system } = recorder();
  const container = new ContainerNetworks(twoNetworks(), system, { timeoutMs: 5000, path: '/usr/sbin:/usr/bin' });
  await container.attach(4242, 4241);
  t.same(calls, [
    'mkdir /run/c1/cni',
    'bind 4242 /run/c1/cni/ns',
    'mkdir /run/c1/cni/eth0',
    'write /run/c1/cni/eth0/network.conf',
    'ADD bridge eth0 5000',
    'write /run/c1/cni/eth0/network.info',
    'write /run/c1/cni/eth0/portmap.conf',
    'ADD portmap eth0 5000',
    'mkdir /run/c1/cni/eth1',
    'write /run/c1/cni/eth1/network.conf',
    'ADD bridge eth1 5000',
    'write /run/c1/cni/eth1/network.info',
    'write /run/c1/cni/hostname',
    'write /run/c1/cni/hosts',
    'write /run/c1/cni/resolv.conf',
    `setup ${JSON.stringify({ pid: 4242, parentPid: 4241, hostname: 'c1', etcHostsPath: '/run/c1/cni/hosts', etcHostnamePath: '/run/c1/cni/hostname', etcResolvConf: '/run/c1/cni/resolv.conf' })}`,
  ]);
  t.equal(files.get('/run/c1/cni/resolv.conf'), '', "without a plugin's name servers, a copy of the host's (none here): never the host's file itself");
  t.equal(files.get('/run/c1/cni/hosts'), '127.0.0.1 localhost\n10.1.0.2 c1\n');
  t.same(plugins[1]!.input['prevResult'], JSON.parse(files.get('/run/c1/cni/eth0/network.info')!), "portmap gets the bridge's result");
  t.same(
    container.networkInfos!.map((info) => [info['name'], info['ip_addresses']]),
    [
      ['net-a', [{ protocol: 'IPv4', ip_address: '10.1.0.2' }]],
      ['net-b', [{ protocol: 'IPv4', ip_address: '10.1.0.3' }]],
    ],
  );
  calls.length = 0;
  const failures = await container.detach();
  t.same(failures, []);
  t.same(calls, ['DEL bridge eth1 5000', 'DEL portmap eth0 5000', 'DEL bridge eth0 5000', 'unbind /run/c1/cni/ns', 'rm /run/c1/cni'], 'last first; then the bind and the files');
  t.same(plugins.find((run) => run.env['CNI_COMMAND'] === 'DEL' && run.env['CNI_IFNAME'] === 'eth0' && run.plugin.endsWith('bridge'))!.input, plugins[0]!.input, 'DEL reads what ADD read');
  t.ok(plugins.every((run) => run.env['CNI_NETNS'] === '/run/c1/cni/ns' && run.env['CNI_CONTAINERID'] === 'c1'));
  t.equal(await container.detach(), failures, 'detach happens once');
  t.equal(calls.length, 5);
});

t.test('a plugin that fails, hangs or prints garbage fails the attach in its own words; all of it is undone', async (t) => {
  const cases: Array<[string, Answer, string]> = [
    [
      'an error',
      { code: 1, stdout: '{"cniVersion":"0.4.0","code":11,"msg":"no IP addresses available in range set"}' },
      "The CNI plugin '/cni/bin/bridge' failed to attach container c1 to CNI network 'net-b': no IP addresses available in range set",
    ],
    ['a crash', { code: null, signal: 'SIGSEGV', stdout: '', stderr: 'boom' }, "The CNI plugin '/cni/bin/bridge' failed to attach container c1 to CNI network 'net-b' (killed by SIGSEGV): stdout='', stderr='boom'"],
    ['a hang', { code: null, signal: 'SIGKILL', timedOut: true }, "The CNI plugin '/cni/bin/bridge' did not attach container c1 to CNI network 'net-b' within 1.5secs"],
    ['garbage', { stdout: '\u0000garbage' }, "Failed to parse the output of the CNI plugin '/cni/bin/bridge': not a JSON object: '\\u0000garbage'"],
    ['no such plugin', { code: null, error: 'No such file or directory' }, "Failed to execute the CNI plugin '/cni/bin/bridge': No such file or directory"],
  ];
  for (const [what, answer, message] of cases) {
    const { calls, system } = recorder({ 'ADD bridge eth1': answer });
    const container = new ContainerNetworks(twoNetworks(), system, { timeoutMs: 1500 });
    await t.rejects(container.attach(7, 6), { message }, what);
    t.equal(container.networkInfos, undefined);
    calls.length = 0;
    t.same(await container.detach(), []);
    t.same(calls, ['DEL bridge eth1 1500', 'DEL portmap eth0 1500', 'DEL bridge eth0 1500', 'unbind /run/c1/cni/ns', 'rm /run/c1/cni'], `${what}: DEL for every ADD tried, the failed one too`);
  }
  const { system: failingPortmap, calls } = recorder({ 'ADD portmap eth0': { code: 1, stdout: '{"code":999,"msg":"portmap: bad"}' } });
  const container = new ContainerNetworks(twoNetworks(), failingPortmap);
  await t.rejects(container.attach(7, 6), { message: "The CNI plugin '/cni/bin/portmap' failed to attach container c1 to CNI network 'net-a': portmap: bad" });
  t.notOk(calls.some((call) => call.startsWith('ADD bridge eth1')), 'nothing after the failure');
  calls.length = 0;
  await container.detach();
  t.same(calls, ['DEL portmap eth0 60000', 'DEL bridge eth0 60000', 'unbind /run/c1/cni/ns', 'rm /run/c1/cni']);
});

t.test('a failed setup, bind or DEL', async (t) => {
  const setup = recorder({}, { code: 1, stderr: 'Failed to enter the mount namespace\n' });
  const container = new ContainerNetworks(twoNetworks(), setup.system);
  await t.rejects(container.attach(7, 6), { message: "Failed to setup hostname and network files: Failed to enter the mount namespace" });
  setup.calls.length = 0;
  await container.detach();
  t.same(setup.calls.filter((call) => call.startsWith('DEL')).length, 3, 'a later step failing undoes the networks');

  const bind = recorder({}, {}, true);
  const unbound = new ContainerNetworks(twoNetworks(), bind.system);
  await t.rejects(unbound.attach(7, 6), { message: "Failed to mount the network namespace handle from '/proc/7/ns/net' to '/run/c1/cni/ns': Operation not permitted" });
  bind.calls.length = 0;
  await unbound.detach();
  t.same(bind.calls, ['rm /run/c1/cni'], 'no ADD, no DEL, no unbind');

  const del = recorder({ 'DEL bridge eth0': { code: 1, stdout: '{"code":1,"msg":"still busy"}' }, 'DEL bridge eth1': { timedOut: true, code: null } });
  const stuck = new ContainerNetworks(twoNetworks(), del.system, { timeoutMs: 2000 });
  await stuck.attach(7, 6);
  t.same(await stuck.detach(), [
    "The CNI plugin '/cni/bin/bridge' did not detach container c1 from CNI network 'net-b' within 2secs",
    "The CNI plugin '/cni/bin/bridge' failed to detach container c1 from CNI network 'net-a': still busy",
  ], 'every DEL is tried; each failure is a line');
  t.ok(del.calls.includes('unbind /run/c1/cni/ns'), 'and the bind still goes');
});

t.test("what a dead agent's containers left: DEL from the configurations kept", async (t) => {
  const { calls, files, plugins, system } = recorder();
  const container = new ContainerNetworks(twoNetworks(), system);
  await container.attach(7, 6);
  files.set('/run/c1/cni/ns', '<nsfs>');
  const kept = new Map(files);
  // Another container's directory: its bind is gone (a reboot), its ADD done.
  for (const [path, text] of kept) if (path.startsWith('/run/c1/cni/eth1/')) files.set(path.replace('/c1/', '/c2/'), text);
  files.set('/run/c3/notify', '');
  calls.length = 0;
  plugins.length = 0;
  t.same(await removeLeftoverNetworks('/run', networks, system, { timeoutMs: 100 }), []);
  t.same(calls, [
    'DEL bridge eth1 100',
    'DEL portmap eth0 100',
    'DEL bridge eth0 100',
    'unbind /run/c1/cni/ns',
    'rm /run/c1/cni',
    'DEL bridge eth1 100',
    'rm /run/c2/cni',
  ], 'last first, for each container with networks');
  t.same(plugins[1]!.input, JSON.parse(kept.get('/run/c1/cni/eth0/portmap.conf')!), 'portmap gets what its ADD got');
  t.same(plugins[0]!.input, JSON.parse(kept.get('/run/c1/cni/eth1/network.conf')!));
  t.equal(plugins[0]!.env['CNI_CONTAINERID'], 'c1');
  t.equal(plugins[3]!.env['CNI_CONTAINERID'], 'c2');
  t.notOk('CNI_NETNS' in plugins[3]!.env, 'no bind, no CNI_NETNS');

  const other = recorder();
  for (const [path, text] of kept) other.files.set(path, text);
  const gone = loadCniNetworks(flags, reader({ '/cni/conf/b.conf': bridge('net-b') }, PLUGINS))!;
  t.same(await removeLeftoverNetworks('/run', gone, other.system), [
    "Failed to remove container c1 from CNI network 'net-a': the agent no longer has that network",
  ], 'a network no longer configured is said');
  t.same(other.calls, ['DEL bridge eth1 60000', 'unbind /run/c1/cni/ns', 'rm /run/c1/cni'], 'the rest is still undone');
});

t.test('a kill during the attach stops the plugin running; its DEL still comes', async (t) => {
  let started: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (started = resolve));
  const hang: Answer = (_env, _input, abort) =>
    new Promise((resolve) => {
      started();
      abort!.addEventListener('abort', () => resolve({ code: null, signal: 'SIGKILL', aborted: true }));
    });
  const { calls, system } = recorder({ 'ADD bridge eth1': hang });
  const container = new ContainerNetworks(twoNetworks(), system);
  const attach = container.attach(7, 6);
  await running;
  container.abort();
  await t.rejects(attach, { message: "The CNI plugin '/cni/bin/bridge' was stopped: the container is being killed" });
  calls.length = 0;
  await container.detach();
  t.same(calls.filter((call) => call.startsWith('DEL')), ['DEL bridge eth1 60000', 'DEL portmap eth0 60000', 'DEL bridge eth0 60000']);
  const early = recorder();
  const before = new ContainerNetworks(twoNetworks(), early.system);
  before.abort();
  await t.rejects(before.attach(7, 6), { message: 'the container is being killed' });
  t.notOk(early.calls.some((call) => call.startsWith('ADD')), 'an abort before the first ADD: none runs');
});

t.test("the agent's network step: none, a refusal, or a namespace whose /etc files are the setup's", async (t) => {
  const { system } = recorder();
  const step = (more: Partial<TaskNetworkRequest>) =>
    taskNetworks({ containerId: 'c1', runtimeDirectory: '/run/c1', networkInfos: undefined, resources: [ports], ...more }, networks, system);
  t.equal(step({}), undefined, 'no NetworkInfos: nothing');
  t.equal(step({ networkInfos: [{}] }), undefined, 'none with a name: nothing');
  t.match(step({ hostname: 'web' }), { refused: true, state: 'TASK_FAILED', message: /a hostname of its own is not supported by this agent without a CNI network$/ });
  const joined = step({ networkInfos: [{ name: 'net-a' }], hostname: 'web' }) as TaskNetworks;
  t.same(joined.network, { isolated: true, hostname: 'web', networkFiles: 'external' });
  t.same(joined.environment, [{ name: 'LIBPROCESS_IP', value: '0.0.0.0' }]);
  t.equal(joined.networkInfos(), undefined, 'no addresses before the attach');
  t.match(step({ networkInfos: [{ name: 'nope' }] }), { refused: true, message: "Failed to launch container: Unknown CNI network 'nope'" });
});

t.test('a result that cannot be kept fails the attach; the DEL still comes', async (t) => {
  const { calls, system } = recorder();
  const write = system.writeFile;
  system.writeFile = (path, text) => {
    if (path.endsWith('eth0/network.info')) throw new Error('No space left on device');
    write(path, text);
  };
  const container = new ContainerNetworks(twoNetworks(), system);
  await t.rejects(container.attach(7, 6), { message: "Failed to checkpoint the output of the CNI plugin '/cni/bin/bridge': No space left on device" });
  calls.length = 0;
  await container.detach();
  t.same(calls, ['DEL bridge eth0 60000', 'unbind /run/c1/cni/ns', 'rm /run/c1/cni']);
});
