// A local cluster in a process of its own, for the CNI tests, which start
// it in a network namespace they made (see ./cni-agent.ts): its agent takes
// MESOS_NETWORK_CNI_CONFIG_DIR and MESOS_NETWORK_CNI_PLUGINS_DIR from the
// environment. A scheduler of ours (protobuf on the wire) runs one task
// serving HTTP on network `net1`, port 80 mapped to 31080; the child prints
// one JSON line an event: {"running": TaskStatus, "state": /master/state,
// "page": what the mapped port served}, then {"final": TaskStatus} after the
// kill, then {"stopped": true}. Bundled by the test.
import { LocalCluster } from '../../src/local/cluster';
import { runTask } from '../../src/scheduler';

const emit = (event: unknown) => process.stdout.write(`${JSON.stringify(event, (_, value: unknown) => (typeof value === 'bigint' ? Number(value) : value))}\n`);

async function fetchText(url: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(url);
      return await response.text();
    } catch (error) {
      if (attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function main(): Promise<void> {
  const busybox = process.argv[2]!;
  const cluster = await LocalCluster.start({ port: 0, warn: (message) => emit({ warn: message }) });
  try {
    const run = runTask({
      master: cluster.url,
      contentType: 'protobuf',
      framework: { user: 'root' },
      task: {
        name: 'web',
        task_id: { value: 'web' },
        resources: [
          { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
          { name: 'mem', type: 'SCALAR', scalar: { value: 64 } },
          { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31080n, end: 31080n }] } },
        ],
        command: { value: `mkdir www && echo served-through-the-cluster > www/index.html && exec ${busybox} httpd -f -p 80 -h www` },
        container: { type: 'MESOS', network_infos: [{ name: 'net1', port_mappings: [{ host_port: 31080, container_port: 80 }] }] },
      },
    });
    let killed = false;
    run.on('status', (status) => {
      if (status.state !== 'TASK_RUNNING' || killed) return;
      killed = true;
      void (async () => {
        const state = JSON.parse(await fetchText(`${cluster.url}/master/state`)) as unknown;
        const page = await fetchText('http://10.77.1.1:31080/');
        emit({ running: status, state, page });
        run.kill();
      })().catch((error: unknown) => {
        emit({ warn: String(error) });
        run.kill();
      });
    });
    emit({ final: await run.done });
    run.stop();
  } finally {
    await cluster.stop();
  }
  emit({ stopped: true });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    emit({ warn: `child failed: ${error instanceof Error ? error.stack : String(error)}` });
    process.exit(1);
  },
);
