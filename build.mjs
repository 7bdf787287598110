// Builds what `npm ci` leaves runnable: one bundle per program (start-up
// time is paid by every container, so each loads as a single file), the
// Node-API addon that makes our libc calls, and the waiter program.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const programs = {
  'mesos-containerizer': 'src/main.ts',
  'mesos-execute': 'src/execute/main.ts',
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

const warnings = ['-O2', '-Wall', '-Wextra', '-Werror'];
const cc = (args) => execFileSync('cc', [...warnings, ...args], { stdio: 'inherit' });
mkdirSync('native/build', { recursive: true });

// The addon: symbols of Node-API are resolved against the running node.
const headers = join(dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include');
cc(['-shared', '-fPIC', '-fvisibility=hidden', `-I${headers}`, '-o', 'native/build/addon.node', 'native/addon.c', 'native/exec.c', 'native/seccomp.c']);

// The waiter stays resident beside every task: static, so it loads nothing
// and holds well under a megabyte.
cc(['-static', '-o', 'native/build/waiter', 'native/waiter.c']);
// mesos-execute's namespace starter, static for the same reasons.
cc(['-static', '-o', 'native/build/clone', 'native/clone.c']);
