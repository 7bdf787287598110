// bin/mesos-local in a child process, for the tests that need a master in
// another process: started with its first line read, ended with the test
// (SIGTERM, then SIGKILL after 10 s), however the test went.
import type { Test } from 'tap';
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { finishedText } from './process';
import { cleanEnv, ROOT } from './run';

export const LOCAL = resolve(ROOT, 'bin', 'mesos-local');

/** The test runner's environment without any MESOS_* variable, plus `extra`. */
export function localEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const key of Object.keys(env)) if (key.startsWith('MESOS_')) delete env[key];
  return { ...env, ...extra };
}

export interface Running {
  readonly child: ChildProcess;
  /** The first line on stdout. */
  readonly line: string;
  readonly url: string;
  readonly exited: ReturnType<typeof finishedText>;
}

/** Starts mesos-local and waits for its first line; it is ended when `t` ends, however the test went. */
export async function startLocal(t: Test, args: string[], env: NodeJS.ProcessEnv = localEnv()): Promise<Running> {
  const child = spawn(LOCAL, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = finishedText(child);
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    void exited.then((result) => reject(new Error(`mesos-local exited (${result.code}) before its first line: ${result.stderr}`)));
  });
  return { child, line, url: line.replace(/^Master started at /, ''), exited };
}

/** Resolves with the exit, or rejects after `ms`. */
export async function exitWithin(running: Running, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)));
  try {
    return await Promise.race([running.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}
