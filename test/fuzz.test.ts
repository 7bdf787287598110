// Property-based fuzzing of what `launch` reads before it changes anything:
// the flag loader, the launch description parsers and the planner
// (in-process, over ten thousand cases), then a hundred whole `launch` runs.
//
// The rule every case checks: bad input is refused with exactly one line
// (a FlagError, LaunchInfoError or PlanError in-process; one line on stderr,
// exit 1 and status 256 from the program), never anything else: no other
// exception, no stack trace, no second line.
//
// Seeds are random; a failure prints the seed and the input. Set FUZZ_SEED
// to replay one, FUZZ_PROCESS_RUNS to change the number of whole runs.
// bench/fuzz.ts runs the same properties longer.
import t from 'tap';
import fc from 'fast-check';
import { CONTAINERIZER } from './helpers/run';
import { failureReport, helperEnv, inProcessProperties, processCase, runProcessCase } from './helpers/fuzz';

const seed = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };
let total = 0;

t.test('in-process: loader, parsers and planner refuse bad input with one line', async (t) => {
  const started = Date.now();
  let inProcess = 0;
  for (const run of inProcessProperties()) {
    t.test(run.name, async (t) => {
      const result = fc.check(run.property, { numRuns: run.runs, ...seed });
      inProcess += run.executed();
      t.comment(`${run.name}: ${run.executed()} cases (seed ${result.seed})`);
      t.notOk(result.failed, `only ${run.throws} is thrown${result.failed ? `: ${failureReport(result)}` : ''}`);
      const { count, examples } = run.violations;
      const shown = examples.map((example) => `${example.input} -> ${example.message}`).join(' | ');
      t.equal(count, 0, `every rejection is one line${count === 0 ? '' : `: ${count} were not, e.g. ${shown}`}`);
    });
  }
  t.teardown(() => {
    total += inProcess;
    t.comment(`in-process: ${inProcess} cases in ${Date.now() - started} ms`);
  });
});

t.test('whole process: launch rejects fuzzed input with one line, exit 1, status 256, and runs nothing', async (t) => {
  const runs = Number(process.env.FUZZ_PROCESS_RUNS ?? 100);
  let executed = 0;
  const started = Date.now();
  const env = helperEnv();
  const property = fc.asyncProperty(processCase, async (testCase) => {
    executed++;
    const bad = await runProcessCase(CONTAINERIZER, testCase, env);
    if (bad !== undefined) throw new Error(bad);
  });
  // No shrinking: each run is a process start, and the failing input is printed whole.
  const result = await fc.check(property, { numRuns: runs, endOnFailure: true, ...seed });
  total += executed;
  t.comment(`whole process: ${executed} runs in ${Date.now() - started} ms (seed ${result.seed})`);
  t.notOk(result.failed, `every run is refused with one line${result.failed ? `: ${failureReport(result)}` : ''}`);
});

t.teardown(() => t.comment(`fuzz cases executed in total: ${total}`));
