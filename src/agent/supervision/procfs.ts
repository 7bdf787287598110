// What /proc and the runtime directory say about the helper.
import { readFileSync } from 'node:fs';
import { statFields } from '../../subcommand/proc-stat';

/**
 * Whether `pid` handles every signal from 1 to 31 but SIGKILL, SIGCHLD and
 * SIGSTOP (SigCgt in /proc/<pid>/status): what the helper does once it runs.
 */
export function catchesEverySignal(pid: number): boolean {
  const uncatchable = (1n << 8n) | (1n << 16n) | (1n << 18n);
  const wanted = ((1n << 31n) - 1n) & ~uncatchable;
  try {
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & wanted) === wanted;
  } catch {
    return false;
  }
}

/** Whether `pid` is alive (neither gone nor a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(statFields(stat)[0] ?? '');
  } catch {
    return false;
  }
}

/** The decimal wait status in a status file, if it holds one. */
export function readStatus(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
