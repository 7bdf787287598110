// Exiting without Node's own tty reset. At exit Node restores the terminal
// modes of stdin, stdout and stderr, and aborts (a native assertion) when
// that fails: it does once the terminal has hung up (EIO), the very case
// of a user closing the window a program runs in. Node skips an fd that no
// longer is the file it found at start-up, so the three are closed first:
// nothing is written after this anyway.
import { closeSync } from 'node:fs';

export function exitProcess(code: number): never {
  for (const fd of [0, 1, 2]) {
    try {
      closeSync(fd);
    } catch {
      // Closed already.
    }
  }
  process.exit(code);
}
