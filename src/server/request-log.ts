export interface LoggedRequest {
  method: string;
  path: string;
  /** The status answered, or 'reset' when the connection was destroyed instead. */
  outcome: number | 'reset';
  /** True when a fault rule shaped the answer. */
  faulted: boolean;
}

/** Every request the server saw, so tests can assert e.g. "POST /v0.10/transfer reached the server exactly once". */
export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  /** Requests whose path contains `pathContains` (and with `method`, when given). */
  count(pathContains: string, method?: string): number {
    return this.entries.filter((e) => e.path.includes(pathContains) && (!method || e.method === method.toUpperCase())).length;
  }

  clear(): void {
    this.entries.length = 0;
  }
}
