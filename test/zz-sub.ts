import { startMaster } from '../src/master/index';
import { Scheduler } from '../src/scheduler/index';
(async () => {
  let t0 = performance.now();
  const master = await startMaster({ port: 0, ip: '127.0.0.1', hostname: 'x' });
  console.log('master', (performance.now() - t0).toFixed(1));
  for (const ct of ['protobuf', 'json', 'protobuf'] as const) {
    t0 = performance.now();
    const s = new Scheduler({ master: master.url, framework: { user: 'root', name: 'x' }, contentType: ct });
    await s.start();
    console.log('subscribe', ct, (performance.now() - t0).toFixed(1));
    s.stop();
  }
  await master.stop();
})();
