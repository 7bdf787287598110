// Whether a subscription's stream is alive: the master sends HEARTBEAT
// every heartbeat_interval_seconds, so a stream with no event for several
// intervals is taken as broken, even when its connection looks open (a
// one-way partition, a master that hangs). Mesos's documentation asks
// schedulers to do this ("a bunch (e.g., 5)" of missed heartbeats); its
// C++ client leaves it to them through reconnect().

export class Liveness {
  private timer: NodeJS.Timeout | undefined;
  private limitMs = 0;

  constructor(private readonly onSilence: (silentMs: number) => void) {}

  /** Expects an event at least every `limitMs` from now on. */
  arm(limitMs: number): void {
    this.disarm();
    this.limitMs = limitMs;
    this.touch();
  }

  /** An event came: the wait starts again. */
  touch(): void {
    if (this.limitMs <= 0) return;
    if (this.timer !== undefined) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onSilence(this.limitMs);
    }, this.limitMs);
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.limitMs = 0;
  }
}
