// Two processes pulling one image into one store, and a pull killed
// half-way: every layer in the store is whole, and what a dead process
// left in staging/ goes at the next start. Needs root, docker-registry and skopeo.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvisioner } from '../src/agent/provisioner';
import { buildImage, busyboxLayer, skopeoCopy, startProxy, startRegistry, writeLayout } from './helpers/oci';
import { bundleWithAddon, finishedText, testDir, waitFor } from './helpers/process';

t.test('processes sharing a store', async (t) => {
  const dir = testDir(t, 'mc-pull-processes-');
  mkdirSync(join(dir, 'bundle'));
  const { pull } = bundleWithAddon(join(dir, 'bundle'), { pull: 'bench/pull.ts' });
  const registry = await startRegistry(t, join(dir, 'registry'));
  const image = buildImage({ layers: [busyboxLayer(), [{ name: 'etc/motd', data: 'shared\n' }], [{ name: 'big', data: Buffer.alloc(4 << 20, 7) }]] });
  writeLayout(join(dir, 'layout'), [{ tag: 'v1', top: image.manifest, mediaType: image.mediaType }], [image]);
  await skopeoCopy(join(dir, 'layout'), 'v1', `docker://${registry.host}/demo/shared:v1`);
  const store = join(dir, 'store');

  t.test('two at once end whole', async (t) => {
    const proxy = await startProxy(t, registry.host);
    const run = () => {
      const child = spawn(process.execPath, [pull, 'pull', store, `http://${proxy.host}`, 'demo/shared:v1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      return finishedText(child);
    };
    const results = await Promise.all([run(), run()]);
    for (const result of results) {
      t.equal(result.code, 0, result.stderr);
      t.equal(result.stdout, `${image.manifest.digest} 3 layers\n`);
    }
    t.same(readdirSync(join(store, 'staging')), []);
    t.same(readdirSync(join(store, 'layers', 'sha256')).sort(), image.layers.map((layer) => layer.digest.slice(7)).sort());
    const cached = await new DockerProvisioner({ storeDir: store, registry: `http://${proxy.host}` }).provision('demo/shared:v1');
    t.equal(cached.cached, true);
    t.equal(readFileSync(join(cached.layers[1], 'etc/motd'), 'utf8'), 'shared\n');
  });

  t.test('a pull killed half-way leaves no layer, and its staging goes at the next start', async (t) => {
    const fresh = join(dir, 'fresh');
    const slow = await startProxy(t, registry.host, { stallBlobsMs: 5000 });
    const child = spawn(process.execPath, [pull, 'pull', fresh, `http://${slow.host}`, 'demo/shared:v1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done = finishedText(child);
    await waitFor('a layer being pulled', () => (slow.count(/\/blobs\/sha256/) >= 3 ? true : undefined), 10_000);
    await waitFor('staging in use', () => (readdirSync(join(fresh, 'staging')).length > 0 ? true : undefined), 10_000);
    child.kill('SIGKILL');
    await done;
    t.same(readdirSync(join(fresh, 'layers', 'sha256')), [], 'no layer was put in place');
    t.same(readdirSync(join(fresh, 'images', 'sha256')), []);
    t.ok(readdirSync(join(fresh, 'staging')).every((name) => name.startsWith(`${child.pid}-`)), 'only the dead process staged anything');
    const proxy = await startProxy(t, registry.host);
    const pulled = await new DockerProvisioner({ storeDir: fresh, registry: `http://${proxy.host}` }).provision('demo/shared:v1');
    t.equal(pulled.cached, false);
    t.same(readdirSync(join(fresh, 'staging')), [], "the dead process's staging is gone");
    t.same(readFileSync(join(pulled.layers[2], 'big')), Buffer.alloc(4 << 20, 7));
  });
});
