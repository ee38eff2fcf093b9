import type { Task } from '../globus/schemas.js';
import type { Logger } from '../log/logger.js';
import type { State } from '../state/open.js';
import type { LedgerRow } from './rows.js';

/** Named points of the ledger where the crash harness kills the process (src/sync/crash-point.ts lists them all). */
export type LedgerCrashPoint =
  | 'after-submission-id'
  | 'after-record'
  | 'after-record-repair'
  | 'after-post'
  | 'delete-after-submission-id'
  | 'delete-after-record'
  | 'delete-after-post'
  | 'reconcile-after-submission-id'
  | 'reconcile-after-record'
  | 'reconcile-after-post';

/** What the ledger needs of a run (src/sync/sync-context.ts SyncContext satisfies it). */
export interface LedgerContext {
  state: State;
  logger: Logger;
  remote: {
    getSubmissionId(): Promise<string>;
    /** Throws a GlobusApiError with isNotFound when the service does not know the task. */
    getTask(taskId: string): Promise<Task>;
  };
  auth: {
    /** Resolves when a call that met ConsentRequired may be retried once; throws otherwise. */
    handleConsentRequired(err: unknown): Promise<void>;
  };
  now(): bigint;
  crashPoint(name: LedgerCrashPoint): void;
}

/** What Globus answers a submission: "Accepted", or "Duplicate" with the first task for a submission_id it has seen. */
export interface Accepted {
  task_id: string;
  code: string;
}

/**
 * One kind of Globus task (transfer, delete; reconcile runs; next pull), as a
 * record. The ledger (src/ledger/tasks.ts) runs every kind through the same
 * discipline: submission_id first, row and exact document committed, POST,
 * "Duplicate" accepted on a re-POST, 404 = LOST, a refusal = REJECTED, and
 * a release on anything but SUCCEEDED. A kind says only what is its own:
 *
 * - `Ctx`: the context its settle needs beyond the ledger's (a LedgerContext);
 * - `Doc`: its document, built by its submitting step and passed to submitTask;
 * - `Row`: its row record (a LedgerRow plus its counts), in its table;
 * - `Report`: where its settle tells the run what happened.
 */
export interface TaskKind<Ctx extends LedgerContext, Doc extends { submission_id: string }, Row extends LedgerRow, Report> {
  /** How logs name one of its tasks: "transfer", "delete task". */
  noun: string;
  /** What a release means for its paths, for the log: "its paths will ship again". */
  released: string;
  crash: { afterSubmissionId: LedgerCrashPoint; afterRecord: LedgerCrashPoint; afterPost: LedgerCrashPoint };
  /** Its rows still open (not SUCCEEDED, not released), oldest first. */
  open(state: State): Row[];
  markPosted(state: State, rowId: number, taskId: string, submittedNs: bigint): void;
  /** Ends the row as `status` and releases what it held, in one transaction (a transfer's paths are marked for repair). */
  release(state: State, rowId: number, status: string, error: string | null, completedNs: bigint): void;
  /** POSTs the document: POST /transfer, POST /delete. */
  post(ctx: Ctx, doc: Doc): Promise<Accepted>;
  /** Applies what Globus says about one of its tasks: SUCCEEDED commits, FAILED releases, ACTIVE and INACTIVE hold. */
  settle(ctx: Ctx, row: Row, task: Task, report: Report): Promise<unknown> | unknown;
}

/** Why a task did not succeed, as Globus puts it: its fatal error, else its nice status. */
export function failureReason(task: Task): string {
  return task.fatal_error ? `${task.fatal_error.code}: ${task.fatal_error.description}` : (task.nice_status ?? 'no reason given');
}

/**
 * ACTIVE or INACTIVE, for a kind whose report counts open tasks (delete,
 * reconcile): `note` records the status, the report counts it, and an
 * INACTIVE task gets a problem line (it waits for a person). Logs the status.
 */
export function countStillOpen(
  report: { active: number; inactive: number; problems: string[] },
  task: Task,
  noun: string,
  holding: string,
  log: Pick<Logger, 'info'>,
  note: () => void,
): void {
  note();
  report.active++;
  if (task.status === 'INACTIVE') {
    report.inactive++;
    report.problems.push(`${noun} ${task.task_id} is INACTIVE (${task.nice_status_short_description ?? task.nice_status ?? 'paused'})`);
  }
  log.info({ faults: task.faults, niceStatus: task.nice_status }, `${noun} ${task.status}: ${holding}`);
}
