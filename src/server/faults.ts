/** What to do instead of (or before) answering a request. */
export type FaultAction =
  /** Answer this status with a Globus-shaped error body; 429 carries Retry-After. */
  | { type: 'status'; status: number; retryAfterSeconds?: number; code?: string; message?: string }
  /** Destroy the socket without an answer. */
  | { type: 'reset' }
  /** Answer normally, but only after this long. */
  | { type: 'delay'; ms: number };

export interface FaultRule {
  action: FaultAction;
  /** Matches when the request's pathname contains this string, or matches this pattern; all paths when absent. */
  path?: string | RegExp;
  method?: string;
  /** How many matching requests it applies to (default 1; Infinity for all). */
  count?: number;
  /**
   * Handle the request first, then apply the fault to the answer: a transfer is
   * accepted but the client sees a reset or a 503, as after a lost response.
   */
  after?: boolean;
}

/** How the next submitted task misbehaves. */
export type TaskOutcomeFault =
  /** Ends FAILED with this fatal_error, having copied nothing. */
  | { type: 'fail'; code?: string; description?: string }
  /** Stays ACTIVE with faults growing (until its deadline, a cancel, or `recoverAfter` faults, then runs normally). */
  | { type: 'faulty'; code?: string; description?: string; recoverAfter?: number }
  /** Goes INACTIVE (as when credentials expire) until its deadline or a cancel. */
  | { type: 'inactive'; code?: string; description?: string };

/** The session_required_* members of authorization_parameters. */
export interface SessionPolicy {
  session_required_policies?: string[];
  session_required_identities?: string[];
  session_required_single_domain?: string[];
  session_required_mfa?: boolean;
}

interface LiveRule extends FaultRule {
  remaining: number;
}

export interface FaultHooks {
  expireTokens(): void;
  revokeTokens(): void;
}

/**
 * Switchable misbehaviour, per test. Rules are consumed in the order added;
 * a request takes at most one rule per phase.
 */
export class Faults {
  private rules: LiveRule[] = [];
  private taskOutcomes: TaskOutcomeFault[] = [];
  private readonly consent = new Set<string>();
  private readonly sessions = new Map<string, SessionPolicy>();
  private readonly unreadable = new Set<string>();

  constructor(private readonly hooks: FaultHooks) {}

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, remaining: rule.count ?? 1 });
  }

  /** The next `count` matching requests answer 429 with Retry-After. */
  tooManyRequests(count = 1, opts: { path?: string | RegExp; method?: string; retryAfterSeconds?: number } = {}): void {
    this.add({ ...opts, count, action: { type: 'status', status: 429, retryAfterSeconds: opts.retryAfterSeconds ?? 1 } });
  }

  unavailable(count = 1, opts: { path?: string | RegExp; method?: string; after?: boolean } = {}): void {
    this.add({ ...opts, count, action: { type: 'status', status: 503 } });
  }

  resetConnection(count = 1, opts: { path?: string | RegExp; method?: string; after?: boolean } = {}): void {
    this.add({ ...opts, count, action: { type: 'reset' } });
  }

  slow(ms: number, count = 1, opts: { path?: string | RegExp; method?: string } = {}): void {
    this.add({ ...opts, count, action: { type: 'delay', ms } });
  }

  /** Transfer answers ConsentRequired for this collection unless the token carries its data_access scope. */
  requireConsent(collectionId: string, on = true): void {
    if (on) this.consent.add(collectionId.toLowerCase());
    else this.consent.delete(collectionId.toLowerCase());
  }

  consentRequiredFor(collectionId: string): boolean {
    return this.consent.has(collectionId.toLowerCase());
  }

  /**
   * Transfer answers 403 AuthPolicyFailed with these authorization_parameters
   * for every request touching this collection (a policy the login session does
   * not meet); null lifts it.
   */
  requireSession(collectionId: string, policy: SessionPolicy | null): void {
    if (policy === null) this.sessions.delete(collectionId.toLowerCase());
    else this.sessions.set(collectionId.toLowerCase(), policy);
  }

  /**
   * The server cannot read this source path (collection path, e.g. "/a.txt"):
   * tasks meet PERMISSION_DENIED on it, as when the file's permissions shut
   * out the collection's account, until `on` is false.
   */
  denySource(collectionPath: string, on = true): void {
    if (on) this.unreadable.add(collectionPath);
    else this.unreadable.delete(collectionPath);
  }

  sourceDenied(collectionPath: string): boolean {
    return this.unreadable.has(collectionPath);
  }

  sessionPolicyFor(collectionId: string): SessionPolicy | undefined {
    return this.sessions.get(collectionId.toLowerCase());
  }

  /** Every access token issued so far expires now (refresh tokens stay valid). */
  expireTokens(): void {
    this.hooks.expireTokens();
  }

  /** Every access and refresh token issued so far is revoked now. */
  revokeTokens(): void {
    this.hooks.revokeTokens();
  }

  failNextTask(opts: { code?: string; description?: string } = {}): void {
    this.taskOutcomes.push({ type: 'fail', ...opts });
  }

  faultNextTask(opts: { code?: string; description?: string; recoverAfter?: number } = {}): void {
    this.taskOutcomes.push({ type: 'faulty', ...opts });
  }

  inactivateNextTask(opts: { code?: string; description?: string } = {}): void {
    this.taskOutcomes.push({ type: 'inactive', ...opts });
  }

  nextTask(outcome: TaskOutcomeFault): void {
    this.taskOutcomes.push(outcome);
  }

  /** Removes every rule and pending task outcome; consents stay as they are. */
  clear(): void {
    this.rules = [];
    this.taskOutcomes = [];
  }

  /** Rules not yet used up, for tests asserting a storm was consumed. */
  pending(): number {
    return this.rules.reduce((n, r) => n + (r.remaining === Infinity ? 1 : r.remaining), 0);
  }

  take(method: string, pathname: string, phase: 'before' | 'after'): FaultAction | undefined {
    const i = this.rules.findIndex((r) => Boolean(r.after) === (phase === 'after') && matches(r, method, pathname));
    if (i < 0) return undefined;
    const rule = this.rules[i]!;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(i, 1);
    return rule.action;
  }

  takeTaskOutcome(): TaskOutcomeFault | undefined {
    return this.taskOutcomes.shift();
  }
}

function matches(rule: FaultRule, method: string, pathname: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? pathname.includes(rule.path) : rule.path.test(pathname);
}
