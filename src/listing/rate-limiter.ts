import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spaces request starts at least 1/rate seconds apart, whoever asks. Globus meters
 * about 20 requests a second per user over 10 s windows and documents no
 * Retry-After, so a lister that stays well under that never meets a 429 from its
 * own pace; one that does still backs off through the HTTP client's retry policy.
 * A rate of Infinity (or 0) turns the limit off, for benchmarks.
 */
export class RateLimiter {
  private next = 0;
  private readonly intervalMs: number;

  constructor(
    requestsPerSecond: number,
    private readonly clock: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<unknown> = (ms) => sleep(ms),
  ) {
    this.intervalMs = requestsPerSecond > 0 && Number.isFinite(requestsPerSecond) ? 1000 / requestsPerSecond : 0;
  }

  /** Resolves when the caller may start its request; each call takes the next slot. */
  async take(): Promise<void> {
    if (this.intervalMs === 0) return;
    const now = this.clock();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await this.wait(at - now);
  }
}
