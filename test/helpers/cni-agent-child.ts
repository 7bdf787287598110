// An agent in a process of its own, for the CNI tests, which start it in a
// network namespace they made, with a mount namespace of its own: its
// bridges, veths, iptables rules and namespace binds then live there. Its options come as JSON in argv[2].
// It reads one command a line on stdin and writes one event a line:
//
//   {"op":"run","task":TaskInfo}   ->  {"update":TaskStatus} as updates come
//   {"op":"kill","taskId":"t"}
//   {"op":"mounts"}                ->  {"mounts":[mount points under the work directory]}
//   {"op":"close"}                 ->  {"closed":true}, and the process exits
//   {"op":"exit"}                  ->  process.exit() at once, tasks running
//
// First {"started":true}, or {"startError":"..."} and exit. Warnings are
// {"warn":"..."}. Bundled by the test (see test/agent-cni.test.ts).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { LocalAgent, type LocalAgentOptions } from '../../src/agent/local-agent';
import { framework, MasterStub } from './master-stub';

const emit = (event: unknown) => process.stdout.write(`${JSON.stringify(event)}\n`);

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(dir));
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]!) as LocalAgentOptions;
  const stub = new MasterStub(true);
  const register: typeof stub.register = (registration, agent) => {
    const link = stub.register(registration, agent);
    return { ...link, statusUpdate: (update) => (emit({ update: update.status }), link.statusUpdate(update)) };
  };
  let agent: LocalAgent;
  try {
    agent = await LocalAgent.start({ ...options, warn: (message) => emit({ warn: message }) }, register);
  } catch (error) {
    emit({ startError: (error as Error).message });
    return;
  }
  emit({ started: true });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = JSON.parse(line) as { op: string; task?: never; taskId?: string };
    if (command.op === 'run') agent.runTask(framework('F'), command.task!);
    else if (command.op === 'kill') agent.killTask('F', command.taskId!);
    else if (command.op === 'mounts') emit({ mounts: mountsUnder(options.workDir) });
    else if (command.op === 'close') break;
    // Our process ends with its tasks running: what Container.abandon leaves, the next start finds.
    else if (command.op === 'exit') process.exit(0);
  }
  await agent.close();
  emit({ closed: true });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    emit({ warn: `child failed: ${error instanceof Error ? error.stack : String(error)}` });
    process.exit(1);
  },
);
