// Shared pieces of the local cluster's tests: a command task driven
// through the scheduler API over HTTP (an offer, ACCEPT with a LAUNCH, each
// UPDATE acknowledged), and what a stopped cluster must not leave behind.
import { readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { sep } from 'node:path';
import type { Offer, TaskStatus } from '../../src/master/types';
import { parseResourceText } from '../../src/master/index';
import type { Subscription } from './master';

/** A framework that runs its tasks as root, so that they can run on this machine. */
export const ROOT_FRAMEWORK = { user: 'root', name: 'local cluster test' };

/** The framework's next offer. */
export async function nextOffer(framework: Subscription, timeoutMs = 10_000): Promise<Offer> {
  return (await framework.next('OFFERS', timeoutMs)).offers!.offers[0]!;
}

/** Launches `command` as a command task on `offer`; throws unless the ACCEPT gets 202. */
export async function launch(url: string, framework: Subscription, offer: Offer, taskId: string, command: string): Promise<void> {
  const reply = await framework.call(url, {
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [
        {
          type: 'LAUNCH',
          launch: {
            task_infos: [
              { name: taskId, task_id: { value: taskId }, agent_id: offer.agent_id, resources: parseResourceText('cpus:0.1;mem:32'), command: { value: command } },
            ],
          },
        },
      ],
      filters: { refuse_seconds: 0 },
    },
  });
  if (reply.status !== 202) throw new Error(`ACCEPT: ${reply.status} ${reply.body}`);
}

/** The task's next UPDATE, acknowledged (throws unless the ACKNOWLEDGE gets 202). */
export async function acknowledgedUpdate(url: string, framework: Subscription, taskId: string, timeoutMs = 15_000): Promise<TaskStatus> {
  const status = await framework.update(taskId, undefined, timeoutMs);
  const reply = await framework.call(url, {
    type: 'ACKNOWLEDGE',
    acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid },
  });
  if (reply.status !== 202) throw new Error(`ACKNOWLEDGE: ${reply.status} ${reply.body}`);
  return status;
}

/** Acknowledged updates of `taskId` up to and including one in `state`. */
export async function updatesUntil(url: string, framework: Subscription, taskId: string, state: TaskStatus['state']): Promise<TaskStatus[]> {
  const statuses: TaskStatus[] = [];
  for (;;) {
    const status = await acknowledgedUpdate(url, framework, taskId);
    statuses.push(status);
    if (status.state === state) return statuses;
  }
}

/** Processes whose working directory is `directory` or under it (a task runs in its sandbox). */
export function processesUnder(directory: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === directory || cwd.startsWith(directory + sep)) found.push(Number(name));
    } catch {
      // Gone, or a kernel thread.
    }
  }
  return found;
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether 127.0.0.1:`port` can be listened on (the cluster released it). */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
