// Shared pieces of the scheduler client's tests: a Scheduler stopped at the
// end of the test however it ends, and a recorder of what it emits that a
// test can wait on.
import { Scheduler, type SchedulerEvents, type SchedulerOptions } from '../../src/scheduler/index';
import type { FrameworkInfo } from '../../src/scheduler/types';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const EVENT_NAMES: ReadonlyArray<keyof SchedulerEvents> = [
  'subscribed',
  'offers',
  'inverseOffers',
  'rescind',
  'rescindInverseOffer',
  'update',
  'operationStatus',
  'message',
  'failure',
  'error',
  'heartbeat',
  'disconnected',
  'event',
];

export interface Emitted {
  readonly name: keyof SchedulerEvents;
  readonly value: unknown;
  readonly at: number;
}

/** Everything a Scheduler emits, in order, with a way to wait for what has not come yet. */
export class Recorder {
  readonly emitted: Emitted[] = [];
  private readonly taken = new Set<number>();
  private waiters: Array<() => void> = [];

  constructor(readonly scheduler: Scheduler) {
    for (const name of EVENT_NAMES) {
      (scheduler as unknown as { on(name: string, fn: (value: unknown) => void): void }).on(name, (value: unknown) => {
        this.emitted.push({ name, value, at: Date.now() });
        const waiters = this.waiters;
        this.waiters = [];
        for (const waiter of waiters) waiter();
      });
    }
  }

  names(): string[] {
    return this.emitted.filter((e) => e.name !== 'event' && e.name !== 'heartbeat').map((e) => e.name);
  }

  all<K extends keyof SchedulerEvents>(name: K): Array<SchedulerEvents[K][0]> {
    return this.emitted.filter((e) => e.name === name).map((e) => e.value as SchedulerEvents[K][0]);
  }

  /** The first emission of `name` not yet taken that matches; fails after `timeoutMs`. */
  async next<K extends keyof SchedulerEvents>(
    name: K,
    match: (value: SchedulerEvents[K][0]) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<SchedulerEvents[K][0]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = 0; i < this.emitted.length; i++) {
        const e = this.emitted[i]!;
        if (!this.taken.has(i) && e.name === name && match(e.value as SchedulerEvents[K][0])) {
          this.taken.add(i);
          return e.value as SchedulerEvents[K][0];
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${name} within ${timeoutMs} ms; got ${this.names().join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export function testFramework(extra: Partial<FrameworkInfo> = {}): FrameworkInfo {
  return { user: 'tester', name: 'scheduler test', ...extra };
}

/** A Scheduler on `master` (not started), stopped when the test ends, with a recorder. */
export function testScheduler(
  t: Teardown,
  master: string,
  options: Partial<SchedulerOptions> = {},
): { scheduler: Scheduler; events: Recorder } {
  const scheduler = new Scheduler({ master, framework: testFramework(), ...options });
  const events = new Recorder(scheduler);
  t.teardown(() => scheduler.stop());
  return { scheduler, events };
}
