// Output that never touches process.stdout or process.stderr: those streams
// can switch an inherited pipe or terminal to non-blocking mode, a flag the
// task would share after exec.
import { writeSync } from 'node:fs';

/** Writes all of `text` to `fd`, waiting out EAGAIN on a non-blocking fd. */
export function writeAll(fd: number, text: string | Uint8Array): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      // Nobody is reading (EPIPE) or the fd is gone: the text has nowhere to go.
      if (code === 'EPIPE' || code === 'EBADF') return;
      throw error;
    }
  }
}

/** One line on stderr: how every failure is reported. */
export function complain(message: string): void {
  writeAll(2, message.replace(/[\r\n]+/g, ' ').trimEnd() + '\n');
}
