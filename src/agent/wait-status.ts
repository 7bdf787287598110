// How a process ended, in the words Mesos's command executor uses
// ("exited with status 3", "terminated with signal Killed"), and sizes as
// stout prints them.

// strsignal(3)'s descriptions (glibc), by signal number; Linux numbers as on
// x86, arm and most other architectures.
const SIGNAL_DESCRIPTIONS: readonly string[] = [
  'Unknown signal 0',
  'Hangup',
  'Interrupt',
  'Quit',
  'Illegal instruction',
  'Trace/breakpoint trap',
  'Aborted',
  'Bus error',
  'Floating point exception',
  'Killed',
  'User defined signal 1',
  'Segmentation fault',
  'User defined signal 2',
  'Broken pipe',
  'Alarm clock',
  'Terminated',
  'Stack fault',
  'Child exited',
  'Continued',
  'Stopped (signal)',
  'Stopped',
  'Stopped (tty input)',
  'Stopped (tty output)',
  'Urgent I/O condition',
  'CPU time limit exceeded',
  'File size limit exceeded',
  'Virtual timer expired',
  'Profiling timer expired',
  'Window changed',
  'I/O possible',
  'Power failure',
  'Bad system call',
];

export function signalDescription(signal: number): string {
  if (signal > 0 && signal < SIGNAL_DESCRIPTIONS.length) return SIGNAL_DESCRIPTIONS[signal]!;
  // glibc keeps 32 and 33 for itself: its SIGRTMIN is 34.
  if (signal >= 34 && signal <= 64) return `Real-time signal ${signal - 34}`;
  return `Unknown signal ${signal}`;
}

export const exitedNormally = (waitStatus: number): boolean => (waitStatus & 0x7f) === 0;
export const exitCodeOf = (waitStatus: number): number => (waitStatus >> 8) & 0xff;
export const termSignalOf = (waitStatus: number): number => waitStatus & 0x7f;

/** How a raw wait status reads in Mesos's messages: "exited with status 3", "terminated with signal Killed". */
export function describeWaitStatus(waitStatus: number): string {
  if (exitedNormally(waitStatus)) return `exited with status ${exitCodeOf(waitStatus)}`;
  const signal = termSignalOf(waitStatus);
  if (signal !== 0x7f) {
    return `terminated with signal ${signalDescription(signal)}${(waitStatus & 0x80) !== 0 ? ' (core dumped)' : ''}`;
  }
  return `wait status ${waitStatus}`;
}

/** stout's Bytes: the largest unit that loses nothing ("128MB", "1536KB"). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value !== 0 && value % 1024 === 0 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value}${units[unit]}`;
}
