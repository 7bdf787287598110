// A longer run of the fuzz properties of test/fuzz.test.ts: the flag
// loader, the launch description parsers and the planner in-process, then
// whole `launch` runs (each with a control pipe the agent has closed, so
// nothing ever runs).
//
// Run from the repository root, after `npm run build`:
//
//   npx esbuild bench/fuzz.ts --bundle --platform=node --target=node20 \
//     --log-level=warning --outfile=/tmp/bench-fuzz.js && node /tmp/bench-fuzz.js
//
// (or, without bundling, through the TypeScript loader tap ships with:
//  node -r @isaacs/ts-node-temp-fork-for-pr-2009/register/transpile-only bench/fuzz.ts)
//
// Settings, all optional, from the environment:
//   FUZZ_SCALE=10           in-process runs, as a multiple of the CI run (11,000 cases)
//   FUZZ_PROCESS_RUNS=500   whole-process runs (0 skips them)
//   FUZZ_SEED=n             replay a seed that a run printed
//   MC_CONTAINERIZER=path   the program to run (default: bin/mesos-containerizer here)
//
// Exits 1 when a property fails, printing the seed and the input.
import { resolve } from 'node:path';
import fc from 'fast-check';
import { failureReport, inProcessProperties, processCase, runProcessCase } from '../test/helpers/fuzz';

async function main(): Promise<number> {
  const scale = Number(process.env.FUZZ_SCALE ?? 10);
  const processRuns = Number(process.env.FUZZ_PROCESS_RUNS ?? 500);
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  const containerizer = resolve(process.env.MC_CONTAINERIZER ?? 'bin/mesos-containerizer');
  const seeded = seed === undefined ? {} : { seed };
  let failures = 0;
  let total = 0;

  const started = Date.now();
  for (const run of inProcessProperties(scale)) {
    const begin = Date.now();
    const result = fc.check(run.property, { numRuns: run.runs, ...seeded });
    total += run.executed();
    const { count, examples } = run.violations;
    const verdict = result.failed ? 'FAILED' : count > 0 ? `${count} multi-line rejections` : 'ok';
    console.log(`${run.name}: ${run.executed()} cases in ${Date.now() - begin} ms, seed ${result.seed}: ${verdict}`);
    if (result.failed) console.log(failureReport(result));
    for (const example of examples) console.log(`  e.g. ${example.input} -> ${example.message}`);
    if (result.failed || count > 0) failures++;
  }
  console.log(`in-process: ${total} cases in ${Date.now() - started} ms`);

  if (processRuns > 0) {
    const begin = Date.now();
    let executed = 0;
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('MESOS_CONTAINERIZER_')) env[key] = value;
    const property = fc.asyncProperty(processCase, async (testCase) => {
      executed++;
      const bad = await runProcessCase(containerizer, testCase, env);
      if (bad !== undefined) throw new Error(bad);
    });
    const result = await fc.check(property, { numRuns: processRuns, endOnFailure: true, ...seeded });
    total += executed;
    console.log(`whole process: ${executed} runs in ${Date.now() - begin} ms, seed ${result.seed}: ${result.failed ? 'FAILED' : 'ok'}`);
    if (result.failed) {
      console.log(failureReport(result));
      failures++;
    }
  }
  console.log(`total: ${total} cases, ${failures} failing properties`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
