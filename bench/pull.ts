// The two sides of bench/pull.sh, bundled by it to dist/bench-pull.js:
//
//   node dist/bench-pull.js layout DIR LAYERS MIB   an OCI layout at DIR, tag v1:
//       busybox, then LAYERS layers of about MIB MiB each of this machine's
//       own files from /usr (programs, libraries, data: what images hold,
//       as compressible as they are), no file in two layers
//   node dist/bench-pull.js pull STORE REGISTRY REF  a cold (or warm) pull of REF
//       from REGISTRY into the store at STORE, as the agent does it; with
//       BENCH_PULL_TIMES=FILE, the milliseconds the pull itself took (without
//       Node's start) are appended to FILE
//   node dist/bench-pull.js floor download|gunzip REGISTRY REF TIMES
//       what any pull of REF in this process costs at least: its manifest,
//       config and every layer (3 at a time, as the provider takes them)
//       through its registry client, each layer hashed and checked against
//       its digest; with
//       gunzip, also decompressed, the bytes then dropped. Nothing is
//       written. The milliseconds it took (without Node's start) are
//       appended to TIMES
import { createHash } from 'node:crypto';
import { appendFileSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DockerProvisioner } from '../src/agent/provisioner';
import { parseReference, parseRegistryFlag, resolveReference } from '../src/agent/provisioner/reference';
import { RegistrySource } from '../src/agent/provisioner/registry';
import { CONFIG_LIMIT } from '../src/agent/provisioner/source';
import { buildImage, busyboxLayer, writeLayout, type TarSpec } from '../test/helpers/oci';

/** Regular files under `dir`, depth first in name order, the unreadable skipped. */
function* filesUnder(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) yield* filesUnder(path);
    else if (stat.isFile() && stat.size > 0 && stat.size < 4 * 1024 * 1024) yield path;
  }
}

function layers(count: number, mib: number): TarSpec[][] {
  const files = filesUnder('/usr');
  const result: TarSpec[][] = [];
  for (let index = 0; index < count; index++) {
    const entries: TarSpec[] = [];
    const dirs = new Set<string>();
    let size = 0;
    while (size < mib * 1024 * 1024) {
      const next = files.next();
      if (next.done) throw new Error('not enough files under /usr for the layers asked for');
      const name = next.value.slice(1);
      for (let dir = dirname(name); dir !== '.' && !dirs.has(dir); dir = dirname(dir)) dirs.add(dir);
      const data = readFileSync(next.value);
      entries.push({ name, data, mode: 0o644 });
      size += data.length;
    }
    result.push([...[...dirs].sort().map((dir) => ({ name: `${dir}/`, type: '5' })), ...entries]);
  }
  return result;
}

/** The floor of a pull of `reference`: see the header. */
async function floor(mode: string, registry: string, reference: string): Promise<void> {
  if (mode !== 'download' && mode !== 'gunzip') throw new Error(`floor: '${mode}' is neither download nor gunzip`);
  const flag = parseRegistryFlag(registry);
  if (flag.kind !== 'registry') throw new Error('floor: the registry must be a URL');
  const source = new RegistrySource(resolveReference(parseReference(reference), flag.endpoint));
  const { manifest } = await source.manifest();
  await source.blobBytes(manifest.config, CONFIG_LIMIT);
  const layers = [...manifest.layers];
  const worker = async (): Promise<void> => {
    for (let layer = layers.shift(); layer !== undefined; layer = layers.shift()) {
      const body = await source.openBlob(layer);
      const hash = createHash('sha256');
      body.on('data', (chunk: Buffer) => hash.update(chunk));
      if (mode === 'gunzip') {
        // The provider's chunk size (unpack.ts).
        const gunzip = body.pipe(createGunzip({ chunkSize: 256 * 1024 }));
        gunzip.resume();
        await finished(gunzip);
      } else {
        await finished(body);
      }
      const digest = `sha256:${hash.digest('hex')}`;
      if (digest !== layer.digest) throw new Error(`floor: layer ${layer.digest} has digest ${digest}`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === 'layout') {
    const [dir, count, mib] = args;
    const image = buildImage({
      layers: [busyboxLayer(), ...layers(Number(count), Number(mib))],
      config: { Cmd: ['/bin/sh'] },
    });
    writeLayout(dir, [{ tag: 'v1', top: image.manifest, mediaType: image.mediaType }], [image]);
    return;
  }
  if (command === 'pull') {
    const [storeDir, registry, reference] = args;
    const started = process.hrtime.bigint();
    const image = await new DockerProvisioner({ storeDir, registry }).provision(reference);
    const times = process.env.BENCH_PULL_TIMES;
    if (times !== undefined) appendFileSync(times, `${Number(process.hrtime.bigint() - started) / 1e6}\n`);
    process.stdout.write(`${image.manifestDigest} ${image.layers.length} layers\n`);
    return;
  }
  if (command === 'floor') {
    const [mode, registry, reference, times] = args;
    const started = process.hrtime.bigint();
    await floor(mode, registry, reference);
    appendFileSync(times, `${Number(process.hrtime.bigint() - started) / 1e6}\n`);
    return;
  }
  throw new Error('usage: bench-pull.js layout DIR LAYERS MIB | pull STORE REGISTRY REF | floor download|gunzip REGISTRY REF TIMES');
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
