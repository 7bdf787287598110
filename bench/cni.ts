// What a CNI network adds to a task's start (run by bench/cni.sh, inside a
// network namespace of its own): a LocalAgent runs `/bin/true` again and
// again, from runTask to the terminal update, three ways interleaved: on
// the host's network (no namespace), on a `loopback`-only CNI network (a
// namespace with lo, through the same attach, setup and detach), and on a
// `bridge` network with host-local addresses. The floor is the plugins'
// own ADD and DEL of a namespace, run directly: a bridge start can't be
// closer to a loopback one than the bridge plugin's cost less the loopback
// plugin's. Prints medians and ratios.
import { spawn, spawnSync } from 'node:child_process';
import { LocalAgent } from '../src/agent/local-agent';
import { commandTask, framework, MasterStub } from '../test/helpers/master-stub';

const [dir, runsText] = process.argv.slice(2);
const runs = Number(runsText ?? 20);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  const stub = new MasterStub(true);
  const agent = await LocalAgent.start(
    {
      workDir: `${dir}/work`,
      networkCniConfigDir: `${dir}/networks`,
      networkCniPluginsDir: '/usr/lib/cni',
      warn: (message) => console.error(`agent: ${message}`),
    },
    stub.register,
  );
  const ways: Record<string, unknown[] | undefined> = {
    host: undefined,
    loopback: [{ name: 'lo-only' }],
    bridge: [{ name: 'bench-bridge' }],
  };
  const times: Record<string, number[]> = { host: [], loopback: [], bridge: [] };
  for (let run = -2; run < runs; run++) {
    for (const [way, networkInfos] of Object.entries(ways)) {
      const taskId = stub.taskId(way);
      const started = process.hrtime.bigint();
      agent.runTask(
        framework('F'),
        commandTask(taskId, '/bin/true', {
          command: { shell: false, value: '/bin/true', arguments: ['true'] },
          ...(networkInfos === undefined ? {} : { container: { type: 'MESOS', network_infos: networkInfos } }),
        }),
      );
      const end = await stub.waitForEnd(taskId, 60_000);
      if (end.status.state !== 'TASK_FINISHED') throw new Error(`${way}: ${end.status.state} ${end.status.message ?? ''}`);
      // Two warm-up rounds are not counted.
      if (run >= 0) times[way]!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  await agent.close();

  // The floor: each plugin's ADD and DEL of a namespace, nothing of ours.
  const configs: Record<string, string> = {
    bridge: JSON.stringify({
      cniVersion: '0.4.0',
      name: 'bench-floor',
      type: 'bridge',
      bridge: 'mcbenchfl0',
      isGateway: true,
      ipam: { type: 'host-local', subnet: '10.78.2.0/24', dataDir: `${dir}/ipam` },
    }),
    loopback: JSON.stringify({ cniVersion: '0.4.0', name: 'bench-lo', type: 'loopback' }),
  };
  const floor: Record<string, number[]> = { bridge: [], loopback: [] };
  for (let run = 0; run < runs; run++) {
    for (const plugin of ['bridge', 'loopback']) {
      const holder = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const env = (command: string) => ({
        PATH: process.env['PATH'],
        CNI_COMMAND: command,
        CNI_CONTAINERID: `floor-${plugin}-${run}`,
        CNI_NETNS: `/proc/${holder.pid}/ns/net`,
        CNI_IFNAME: plugin === 'bridge' ? 'eth0' : 'lo',
        CNI_PATH: '/usr/lib/cni',
      });
      const started = process.hrtime.bigint();
      for (const command of ['ADD', 'DEL']) {
        const result = spawnSync(`/usr/lib/cni/${plugin}`, { input: configs[plugin], env: env(command), encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`${plugin} ${command}: ${result.stdout}${result.stderr}`);
      }
      floor[plugin]!.push(Number(process.hrtime.bigint() - started) / 1e6);
      holder.kill('SIGKILL');
    }
  }

  const host = median(times['host']!);
  const loopback = median(times['loopback']!);
  const bridge = median(times['bridge']!);
  const bridgePlugin = median(floor['bridge']!);
  const loopbackPlugin = median(floor['loopback']!);
  console.log(`task start to end of /bin/true, median of ${runs} runs each (interleaved):`);
  console.log(`  host network                 ${host.toFixed(1)} ms`);
  console.log(`  loopback-only CNI network    ${loopback.toFixed(1)} ms  ${(loopback / host).toFixed(2)}x host`);
  console.log(`  bridge CNI network           ${bridge.toFixed(1)} ms  ${(bridge / loopback).toFixed(2)}x loopback, ${(bridge / host).toFixed(2)}x host`);
  console.log('the plugins alone, ADD + DEL of a namespace:');
  console.log(`  bridge (with host-local)     ${bridgePlugin.toFixed(1)} ms`);
  console.log(`  loopback                     ${loopbackPlugin.toFixed(1)} ms`);
  console.log(`bridge start - loopback start: ${(bridge - loopback).toFixed(1)} ms; its floor, bridge - loopback plugins: ${(bridgePlugin - loopbackPlugin).toFixed(1)} ms`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
