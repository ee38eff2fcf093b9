import path from 'node:path';
import { createCredentials, type Credentials } from '../auth/credentials.js';
import type { Config } from '../config/schema.js';
import { EXIT } from '../errors/exit-codes.js';
import { TransferClient } from '../globus/transfer-client.js';
import type { Logger } from '../log/logger.js';
import { formatBytes } from '../plan/render.js';
import { owedHooks, type HookRecord } from '../state/hooks.js';
import { openExistingState, type State } from '../state/open.js';
import { lastRuns } from '../state/runs.js';
import { getSubmission, openSubmissions, type SubmissionRecord } from '../state/submissions.js';
import { stateSummary } from '../state/summary.js';
import { loadJob, type CommandContext } from './context.js';

export interface StatusOptions {
  json?: boolean;
}

/** How many runs status shows; enough to see a pattern of failures without a pager. */
const RUNS_SHOWN = 5;

export interface RunView {
  id: number;
  started: string;
  finished: string | null;
  durationSeconds: number | null;
  result: string;
  exitCode: number;
  taskId: string | null;
  items: number | null;
  files: number | null;
  bytes: number | string | null;
  deferred: number | null;
  skipped: number | null;
  message: string | null;
}

export interface PendingView {
  taskId: string | null;
  submissionId: string;
  /** What the state database last recorded. */
  recordedStatus: string;
  /** What Globus says now; null when it could not be asked. */
  liveStatus: string | null;
  niceStatus: string | null;
  created: string;
  submitted: string | null;
  items: number;
  files: number;
  bytes: number | string;
  filesTransferred: number | null;
  bytesTransferred: number | null;
  faults: number | null;
}

/** A hook owed for a settled task (it has not exited 0 yet). */
export interface HookView {
  /** 'manifest' when only the manifest is owed (no hooks.onSucceeded set). */
  hook: 'onSucceeded' | 'onFailed' | 'manifest';
  taskId: string;
  status: string;
  owedSince: string;
  attempts: number;
  failures: number;
  /** How the last attempt ended; null if none ended (never tried, or cut short by a crash). */
  lastResult: string | null;
  lastAttempt: string | null;
  manifest: string | null;
  files: number;
}

export interface StatusView {
  job: string;
  state: string;
  runs: RunView[];
  pending: PendingView[];
  hooks: HookView[];
  paths: { tracked: number; dirty: number; inflight: number; gone: number; deferred: number | null; skipped: number | null } | null;
  credentials: { kind: 'user' | 'client'; expiresAt: string | null; refreshable: boolean | null; tokenFile: string | null } | null;
  /** One-line explanations of what could not be shown (no login, network down). */
  notes: string[];
}

/** Read-only: never creates the state database and never refreshes tokens unless a live task lookup needs one. */
export async function statusCommand(opts: StatusOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  const notes: string[] = [];
  let creds: Credentials | null = null;
  try {
    creds = createCredentials(config, ctx.env, logger);
  } catch (err) {
    notes.push(`credentials: ${(err as Error).message}`);
  }
  const view: StatusView = { job: config.name, state: config.state.path, runs: [], pending: [], hooks: [], paths: null, credentials: null, notes };
  if (creds) {
    const d = creds.describe();
    view.credentials = { kind: d.kind, expiresAt: d.expiresAt?.toISOString() ?? null, refreshable: d.refreshable ?? null, tokenFile: d.tokenFile ?? null };
  }

  const state = openExistingState(config.state.path);
  if (state === null) {
    notes.push('no runs yet: there is no state database');
  } else {
    try {
      fillFromState(view, state);
      view.hooks = owedHooks(state).map((h) => hookView(h, config.hooks));
      await fillLive(view.pending, creds, ctx, logger, notes);
    } finally {
      state.close();
    }
  }
  ctx.out.write(opts.json ? JSON.stringify(view) + '\n' : renderText(view));
  return EXIT.ok;
}

function fillFromState(view: StatusView, state: State): void {
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
  }));
  view.pending = openSubmissions(state).map(pendingView);
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

/** Best effort: status must still answer when Globus cannot be reached or nobody is logged in. */
async function fillLive(pending: PendingView[], creds: Credentials | null, ctx: CommandContext, logger: Logger, notes: string[]): Promise<void> {
  const withTask = pending.filter((p) => p.taskId !== null);
  if (withTask.length === 0 || creds === null) return;
  // No retries: a person waiting on status wants the recorded state now rather than a minute of backoff.
  const client = new TransferClient({ tokens: creds.tokens, logger, env: ctx.env, retry: { maxRetries: 0 }, timeoutMs: 15_000 });
  try {
    for (const p of withTask) {
      try {
        const task = await client.getTask(p.taskId!);
        p.liveStatus = task.status;
        p.niceStatus = task.nice_status ?? null;
        p.filesTransferred = task.files_transferred;
        p.bytesTransferred = task.bytes_transferred;
        p.faults = task.faults;
      } catch (err) {
        const hint = (err as { hint?: string }).hint;
        notes.push(`live task state not available, showing the recorded status: ${firstLine(err)}${hint ? ` (${hint})` : ''}`);
        return;
      }
    }
  } finally {
    await client.close();
  }
}

function renderText(v: StatusView): string {
  const lines: string[] = [`job      ${v.job}`, `state    ${v.state}`];
  if (v.paths) {
    const p = v.paths;
    lines.push(
      `paths    ${p.tracked} tracked, ${p.dirty} dirty, ${p.inflight} in flight, ${p.gone} gone` +
        (p.deferred === null ? '' : `; last run: ${p.deferred} deferred, ${p.skipped ?? 0} skipped`),
    );
  }
  if (v.credentials) {
    const c = v.credentials;
    const exp = c.expiresAt ? `access token expires ${c.expiresAt}` : c.kind === 'client' ? 'a token is granted at each run' : 'no token stored';
    lines.push(`login    ${c.kind === 'client' ? 'service account' : 'user login'}, ${exp}${c.refreshable === false ? ', no refresh token' : ''}`);
  }
  for (const p of v.pending) {
    const nice = p.niceStatus && p.niceStatus !== p.liveStatus ? ` (${p.niceStatus})` : '';
    // A task that ended since the last run is recorded by the next run, not here: say both.
    const recorded = p.liveStatus !== null && p.liveStatus !== p.recordedStatus ? `, recorded ${p.recordedStatus} until the next run` : '';
    const live = p.liveStatus ? `${p.liveStatus}${nice}${recorded}` : `${p.recordedStatus} (recorded)`;
    const progress = p.filesTransferred === null ? '' : `, ${p.filesTransferred}/${p.files} files done, ${p.faults} faults`;
    lines.push(`pending  task ${p.taskId ?? '(not yet submitted)'}: ${live}, ${p.items} items, ${p.files} files, ${formatBytes(Number(p.bytes), 'binary')}${progress}`);
  }
  for (const h of v.hooks) {
    const tried = h.attempts === 0 ? 'not run yet' : `${h.attempts} attempt${h.attempts === 1 ? '' : 's'}, last ${h.lastResult ?? 'cut short'}`;
    lines.push(`hook     ${h.hook} owed for task ${h.taskId} (${h.status}) since ${h.owedSince.replace(/\.\d{3}Z$/, 'Z')}: ${tried}`);
  }
  if (v.runs.length > 0) {
    lines.push('runs     started               duration  result          task                                  items   files  bytes');
    for (const r of v.runs) {
      lines.push(
        '         ' +
          [
            r.started.replace(/\.\d{3}Z$/, 'Z').padEnd(21),
            (r.durationSeconds === null ? '-' : `${r.durationSeconds.toFixed(1)}s`).padStart(8),
            ' ' + r.result.padEnd(15),
            (r.taskId ?? '-').padEnd(37),
            String(r.items ?? '-').padStart(5),
            String(r.files ?? '-').padStart(7),
            ' ' + (r.bytes === null ? '-' : formatBytes(Number(r.bytes), 'binary')),
          ].join(' '),
      );
    }
  }
  for (const n of v.notes) lines.push(`note     ${n}`);
  return lines.join('\n') + '\n';
}

const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** Byte counts can exceed 2^53 only in theory, but JSON readers would silently round them, so say so with a string. */
function jsonInt(v: bigint | number): number | string {
  const b = BigInt(v);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
