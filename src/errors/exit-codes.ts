import { GsyncError, type ErrorKind } from './errors.js';

/**
 * The one exit-code table. Numbers follow sysexits.h where one fits, so cron
 * wrappers and systemd can tell "try later" (75) from "a person must act" (77).
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  locked: 75, // EX_TEMPFAIL: another run holds the lock
  auth: 77, // EX_NOPERM: login or consent needed
  /** Ctrl-C (SIGINT) while `gsync run --wait` waited: what a shell reports for a tool SIGINT ended (128 + 2); the task stays recorded. */
  interrupted: 130,
  /** stdout or stderr closed by its reader (`gsync plan --json | head -1`): what a shell reports for a tool SIGPIPE ended (128 + 13). */
  brokenPipe: 141,
} as const;

const byKind: Record<ErrorKind, number> = {
  usage: EXIT.usage,
  config: EXIT.usage,
  locked: EXIT.locked,
  auth: EXIT.auth,
  failure: EXIT.failure,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof GsyncError) return byKind[err.kind];
  // commander reports its own usage errors with a `code` starting "commander."
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = String((err as { code: unknown }).code);
    if (code.startsWith('commander.')) return EXIT.usage;
  }
  return EXIT.failure;
}
