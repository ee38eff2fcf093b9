import { ConsentRequiredError, GlobusApiError } from '../globus/errors.js';
import type { Task } from '../globus/schemas.js';
import type { LedgerRow } from './rows.js';
import type { Accepted, LedgerContext, LedgerCrashPoint, TaskKind } from './kind.js';

/**
 * The discipline every Globus task goes through, written once for every kind
 * (src/ledger/kind.ts): a submission_id first, then the row and its exact
 * document committed, then the POST; a re-POST after a crash is answered
 * "Duplicate" with the first task; a 404 is LOST and a refusal REJECTED, and
 * either releases the row, as does anything else but SUCCEEDED.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind<C extends LedgerContext, D extends { submission_id: string }, R extends LedgerRow = LedgerRow, P = any> = TaskKind<C, D, R, P>;

/**
 * Gets a submission_id, builds the document for it and records it with what
 * it holds (`record`, one transaction, returning the row id), then POSTs it.
 * `build` returns null when nothing is left to send (nothing is recorded then).
 */
export async function submitTask<C extends LedgerContext, D extends { submission_id: string }>(
  ctx: C,
  kind: AnyKind<C, D>,
  build: (submissionId: string) => { doc: D; record(document: string): number } | null,
  afterRecord: LedgerCrashPoint = kind.crash.afterRecord,
): Promise<{ rowId: number; doc: D; result: Accepted } | null> {
  const submissionId = await ctx.remote.getSubmissionId();
  ctx.crashPoint(kind.crash.afterSubmissionId);
  const built = build(submissionId);
  if (built === null) return null;
  const rowId = built.record(JSON.stringify(built.doc));
  ctx.crashPoint(afterRecord);
  return { rowId, doc: built.doc, result: await postTask(ctx, kind, rowId, built.doc) };
}

/**
 * POSTs a task whose row is already committed. Retrying is safe: Globus
 * answers a repeated submission_id with "Duplicate" and the first task. A
 * definite refusal of the document (a 4xx that is not about credentials)
 * releases the row as REJECTED, since resending it can never work; anything
 * else (no answer, 5xx, login needed) keeps the row, so the next run re-POSTs
 * the same document under the same submission_id.
 */
export async function postTask<C extends LedgerContext, D extends { submission_id: string }>(ctx: C, kind: AnyKind<C, D>, rowId: number, doc: D): Promise<Accepted> {
  let result: Accepted;
  try {
    result = await withConsent(ctx, () => kind.post(ctx, doc));
  } catch (err) {
    if (isRefusal(err)) {
      kind.release(ctx.state, rowId, 'REJECTED', err.message, ctx.now());
      ctx.logger.error({ submissionId: doc.submission_id, code: err.code }, `Globus refused the ${kind.noun}: ${err.message}`);
    }
    throw err;
  }
  ctx.crashPoint(kind.crash.afterPost);
  kind.markPosted(ctx.state, rowId, result.task_id, ctx.now());
  return result;
}

/**
 * Settles every row of the kind an earlier run left open, oldest first: a row
 * with no task id is re-POSTed (the earlier run died or lost its connection
 * around the POST), a task Globus does not know is released as LOST (this
 * happens when the configured Transfer service changed under a state
 * database), and the rest go to the kind's settle.
 */
export async function settleOpen<C extends LedgerContext, D extends { submission_id: string }, R extends LedgerRow, P>(ctx: C, kind: AnyKind<C, D, R, P>, report: P): Promise<void> {
  for (const row of kind.open(ctx.state)) {
    const taskId = row.taskId ?? (await repost(ctx, kind, row));
    let task: Task;
    try {
      task = await ctx.remote.getTask(taskId);
    } catch (err) {
      if (!(err instanceof GlobusApiError && err.isNotFound)) throw err;
      kind.release(ctx.state, row.id, 'LOST', err.message, ctx.now());
      ctx.logger.warn({ taskId }, `Globus does not know ${kind.noun} ${taskId}; ${kind.released}`);
      continue;
    }
    await kind.settle(ctx, row, task, report);
  }
}

async function repost<C extends LedgerContext, D extends { submission_id: string }>(ctx: C, kind: AnyKind<C, D>, row: LedgerRow): Promise<string> {
  const result = await postTask(ctx, kind, row.id, JSON.parse(row.document) as D);
  ctx.logger.info(
    { submissionId: row.submissionId, taskId: result.task_id, code: result.code },
    result.code === 'Duplicate' ? `an earlier run had submitted this ${kind.noun}; Globus returned its task` : `resubmitted a ${kind.noun} an earlier run had prepared`,
  );
  return result.task_id;
}

/** One submission POST; a ConsentRequired answer is resolved once (service accounts) and the POST repeated. */
export async function withConsent<T>(ctx: Pick<LedgerContext, 'auth'>, post: () => Promise<T>): Promise<T> {
  try {
    return await post();
  } catch (err) {
    if (!(err instanceof ConsentRequiredError)) throw err;
    // Resolves only when a service account obtained the scopes; a user login throws an auth error.
    await ctx.auth.handleConsentRequired(err);
    return await post();
  }
}

/** Globus refused the document itself: resending it can never work. */
export function isRefusal(err: unknown): err is GlobusApiError {
  return (
    err instanceof GlobusApiError &&
    err.kind !== 'auth' &&
    err.httpStatus >= 400 &&
    err.httpStatus < 500 &&
    err.httpStatus !== 408 &&
    err.httpStatus !== 429
  );
}
