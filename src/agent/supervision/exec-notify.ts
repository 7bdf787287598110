// How the agent learns that the task itself has been exec'd: launch's
// --exec_notify_fd, open until the task's own exec closes it, 'F' first
// when the launch fails before that. The fd must reach the helper without
// passing through the clone program, which stays as the helper's parent
// and would hold it open for the container's whole life; so it is a FIFO
// in the runtime directory that the helper's side opens itself, after the
// clone, and marks with 'O' once open (see helper.ts). Until then the agent
// holds a writer of its own, so that the reader sees no end of file before
// the helper is there.
import { closeSync, constants, openSync, readSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { mknod } from '../../../native/libc';

/** What the helper said: nothing yet, that it holds the FIFO, that the launch failed, that the task was exec'd. */
export type NotifyState = 'waiting' | 'opened' | 'failed' | 'execd';

export class ExecNotification {
  private state: NotifyState = 'waiting';
  private readonly reader: number;
  private writer: number | undefined;
  private readonly socket: Socket;
  private readonly listeners: Array<(state: NotifyState) => void> = [];

  /** Makes the FIFO at `path`; throws with the reason. */
  constructor(readonly path: string) {
    mknod(path, constants.S_IFIFO | 0o600, 0, 0);
    this.reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    this.writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
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

  private set(state: NotifyState): void {
    if (this.state === state || this.state === 'failed' || this.state === 'execd') return;
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  private take(bytes: Buffer): void {
    if (bytes.includes(0x4f /* O */) && this.state === 'waiting') {
      this.set('opened');
      // The helper holds its end now: ours would keep the end of file away,
      // and the path would let anyone else write here.
      this.dropWriter();
      rmSync(this.path, { force: true });
    }
    if (bytes.includes(0x46 /* F */)) this.set('failed');
  }

  private ended(): void {
    if (this.state === 'opened') this.set('execd');
  }

  private dropWriter(): void {
    if (this.writer === undefined) return;
    closeSync(this.writer);
    this.writer = undefined;
  }

  /**
   * The final word, once no writer of the helper's can be left (the helper
   * is gone): reads what is still buffered. 'opened' becomes 'execd': the
   * helper's end was closed without an 'F'.
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
    this.dropWriter();
    this.socket.destroy();
    rmSync(this.path, { force: true });
  }
}
