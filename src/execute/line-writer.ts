// mesos-execute's own lines, written so that nothing on the other end can
// hold the program up: a reader that stops reading, a closed terminal
// (EIO), a full disk or a reader gone (EPIPE) never delay a kill or crash
// the program. What could not be written is remembered, for the exit code
// and a line on stderr.
//
// An inherited pipe or terminal is shared with the task (the same open
// file description), so it can't be switched to non-blocking mode. It is
// opened a second time through /proc/self/fd instead: a description of
// our own that can be. Regular files are written as they are (a write to
// one never waits on a reader); a socket, which can't be reopened, too.
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { reasonOf } from '../../native/libc';

const RETRY_MS = 20;

/** Opens `fd`'s file again as a non-blocking description of our own, where that can be done. */
function ownNonBlocking(fd: number): number | undefined {
  let stat;
  try {
    stat = fstatSync(fd);
  } catch {
    return undefined;
  }
  if (!stat.isFIFO() && !stat.isCharacterDevice()) return undefined;
  try {
    // libuv opens every fd close-on-exec: the task never gets this one.
    return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return undefined;
  }
}

export class LineWriter {
  private readonly fd: number;
  private readonly own: boolean;
  private readonly queue: Buffer[] = [];
  private retry: NodeJS.Timeout | undefined;
  private drained: Array<() => void> = [];
  private failed: string | undefined;

  /** `name` ('stdout', 'stderr') says which output failed. */
  constructor(
    fd: number,
    private readonly name: string,
  ) {
    const reopened = ownNonBlocking(fd);
    this.own = reopened !== undefined;
    this.fd = reopened ?? fd;
  }

  /** Why some of the output was lost, once it was. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** Whether everything written so far is out. */
  get empty(): boolean {
    return this.queue.length === 0;
  }

  write(text: string): void {
    if (this.failed !== undefined) return;
    this.queue.push(Buffer.from(text));
    if (this.retry === undefined) this.flushSome();
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** Resolves once the queue is out, lost, or `timeoutMs` has passed: true only when it is out. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0) return Promise.resolve(this.failed === undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.lose(`Failed to write to ${this.name}: nothing read it for ${timeoutMs} ms`);
      }, timeoutMs);
      this.drained.push(() => {
        clearTimeout(timer);
        resolve(this.failed === undefined);
      });
    });
  }

  close(): void {
    clearTimeout(this.retry);
    if (this.own) closeSync(this.fd);
  }

  private flushSome(): void {
    this.retry = undefined;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      let written: number;
      try {
        written = writeSync(this.fd, head);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.retry = setTimeout(() => this.flushSome(), RETRY_MS);
          return;
        }
        this.lose(`Failed to write to ${this.name}: ${reasonOf(error)}`);
        return;
      }
      if (written < head.length) this.queue[0] = head.subarray(written);
      else this.queue.shift();
    }
    this.settle();
  }

  private lose(reason: string): void {
    this.failed ??= reason;
    this.queue.length = 0;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.settle();
  }

  private settle(): void {
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }
}
