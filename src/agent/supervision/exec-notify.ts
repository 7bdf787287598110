// How the agent learns that the task itself has been exec'd: launch's
// --exec_notify_fd, open until the task's own exec closes it, 'F' first
// when the launch fails before that. A FIFO whose write end the helper
// inherits (the clone program keeps none of its inherited fds) and whose
// read end we keep: end of file means every writer is gone. Its name is
// removed as soon as both ends are open, so nobody else can join.
import { closeSync, constants, readSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { AT_FDCWD, mknodAt, openFile, O_CLOEXEC } from '../../../native/libc';

/** What the helper said: nothing yet, that the launch failed, that the task was exec'd (end of file without an 'F'). */
export type NotifyState = 'waiting' | 'failed' | 'execd';

export class ExecNotification {
  private state: NotifyState = 'waiting';
  private readonly reader: number;
  /** The end the helper inherits; ours to close once it has it. */
  writer: number | undefined;
  private readonly socket: Socket;
  private readonly listeners: Array<(state: NotifyState) => void> = [];

  /** Makes the FIFO at `path` and opens both ends; throws with the reason. */
  constructor(path: string) {
    mknodAt(AT_FDCWD, path, constants.S_IFIFO | 0o600, 0, 0);
    try {
      this.reader = openFile(path, constants.O_RDONLY | constants.O_NONBLOCK | O_CLOEXEC);
      this.writer = openFile(path, constants.O_WRONLY | constants.O_NONBLOCK | O_CLOEXEC);
    } finally {
      rmSync(path, { force: true });
    }
    this.socket = new Socket({ fd: this.reader, readable: true, writable: false });
    this.socket.on('data', (chunk: Buffer) => this.take(chunk));
    this.socket.on('end', () => this.ended());
    this.socket.on('error', () => undefined);
  }

  /** Called with each change of state. */
  onChange(listener: (state: NotifyState) => void): void {
    this.listeners.push(listener);
  }

  get current(): NotifyState {
    return this.state;
  }

  /** The helper has its copy of the write end: ours would keep the end of file away. */
  handedOver(): void {
    if (this.writer === undefined) return;
    closeSync(this.writer);
    this.writer = undefined;
  }

  private set(state: NotifyState): void {
    if (this.state !== 'waiting') return;
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  private take(bytes: Buffer): void {
    if (bytes.includes(0x46 /* F */)) this.set('failed');
  }

  private ended(): void {
    if (this.writer === undefined) this.set('execd');
  }

  /**
   * The final word, once no writer of the helper's can be left (the helper
   * is gone): reads what is still buffered; without an 'F', the task was
   * exec'd (the caller knows whether the helper ever started).
   */
  settle(): NotifyState {
    const buffer = Buffer.alloc(64);
    for (;;) {
      let read: number;
      try {
        read = readSync(this.reader, buffer, 0, buffer.length, null);
      } catch {
        break;
      }
      if (read === 0) break;
      this.take(buffer.subarray(0, read));
    }
    this.ended();
    return this.state;
  }

  close(): void {
    this.handedOver();
    this.socket.destroy();
  }
}
