// Mesos's command executor's kill: SIGTERM now, SIGKILL when the grace
// period is over. A later kill can only bring the SIGKILL closer (never
// push it back): its grace period counts from the first kill.
export class GracefulKill {
  private started: number | undefined;
  private deadline = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly terminate: () => void,
    private readonly escalate: () => void,
  ) {}

  /** Whether a kill has begun. */
  get begun(): boolean {
    return this.started !== undefined;
  }

  /** Kills with `graceMs`; returns true when this began the kill. */
  kill(graceMs: number): boolean {
    const now = Date.now();
    const grace = Math.max(0, graceMs);
    if (this.started === undefined) {
      this.started = now;
      this.deadline = now + grace;
      this.terminate();
      this.timer = setTimeout(() => this.now(), grace);
      return true;
    }
    if (this.started + grace < this.deadline) {
      this.deadline = this.started + grace;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.now(), Math.max(0, this.deadline - now));
    }
    return false;
  }

  /** SIGKILL at once. */
  now(): void {
    this.cancel();
    this.escalate();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
