// An agent in a process of its own, for tests that kill it: starts a
// LocalAgent on the work directory given as its only argument, runs one
// long task and prints what can be seen of it (a TaskView, as JSON) on one
// line once it runs; then waits to be killed. Bundled by the test that
// uses it (see agent-faults.test.ts).
import { LocalAgent } from '../../src/agent/local-agent';
import { commandTask, framework, MasterStub } from './master-stub';

async function main(): Promise<void> {
  const workDir = process.argv[2]!;
  const stub = new MasterStub(true);
  const agent = await LocalAgent.start({ workDir, warn: (message) => process.stderr.write(`${message}\n`) }, stub.register);
  agent.runTask(framework('F'), commandTask('sleeper', 'exec sleep 600'));
  await stub.waitForState('sleeper', 'TASK_RUNNING');
  process.stdout.write(`${JSON.stringify(agent.taskView('F', 'sleeper'))}\n`);
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
