// mesos-execute --docker_image with its local cluster, as root: an image
// the test builds from busybox-static (three layers, a whiteout, an
// opaque directory; Entrypoint, Cmd, Env and WorkingDir) is pushed with
// skopeo to Debian's docker-registry on 127.0.0.1 (started and stopped
// by the test); the task runs the image's entrypoint, or a command of its
// own in the image's files, and writes into a layer of its own, never the
// store's; an image the registry doesn't have fails the task in one line.
// Run `npm run build` first.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { startLocal, localEnv } from './helpers/mesos-local';
import { buildImage, busyboxLayer, freePort, skopeoCopy, startProxy, startRegistry, writeLayout } from './helpers/oci';
import { finishedText, testDir } from './helpers/process';
import { cleanEnv, EXECUTE, isRoot } from './helpers/run';

const needs = !isRoot ? 'needs root' : ['docker-registry', 'skopeo'].find((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);

t.test('a task in an image from a registry', { skip: needs === undefined ? false : `needs ${needs}` }, async (t) => {
  const dir = realpathSync(testDir(t, 'execute-image-'));
  const registry = await startRegistry(t, join(dir, 'registry'));
  const image = buildImage({
    layers: [
      busyboxLayer(),
      [{ name: 'etc/', type: '5' }, { name: 'etc/motd', data: 'layer two\n' }, { name: 'etc/gone', data: 'x\n' }, { name: 'etc/d/', type: '5' }, { name: 'etc/d/old', data: 'old\n' }],
      [{ name: 'etc/.wh.gone', data: '' }, { name: 'etc/d/', type: '5' }, { name: 'etc/d/.wh..wh..opq', data: '' }, { name: 'etc/d/new', data: 'new\n' }, { name: 'etc/motd', data: 'layer three\n' }],
    ],
    config: {
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo "$GREETING from $(pwd)"; cat /etc/motd; ls /etc/d; test -e /etc/gone || echo gone'],
      Env: ['PATH=/bin', 'GREETING=hello'],
      WorkingDir: '/etc',
    },
  });
  writeLayout(join(dir, 'layout'), [{ tag: 'v1', top: image.manifest, mediaType: image.mediaType }], [image]);
  await skopeoCopy(join(dir, 'layout'), 'v1', `docker://${registry.host}/demo/app:v1`);
  const env = cleanEnv({ TMPDIR: dir, MESOS_DOCKER_REGISTRY: `http://${registry.host}` });
  const execute = (args: string[]) => spawnSync(EXECUTE, args, { env, encoding: 'utf8', timeout: 120_000 });

  const entrypoint = execute(['--name=app', '--docker_image=demo/app:v1', '--shell=false']);
  t.equal(entrypoint.status, 0, entrypoint.stderr);
  t.equal(entrypoint.stdout, 'hello from /etc\nlayer three\nnew\ngone\n', "the image's entrypoint and cmd, env, working directory and layers");

  const own = execute(['--name=own', '--docker_image=demo/app:v1', '--command=echo "$GREETING $0"; touch /written && ls /written; cat /etc/motd; pwd; touch "$MESOS_SANDBOX/x" && echo "$MESOS_SANDBOX"']);
  t.equal(own.status, 0, own.stderr);
  t.equal(own.stdout, 'hello sh\n/written\nlayer three\n/etc\n/mnt/mesos/sandbox\n', "a command of its own, in the image, writing into its own layer; in the image's working directory, its sandbox at Mesos's place");

  const missing = execute(['--name=missing', '--docker_image=demo/none:v1', '--command=true']);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /Received status update TASK_FAILED for task 'missing'\n  message: 'Failed to launch container: Failed to pull image [^\n]*'\n  source: SOURCE_AGENT\n  reason: REASON_CONTAINER_LAUNCH_FAILED\n$/);

  t.notOk(existsSync(join(dir, 'mesos', 'work')) && readdirSync(join(dir, 'mesos', 'work')).length > 0, "the clusters' work directories, the store with them, are gone");
  const appc = spawnSync(EXECUTE, ['--name=x', '--command=true', '--appc_image=x'], { env, encoding: 'utf8' });
  t.match(appc.stderr, /^Flag --appc_image is not supported yet: only Docker images are provisioned \(--docker_image\)\n$/);
});

t.test('through one mesos-local: two tasks of one image download each layer once; a tampered layer fails its task and leaves nothing', { skip: needs === undefined ? false : `needs ${needs}` }, async (t) => {
  const dir = realpathSync(testDir(t, 'execute-image-'));
  const registry = await startRegistry(t, join(dir, 'registry'));
  const good = buildImage({ layers: [busyboxLayer(), [{ name: 'etc/', type: '5' }, { name: 'etc/motd', data: 'good\n' }]] });
  const bad = buildImage({ layers: [busyboxLayer(), [{ name: 'etc/', type: '5' }, { name: 'etc/motd', data: 'tampered on the way\n' }]] });
  for (const [name, image] of [['demo/good', good], ['demo/bad', bad]] as const) {
    const layout = join(dir, `layout-${name.split('/')[1]}`);
    writeLayout(layout, [{ tag: 'v1', top: image.manifest, mediaType: image.mediaType }], [image]);
    await skopeoCopy(layout, 'v1', `docker://${registry.host}/${name}:v1`);
  }
  const target = bad.layers[1]!.digest;
  const proxy = await startProxy(t, registry.host, {
    tamper: (path, body) => {
      if (!path.endsWith(target)) return undefined;
      const changed = Buffer.from(body);
      changed[changed.length - 10]! ^= 0xff;
      return changed;
    },
  });
  const port = await freePort();
  const workDir = join(dir, 'work');
  await startLocal(t, [`--port=${port}`, `--work_dir=${workDir}`], localEnv({ MESOS_DOCKER_REGISTRY: `http://${proxy.host}` }));
  const execute = (args: string[]) => {
    const child = spawn(EXECUTE, [`--master=127.0.0.1:${port}`, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    return finishedText(child);
  };

  const [one, two] = await Promise.all([
    execute(['--name=one', '--docker_image=demo/good:v1', '--command=cat /etc/motd']),
    execute(['--name=two', '--docker_image=demo/good:v1', '--command=cat /etc/motd']),
  ]);
  t.equal(one.code, 0, one.stdout + one.stderr);
  t.equal(two.code, 0, two.stdout + two.stderr);
  for (const layer of good.layers) t.equal(proxy.count(new RegExp(`blobs/${layer.digest}$`)), 1, `${layer.digest.slice(0, 19)}: downloaded once for both tasks`);

  const tampered = await execute(['--name=bad', '--docker_image=demo/bad:v1', '--command=cat /etc/motd']);
  t.equal(tampered.code, 1);
  t.match(tampered.stdout, new RegExp(`Received status update TASK_FAILED for task 'bad'\\n  message: 'Failed to launch container: Failed to pull image '[^']*demo/bad:v1': Layer ${target} has digest sha256:[0-9a-f]{64}: refused'\\n  source: SOURCE_AGENT\\n  reason: REASON_CONTAINER_LAUNCH_FAILED\\n`));
  const store = join(workDir, 'agents', '0', 'work', 'store', 'docker');
  const layers = readdirSync(join(store, 'layers', 'sha256'));
  t.notOk(layers.includes(target.replace('sha256:', '')), 'the tampered layer is not in the store');
  t.same(layers.sort(), good.layers.map((layer) => layer.digest.replace('sha256:', '')).sort(), "only the good image's layers are (the shared busybox layer once)");
  t.same(readdirSync(join(store, 'staging')), [], 'nothing half-written in staging');
});
