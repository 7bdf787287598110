// Starting a LocalAgent for a test: in a fresh work directory unless one is
// given, registered with `stub`, closed when the test ends. A warning
// during the test fails it; one while closing is shown.
import type { Test } from 'tap';
import { LocalAgent, type LocalAgentOptions } from '../../src/agent/local-agent';
import type { MasterStub } from './master-stub';
import { testDir } from './process';

export async function startAgent(t: Test, stub: MasterStub, options: Partial<LocalAgentOptions> = {}): Promise<LocalAgent> {
  const workDir = options.workDir ?? testDir(t, 'agent-');
  let over = false;
  const warn = (message: string) => (over ? console.error(`agent warning: ${message}`) : t.fail(`the agent warned: ${message}`));
  const agent = await LocalAgent.start({ warn, ...options, workDir }, stub.register);
  t.teardown(async () => {
    over = true;
    await agent.close();
  });
  return agent;
}
