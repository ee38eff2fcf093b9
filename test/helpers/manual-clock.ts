import type { WatchClock } from '../../src/watch/clock.js';

/**
 * A clock for the watch loop that moves only when the test says so. The loop
 * waits on at most one sleep at a time; advance() runs every wait that falls
 * due on the way, at the very millisecond it falls due, and lets the loop react
 * (run its cycle, sleep again) before going on. Times are then exact, and a
 * test never waits for real time to pass.
 */
export class ManualClock implements WatchClock {
  private t = 1_000_000;
  private sleeper: { until: number; wake: () => void } | null = null;
  private idleWaiters: Array<() => void> = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, register: (wake: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const s = {
        until: this.t + ms,
        wake: () => {
          if (this.sleeper === s) this.sleeper = null;
          resolve();
        },
      };
      this.sleeper = s;
      register(s.wake);
      for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** Resolves once the loop waits on the clock: it has done all it had to do until then. */
  idle(): Promise<void> {
    return this.sleeper ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Moves time forward by `ms`, letting the loop run each wait that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await this.idle();
    while (this.sleeper && this.sleeper.until <= end) {
      this.t = Math.max(this.t, this.sleeper.until);
      this.sleeper.wake();
      await this.idle();
    }
    this.t = end;
  }
}
