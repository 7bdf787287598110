// Runs the built programs the way an agent or an operator would.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const CONTAINERIZER = resolve(ROOT, 'bin', 'mesos-containerizer');
export const EXECUTE = resolve(ROOT, 'bin', 'mesos-execute');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment minus any MESOS_CONTAINERIZER_* the caller's shell had,
 * and minus the test runner's NODE_OPTIONS preloads, which would otherwise
 * load into every program we start.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('MESOS_CONTAINERIZER_') && key !== 'NODE_OPTIONS') env[key] = value;
  }
  return { ...env, ...extra };
}

export function run(file: string, args: readonly string[], options: SpawnSyncOptions = {}): Result {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: 60_000, env: cleanEnv(), ...options });
  if (result.error !== undefined) throw result.error;
  return {
    code: result.status,
    signal: result.signal,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}

export function containerizer(args: readonly string[], options: SpawnSyncOptions = {}): Result {
  return run(CONTAINERIZER, args, options);
}

export const isRoot = process.getuid?.() === 0;
