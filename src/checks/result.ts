import { GsyncError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';

/**
 * One line of `gsync test-config`'s checklist, as data: the checks return
 * these and never print, so the command (or a test) decides how to show them.
 * `check` is the short name the summary lists; `target` what it looked at.
 * A failure marked `auth` is one a login or a consent fixes.
 */
export type CheckResult = { check: string; target?: string } & (
  | { status: 'ok'; detail: string }
  | { status: 'fail'; problem: string; hint?: string; auth: boolean }
  | { status: 'skip'; why: string }
);

export type FailedCheck = Extract<CheckResult, { status: 'fail' }>;

export const ok = (check: string, target: string | undefined, detail: string): CheckResult => ({ check, target, status: 'ok', detail });
export const fail = (check: string, target: string | undefined, problem: string, hint?: string, auth = false): CheckResult => ({
  check,
  target,
  status: 'fail',
  problem,
  hint,
  auth,
});
export const skip = (check: string, target: string | undefined, why: string): CheckResult => ({ check, target, status: 'skip', why });

/** "source directory /data/run7": the check's name and what it looked at. */
export const subjectOf = (r: CheckResult): string => (r.target === undefined ? r.check : `${r.check} ${r.target}`);

/**
 * A failed check from an error. `hint` replaces the error's own for auth errors (ours knows
 * whether a person is at the terminal) and stands in for a missing one otherwise.
 */
export function failFromError(check: string, target: string | undefined, err: unknown, hint: string, prefix?: string): CheckResult {
  const message = err instanceof Error ? err.message : String(err);
  const problem = prefix ? `${prefix}: ${message}` : message;
  if (!(err instanceof GsyncError)) return fail(check, target, problem, hint);
  const auth = err.kind === 'auth';
  return fail(check, target, problem, auth ? hint : (err.hint ?? hint), auth);
}

export const failures = (results: CheckResult[]): FailedCheck[] => results.filter((r): r is FailedCheck => r.status === 'fail');

/**
 * 0 when everything passed; 77 when every failure is one a login or consent
 * fixes, which cron users already read as "a person must run gsync login";
 * 1 for any other failure. (An invalid config, exit 2, stops before the checks.)
 */
export function checksExitCode(results: CheckResult[]): number {
  const failed = failures(results);
  if (failed.length === 0) return EXIT.ok;
  return failed.every((f) => f.auth) ? EXIT.auth : EXIT.failure;
}
