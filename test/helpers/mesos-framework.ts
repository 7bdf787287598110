// The npm package mesos-framework (0.5.x), a JavaScript framework library
// that speaks the v1 scheduler API in JSON, driven from a test: its log
// files go to a temporary directory, what it emits is recorded, and at the
// end it is made to stop, which it has no call for (it resubscribes
// whenever its stream ends, for ever).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';

interface Teardown {
  teardown(fn: () => unknown): void;
}

// The package has no types; this is what the tests use of it.
export interface MesosFramework extends EventEmitter {
  frameworkId: string | null;
  mesosStreamId: string | null;
  launchedTasks: Array<{ taskId: string; runtimeInfo?: { state?: string } }>;
  pendingTasks: unknown[];
  logger: { close(): void };
  httpRequest: { destroy?: () => void };
  subscribe(): void;
  teardown(): void;
  kill(taskId: string, agentId: string): void;
}

interface Package {
  Scheduler: new (options: Record<string, unknown>) => MesosFramework;
  Mesos: { getMesos(): { CommandInfo: new (...args: unknown[]) => unknown } };
}

export const mesosFramework = require('mesos-framework') as Package;

/** A CommandInfo as the package builds them: (uris, environment, shell, value, arguments, user). */
export function shellCommand(command: string): unknown {
  const Mesos = mesosFramework.Mesos.getMesos();
  return new Mesos.CommandInfo(null, null, true, command, null, null);
}

export interface Emission {
  readonly name: string;
  readonly value: unknown;
}

export const FRAMEWORK_EVENTS = [
  'ready',
  'subscribed',
  'offers',
  'update',
  'rescind',
  'message',
  'failure',
  'heartbeat',
  'error',
  'task_launched',
  'sent_subscribe',
  'sent_accept',
  'sent_decline',
  'sent_acknowledge',
  'sent_teardown',
  'sent_kill',
];

/** A mesos-framework Scheduler for the master on 127.0.0.1:`port`, subscribed once it is ready. */
export function startMesosFramework(
  t: Teardown,
  port: number,
  options: Record<string, unknown> = {},
): { framework: MesosFramework; emitted: Emission[]; next(name: string, match?: (value: unknown) => boolean, timeoutMs?: number): Promise<unknown> } {
  const logs = mkdtempSync(join(tmpdir(), 'mesos-framework-'));
  const framework = new mesosFramework.Scheduler({
    masterUrl: '127.0.0.1',
    port,
    frameworkName: 'mesos framework test',
    logging: { path: logs, fileName: 'mesos-framework.log', level: 'error' },
    ...options,
  });
  const emitted: Emission[] = [];
  let waiters: Array<() => void> = [];
  for (const name of FRAMEWORK_EVENTS) {
    framework.on(name, (value: unknown) => {
      emitted.push({ name, value });
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    });
  }
  framework.on('ready', () => framework.subscribe());
  t.teardown(() => {
    framework.subscribe = () => {};
    framework.httpRequest.destroy?.();
    framework.logger.close();
    rmSync(logs, { recursive: true, force: true });
  });
  const taken = new Set<number>();
  const next = async (name: string, match: (value: unknown) => boolean = () => true, timeoutMs = 5000): Promise<unknown> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = emitted.findIndex((e, index) => !taken.has(index) && e.name === name && match(e.value));
      if (i >= 0) {
        taken.add(i);
        return emitted[i]!.value;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`mesos-framework emitted no ${name} within ${timeoutMs} ms; got ${emitted.map((e) => e.name).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return { framework, emitted, next };
}

/** The message of an 'error' emission: the package emits Errors, plain objects and strings. */
export function errorText(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  return String((value as { message?: unknown } | undefined)?.message ?? JSON.stringify(value));
}
