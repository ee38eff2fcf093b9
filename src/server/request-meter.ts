/**
 * Globus meters each user at about 20 requests a second (over 10 s windows) and
 * answers 429 beyond that, with no Retry-After (Transfer API overview, rate
 * limits; the SDK retries 429 with its own backoff). The local server meters only
 * when asked (`requestsPerSecond`), so tests can make a client meet throttling;
 * the window here is one second, the stricter reading of "N a second".
 */
export class RequestMeter {
  private readonly starts: number[] = [];

  constructor(
    private readonly perSecond: number | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** True when this request is over the limit and must be answered 429. */
  over(): boolean {
    if (this.perSecond === undefined) return false;
    const now = this.clock();
    while (this.starts.length > 0 && this.starts[0]! <= now - 1000) this.starts.shift();
    if (this.starts.length >= this.perSecond) return true;
    this.starts.push(now);
    return false;
  }
}
