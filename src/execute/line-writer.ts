// mesos-execute's own lines, written so that nothing on the other end can
// hold the program up: a reader that stops reading, a closed terminal
// (EIO), a full disk or a reader gone (EPIPE) never delay a kill or crash
// the program. What could not be written is remembered, for the exit code
// and a line on stderr.
//
// An inherited pipe, terminal or socket is shared with the task (the same
// open file description), so it can't be switched to non-blocking mode. A
// pipe or a terminal is opened a second time through /proc/self/fd
// instead, a description of our own that can be; a socket (which can't be
// reopened) is written with send(2)'s MSG_DONTWAIT. Regular files are
// written as they are: a write to one never waits on a reader.
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { EAGAIN, reasonOf, sendNonBlocking, strerror } from '../../native/libc';

const RETRY_MS = 20;

/** Writes some of `bytes` without blocking: how many went, or -EAGAIN; throws on a failure. */
type Write = (bytes: Buffer) => number;

/** write(2) to `fd`: EAGAIN (a non-blocking fd full) as -EAGAIN. */
const writeTo =
  (fd: number): Write =>
  (bytes) => {
    try {
      return writeSync(fd, bytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return -EAGAIN;
      throw error;
    }
  };

/** How to write `fd` without ever blocking, and the fd of our own to close at the end. */
function nonBlockingWrite(fd: number): { write: Write; own?: number } {
  const plain = writeTo(fd);
  let stat;
  try {
    stat = fstatSync(fd);
  } catch {
    return { write: plain };
  }
  if (stat.isSocket()) {
    return {
      write: (bytes) => {
        const sent = sendNonBlocking(fd, bytes);
        if (sent < 0 && sent !== -EAGAIN) throw new Error(strerror(-sent));
        return sent;
      },
    };
  }
  if (!stat.isFIFO() && !stat.isCharacterDevice()) return { write: plain };
  let own: number;
  try {
    // libuv opens every fd close-on-exec: the task never gets this one.
    own = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    // A pipe whose reader is gone (ENXIO): the first write says EPIPE.
    return { write: plain };
  }
  return { own, write: writeTo(own) };
}

export class LineWriter {
  private readonly writeSome: Write;
  private readonly own: number | undefined;
  private readonly queue: Buffer[] = [];
  private retry: NodeJS.Timeout | undefined;
  private drained: Array<() => void> = [];
  private failed: string | undefined;

  /** `name` ('stdout', 'stderr') says which output failed. */
  constructor(
    fd: number,
    private readonly name: string,
  ) {
    const { write, own } = nonBlockingWrite(fd);
    this.writeSome = write;
    this.own = own;
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
    if (this.own !== undefined) closeSync(this.own);
  }

  private flushSome(): void {
    this.retry = undefined;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      let written: number;
      try {
        written = this.writeSome(head);
      } catch (error) {
        this.lose(`Failed to write to ${this.name}: ${reasonOf(error)}`);
        return;
      }
      if (written === -EAGAIN) {
        this.retry = setTimeout(() => this.flushSome(), RETRY_MS);
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
