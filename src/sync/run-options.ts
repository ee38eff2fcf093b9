import type { Config } from '../config/schema.js';
import type { DeleteRunOutcome } from '../deletes/run-deletes.js';
import type { Task } from '../globus/schemas.js';
import type { Logger } from '../log/logger.js';
import type { PlanTotals } from '../plan/plan-scan.js';
import type { Itemized } from '../plan/itemize.js';
import type { ScanCounts } from '../scan/events.js';
import type { CrashHook } from '../run/crash-point.js';
import type { Delivery } from './delivery.js';
import type { RecordedResult, RunOutcome } from '../run/outcome.js';
import type { SubmittedTask } from './own-tasks.js';
import type { SettleReport } from './settle-tasks.js';
import type { ReconcileReport } from './reconcile-run.js';
import type { OpenRemote } from '../run/remote.js';

/** What runJob is given: by `run`, `watch` and `demo` (src/commands/), and by tests. */
export interface RunJobOptions {
  config: Config;
  logger: Logger;
  /** The remote and login, opened once the lock is held (src/commands/globus-session.ts wires the real one). */
  openRemote: OpenRemote;
  /** The crash harness's hook; default none. */
  crashPoint?: CrashHook;
  /** The environment hooks inherit (src/hooks/), as the command got it; default none. */
  hookEnv?: NodeJS.ProcessEnv;
  /** Poll the submitted task until it ends and settle it at once. */
  wait?: boolean;
  /** With wait: stop waiting after this many seconds (the task stays recorded). */
  timeoutSeconds?: number;
  /** First poll interval while waiting. */
  pollIntervalMs?: number;
  now?: () => bigint;
  /** Look only at these source-relative paths (`--changes`, resolved by src/changes/); absent: walk everything. */
  only?: readonly string[];
  onScanProgress?(counts: Readonly<ScanCounts>): void;
  onTaskPoll?(task: Task): void;
  /** Each transfer this run submitted, once Globus accepted it (the run command stops a --wait on Ctrl-C from then on). */
  onSubmitted?(task: SubmittedTask): void;
  /** Each time --wait starts waiting for a task this run submitted (transfer, delete or reconcile): Ctrl-C stops the wait from then on. */
  onWaiting?(): void;
  signal?: AbortSignal;
  /** `-v` / `--itemize`: each path this run ships, deletes or holds back, with why (src/plan/itemize.ts). */
  onItemized?(it: Itemized): void;
  /** `--allow-deletes N`: this run may delete up to N paths past the deletes guards. */
  allowDeletes?: number;
  /** `--reconcile`: send a reconcile task now, whatever reconcile.intervalHours says (README "Reconcile runs"). */
  reconcile?: boolean;
  /** source.listing "globus": override source.requestsPerSecond (Infinity: no limit; the bench against the local server only). */
  listingRequestsPerSecond?: number;
}

/** What the delete step did in one run (deletes.enabled), with the delete tasks settled in it. */
export interface DeleteStepResult {
  /** Shipped paths forgotten because their delete task SUCCEEDED in this run. */
  deletedPaths: number;
  succeeded: number;
  failed: number;
  active: number;
  /** Shipped paths the plan would delete (0 when nothing was removed, or deletes are off). */
  planned: number;
  submitted: DeleteRunOutcome['submitted'];
  stoppedBy: DeleteRunOutcome['stoppedBy'];
  /** This run's delete task was waited for and had not ended when the wait stopped (timeout or Ctrl-C). */
  stillOpen: boolean;
}

/** A run's outcome, composed by runJob from what each step returned. */
export interface RunJobResult {
  /** What happened to this run's transfer; exitCodeForRun maps it (with `settled`) to the exit code. */
  outcome: RunOutcome;
  /** The word recorded in the run table and shown by status. */
  result: RecordedResult;
  taskId: string | null;
  /** The state's row for the (first) transfer this run submitted. */
  submissionRowId: number | null;
  /** Every task this run submitted: a repair task (checksum) first when there is one. */
  tasks: SubmittedTask[];
  items: number;
  files: number;
  bytes: bigint;
  plan: PlanTotals;
  /** Tasks of earlier runs settled now, and every line a person should read. */
  settled: SettleReport;
  /** What Globus reported for this run's own task, when it was waited for and SUCCEEDED; earlier tasks' are in settled.deliveries. */
  delivery: Delivery | null;
  /** Hooks (or manifests) that failed in this run; they stay owed, and the run exits 1. */
  hooksFailed?: number;
  deletes: DeleteStepResult;
  /** Reconcile tasks settled in this run (and the files they restored), and this run's own (issue 27). */
  reconcile: ReconcileReport;
}
