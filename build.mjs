// Builds what `npm ci` leaves runnable: the protobuf descriptors and types
// (build-proto.mjs), one bundle per program (start-up time is paid by every
// container, so each loads as a single file), the library (src/index.ts) and
// its declarations, the Node-API addon that makes our libc calls, and the
// waiter program.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildProto } from './build-proto.mjs';

// First: the bundles and the type check read what it generates.
buildProto();

const programs = {
  'mesos-containerizer': 'src/main.ts',
  'mesos-execute': 'src/execute/main.ts',
  'mesos-local': 'src/local/main.ts',
};

await Promise.all(
  Object.entries(programs).map(([name, entry]) =>
    build({
      entryPoints: [entry],
      outfile: `dist/${name}.js`,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    }),
  ),
);

// The library: what `require('mesos-containerizer')` and `import` load.
// Not minified, so that its users' stack traces read; protobufjs is left to
// the package's dependency rather than carried a second time.
await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['protobufjs'],
  legalComments: 'none',
  logLevel: 'warning',
});
buildDeclarations();

const warnings = ['-O2', '-Wall', '-Wextra', '-Werror'];
const cc = (args) => execFileSync('cc', [...warnings, ...args], { stdio: 'inherit' });
mkdirSync('native/build', { recursive: true });

// The addon: symbols of Node-API are resolved against the running node.
const headers = join(dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include');
cc(['-shared', '-fPIC', '-fvisibility=hidden', `-I${headers}`, '-o', 'native/build/addon.node', 'native/addon.c', 'native/exec.c', 'native/seccomp.c', 'native/fs.c', 'native/net.c']);

// The waiter stays resident beside every task: static, so it loads nothing
// and holds well under a megabyte.
cc(['-static', '-s', '-o', 'native/build/waiter', 'native/waiter.c']);
// mesos-execute's namespace starter, static for the same reasons.
cc(['-static', '-s', '-o', 'native/build/clone', 'native/clone.c']);

// A V8 code cache for each bundle: what bin/ loads it with (V8 checks that
// the cache fits the node that reads it). Each holds every function of its
// bundle, compiled at once (V8's --no-lazy, for that compile only: V8 also
// checks that the flags match). A training run would stop where a build
// can't follow: the helper at its agent's control pipe, before any mount;
// mesos-execute and mesos-local before their cluster, which needs root.
// What such a cache lacks is compiled from source in every container start
// and every run. A whole cache costs a few milliseconds more to load, and
// saves tens.
const makeCache = `
  const { readFileSync, writeFileSync } = require('fs');
  const { wrap } = require('module');
  const { setFlagsFromString } = require('v8');
  const { Script } = require('vm');
  const [file, cache] = process.argv.slice(1);
  const source = wrap(readFileSync(file, 'utf8'));
  setFlagsFromString('--no-lazy');
  const script = new Script(source, { filename: file });
  setFlagsFromString('--lazy');
  writeFileSync(cache, script.createCachedData());
`;
for (const name of Object.keys(programs)) {
  execFileSync(process.execPath, ['-e', makeCache, `dist/${name}.js`, `dist/${name}.cache`], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

// The library's declarations (tsconfig.lib.json), under dist/types/ as the
// sources lie. tsc writes one for every module the library imports; only
// those that the entry's declaration reaches through its imports are kept,
// so the package carries the types of its surface and not the helper's.
function buildDeclarations() {
  const outDir = 'dist/types';
  rmSync(outDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.lib.json'], { stdio: 'inherit' });
  const reached = new Set();
  const pending = [join(outDir, 'src/index.d.ts')];
  while (pending.length > 0) {
    const file = pending.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g)) {
      const base = join(dirname(file), specifier);
      const target = [`${base}.d.ts`, join(base, 'index.d.ts')].find((candidate) => existsSync(candidate));
      if (target === undefined) throw new Error(`${file} imports ${specifier}, which has no declaration`);
      pending.push(target);
    }
  }
  const prune = (directory) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        prune(path);
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      } else if (!reached.has(path)) {
        rmSync(path);
      }
    }
  };
  prune(outDir);
}
