/**
 * Errors are tagged by what the operator must do about them, never by message
 * text. Only src/index.ts turns a kind into an exit code (see exit-codes.ts).
 */
export type ErrorKind =
  | 'usage' // bad flag or argument: fix the command line
  | 'config' // bad config file: fix the named key
  | 'locked' // another run holds the job lock: try again later
  | 'auth' // login or consent needed: run the command in the hint
  | 'failure'; // anything else that stopped the job

export class GsyncError extends Error {
  readonly kind: ErrorKind;
  /** One line telling the operator what to do next, e.g. "run: gsync login --config x.json". */
  readonly hint?: string;

  constructor(kind: ErrorKind, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GsyncError';
    this.kind = kind;
    this.hint = options?.hint;
  }
}

export const usageError = (message: string, hint?: string) => new GsyncError('usage', message, { hint });
export const configError = (message: string, hint?: string) => new GsyncError('config', message, { hint });
export const authError = (message: string, hint?: string) => new GsyncError('auth', message, { hint });
export const lockedError = (message: string) => new GsyncError('locked', message);
export const failure = (message: string, cause?: unknown) => new GsyncError('failure', message, { cause });
