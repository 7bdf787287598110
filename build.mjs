// Builds what `npm ci` leaves runnable: one bundle per program (start-up
// time is paid by every container, so each loads as a single file) and the
// small native programs under native/.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';

const programs = {
  'mesos-containerizer': 'src/main.ts',
  'mesos-execute': 'src/execute/main.ts',
};

await Promise.all(Object.entries(programs).map(([name, entry]) => build({
  entryPoints: [entry],
  outfile: `dist/${name}.js`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['koffi'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
})));

// Each native/*.c is one standalone program, linked statically so that it
// loads nothing and stays small in memory.
mkdirSync('native/build', { recursive: true });
for (const source of readdirSync('native').filter((f) => f.endsWith('.c'))) {
  const output = `native/build/${source.slice(0, -2)}`;
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-static', '-o', output, `native/${source}`], {
    stdio: 'inherit',
  });
}
