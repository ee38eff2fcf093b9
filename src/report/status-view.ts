import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { SyncRemote } from '../run/remote.js';
import { getDelivery, PERSISTENT_SKIP_TASKS, skipStreaks } from '../state/deliveries.js';
import { openDeleteTasks } from '../ledger/delete-rows.js';
import { fileHookCounts, givenUpFileHooks } from '../state/file-hooks.js';
import { owedHooks, type HookRecord } from '../state/hooks.js';
import type { State } from '../state/open.js';
import { lastRuns } from '../state/runs.js';
import { getSubmission, openSubmissions, type SubmissionRecord } from '../ledger/transfer-rows.js';
import { stateSummary } from '../state/summary.js';
import type { HookView, PendingView, RunView, StatusView } from './render-status.js';
import { errorLine } from './text.js';

/*
 * The views `gsync status` shows (src/report/render-status.ts renders them): built from
 * the state database, then, best effort, the live state of pending tasks from
 * whatever remote the command gives (the TransferClient; the in-memory remote in tests).
 */

/** How many runs status shows; enough to see a pattern of failures without a pager. */
const RUNS_SHOWN = 5;

/** A job's status before anything is known: filled from the state, then live. */
export function newStatusView(config: Pick<Config, 'name' | 'state'>, notes: string[] = []): StatusView {
  return { job: config.name, state: config.state.path, runs: [], pending: [], pendingDeletes: [], hooks: [], paths: null, credentials: null, notes };
}

/** Everything status shows from the state database: runs, pending tasks as last recorded, owed hooks, path counts. */
export function fillFromState(view: StatusView, state: State, hooks: Config['hooks']): void {
  const runs = lastRuns(state, RUNS_SHOWN);
  if (runs.length === 0) view.notes.push('no runs yet');
  const taskIds = new Map<number, string | null>();
  const taskOf = (rowId: number | null | undefined): string | null => {
    if (rowId === null || rowId === undefined) return null;
    if (!taskIds.has(rowId)) taskIds.set(rowId, getSubmission(state, rowId)?.taskId ?? null);
    return taskIds.get(rowId)!;
  };
  view.runs = runs.map((r) => ({
    id: r.id,
    started: iso(r.startedNs),
    finished: r.finishedNs === null ? null : iso(r.finishedNs),
    durationSeconds: r.finishedNs === null ? null : Number((r.finishedNs - r.startedNs) / 1_000_000n) / 1000,
    result: r.result,
    exitCode: r.exitCode,
    taskId: taskOf(r.submission),
    items: r.items ?? null,
    files: r.files ?? null,
    bytes: r.bytes === undefined ? null : jsonInt(r.bytes),
    deferred: r.deferred ?? null,
    skipped: r.skipped ?? null,
    message: r.message ?? null,
    delivered: deliveredView(state, r.submission),
  }));
  view.skips = skipStreaks(state).map((k) => ({ path: k.path, code: k.code, tasks: k.tasks, since: iso(k.firstNs), last: iso(k.lastNs), persistent: k.tasks >= PERSISTENT_SKIP_TASKS }));
  view.pending = openSubmissions(state).map(pendingView);
  view.pendingDeletes = openDeleteTasks(state).map((d) => ({
    taskId: d.taskId,
    submissionId: d.submissionId,
    recordedStatus: d.status,
    liveStatus: null,
    created: iso(d.createdNs),
    items: d.items,
    paths: d.paths,
  }));
  const s = stateSummary(state);
  // Deferred and skipped are facts about one scan, kept only on the run row, so they come from the last finished run.
  const lastFinished = view.runs.find((r) => r.finished !== null);
  view.paths = {
    tracked: s.tracked,
    dirty: s.dirty,
    inflight: s.inflight,
    gone: s.gone,
    deferred: lastFinished?.deferred ?? null,
    skipped: lastFinished?.skipped ?? null,
  };
  view.hooks = owedHooks(state).map((h) => hookView(h, hooks));
  if (hooks.onFile !== undefined) view.fileHooks = { ...fileHookCounts(state), givenUpFiles: givenUpFileHooks(state, GIVEN_UP_SHOWN) };
}

/** Given-up file hooks named one by one; the count says how many there are in all. */
const GIVEN_UP_SHOWN = 10;

function deliveredView(state: State, rowId: number | null | undefined): RunView['delivered'] {
  const d = rowId === null || rowId === undefined ? undefined : getDelivery(state, rowId);
  if (d === undefined) return null;
  return { files: d.filesTransferred, bytes: d.bytesTransferred, upToDate: d.filesSkipped, skippedErrors: d.skippedErrors, owed: d.skippedOwed, vanished: d.skippedVanished, sample: d.sample };
}

function hookView(h: HookRecord, hooks: Config['hooks']): HookView {
  return {
    hook: h.event !== 'SUCCEEDED' ? 'onFailed' : hooks.onSucceeded ? 'onSucceeded' : 'manifest',
    taskId: h.taskId,
    status: h.event,
    owedSince: iso(h.createdNs),
    attempts: h.attempts,
    failures: h.failures,
    lastResult: h.lastResult,
    lastAttempt: h.lastAttemptNs === null ? null : iso(h.lastAttemptNs),
    manifest: h.manifest === null ? null : path.join(hooks.manifestDir, h.manifest),
    files: h.files,
  };
}

function pendingView(s: SubmissionRecord): PendingView {
  return {
    taskId: s.taskId,
    submissionId: s.submissionId,
    recordedStatus: s.status,
    liveStatus: null,
    niceStatus: null,
    created: iso(s.createdNs),
    submitted: s.submittedNs === null ? null : iso(s.submittedNs),
    items: s.items,
    files: s.files,
    bytes: jsonInt(s.bytes),
    filesTransferred: null,
    bytesTransferred: null,
    faults: null,
  };
}

/** The slice of the remote status reads: one task's state. */
export type StatusRemote = Pick<SyncRemote, 'getTask'>;

/** True when a pending task has an id Globus could be asked about. */
export function wantsLiveStatus(view: StatusView): boolean {
  return view.pending.some((p) => p.taskId !== null) || view.pendingDeletes.some((d) => d.taskId !== null);
}

/** Best effort: status must still answer when Globus cannot be reached or nobody is logged in. */
export async function fillLiveStatus(view: StatusView, remote: StatusRemote): Promise<void> {
  for (const p of view.pending.filter((p) => p.taskId !== null)) {
    try {
      const task = await remote.getTask(p.taskId!);
      p.liveStatus = task.status;
      p.niceStatus = task.nice_status ?? null;
      p.filesTransferred = task.files_transferred;
      p.bytesTransferred = task.bytes_transferred;
      p.faults = task.faults;
    } catch (err) {
      const hint = (err as { hint?: string }).hint;
      view.notes.push(`live task state not available, showing the recorded status: ${errorLine(err)}${hint ? ` (${hint})` : ''}`);
      return;
    }
  }
  for (const d of view.pendingDeletes.filter((d) => d.taskId !== null)) {
    try {
      d.liveStatus = (await remote.getTask(d.taskId!)).status;
    } catch {
      return; // the recorded status says enough
    }
  }
}

const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** Byte counts can exceed 2^53 only in theory, but JSON readers would silently round them, so say so with a string. */
function jsonInt(v: bigint | number): number | string {
  const b = BigInt(v);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
}
