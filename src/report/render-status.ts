import { verifyStatusLine, type VerifyView } from './verify-report.js';
import { reconcileStatusLines, type ReconcileView } from './reconcile-status.js';
import { formatBytes } from './format-bytes.js';

/** The report `gsync status` shows, built by src/report/status-view.ts; `--json` prints it as is. */
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
  /** What Globus reported for the run's task once it SUCCEEDED (files_transferred, files_skipped, skipped errors); null before. */
  delivered?: { files: number; bytes: number; upToDate: number; skippedErrors: number; owed: number; vanished: number; sample: Array<{ code: string; path: string }> } | null;
}

/** A path Globus skipped with the same error in consecutive SUCCEEDED tasks. */
export interface SkipView {
  path: string;
  code: string;
  tasks: number;
  since: string;
  last: string;
  /** At least PERSISTENT_SKIP_TASKS tasks in a row. */
  persistent: boolean;
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

/** A delete task (deletes.enabled) not yet settled: its paths are neither shipped nor forgotten meanwhile. */
export interface PendingDeleteView {
  taskId: string | null;
  submissionId: string;
  recordedStatus: string;
  liveStatus: string | null;
  created: string;
  items: number;
  paths: number;
}

export interface StatusView {
  job: string;
  state: string;
  runs: RunView[];
  pending: PendingView[];
  hooks: HookView[];
  pendingDeletes: PendingDeleteView[];
  paths: { tracked: number; dirty: number; inflight: number; gone: number; deferred: number | null; skipped: number | null } | null;
  credentials: { kind: 'user' | 'client'; expiresAt: string | null; refreshable: boolean | null; tokenFile: string | null } | null;
  /** One-line explanations of what could not be shown (no login, network down). */
  notes: string[];
  /** Paths still skipped by Globus, longest streak first. */
  skips?: SkipView[];
  /** The last `gsync verify` (issue 27); null when none ran. */
  lastVerify?: VerifyView | null;
  /** Reconcile runs (issue 27); null when the job neither reconciles on a schedule nor ever did. */
  reconcile?: ReconcileView | null;
  /** hooks.onFile (issue 29): owed, failed attempts, and the files given up (newest first, a few). */
  fileHooks?: { owed: number; givenUp: number; failures: number; givenUpFiles: Array<{ relPath: string; taskId: string; attempts: number; lastResult: string | null }> };
}

/** One JSON object on one line: the report itself. */
export function renderStatusJson(v: StatusView): string {
  return JSON.stringify(v) + '\n';
}

/** What `gsync status` prints at a terminal. */
export function renderStatusText(v: StatusView): string {
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
    lines.push(`pending  task ${p.taskId ?? '(not yet submitted)'}: ${live}, ${p.items} items, ${p.files} files, ${formatBytes(Number(p.bytes))}${progress}`);
  }
  for (const h of v.hooks) {
    const tried = h.attempts === 0 ? 'not run yet' : `${h.attempts} attempt${h.attempts === 1 ? '' : 's'}, last ${h.lastResult ?? 'cut short'}`;
    lines.push(`hook     ${h.hook} owed for task ${h.taskId} (${h.status}) since ${h.owedSince.replace(/\.\d{3}Z$/, 'Z')}: ${tried}`);
  }
  if (v.fileHooks && (v.fileHooks.owed > 0 || v.fileHooks.givenUp > 0)) {
    const f = v.fileHooks;
    lines.push(`files    hooks.onFile: ${f.owed} owed, ${f.givenUp} given up after hooks.maxAttempts, ${f.failures} failed attempts`);
    for (const g of f.givenUpFiles) lines.push(`         given up: ${g.relPath} (task ${g.taskId}, ${g.attempts} attempts, last ${g.lastResult ?? 'cut short'})`);
  }
  for (const d of v.pendingDeletes) {
    const state = d.liveStatus ? `${d.liveStatus}${d.liveStatus !== d.recordedStatus ? `, recorded ${d.recordedStatus} until the next run` : ''}` : `${d.recordedStatus} (recorded)`;
    lines.push(`deleting task ${d.taskId ?? '(not yet submitted)'}: ${state}, ${d.paths} paths in ${d.items} items`);
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
            ' ' + (r.bytes === null ? '-' : formatBytes(Number(r.bytes))),
          ].join(' '),
      );
    }
  }
  for (const r of v.runs) {
    const d = r.delivered;
    if (!d || d.skippedErrors + d.upToDate === 0) continue;
    const what = [`${d.files} of ${r.files ?? '?'} files delivered`];
    if (d.upToDate) what.push(`${d.upToDate} already up to date`);
    if (d.skippedErrors) what.push(`${d.skippedErrors} skipped by Globus (${d.sample.map((x) => `${x.code} ${x.path}`).join(', ')}${d.skippedErrors > d.sample.length ? ', ...' : ''})`);
    lines.push(`delivery run ${r.id}, task ${r.taskId}: ${what.join('; ')}`);
  }
  for (const k of v.skips ?? []) {
    lines.push(`skipped  ${k.code} ${k.path}: in ${k.tasks} task${k.tasks === 1 ? '' : 's'} in a row since ${k.since}${k.persistent ? ' (persistent)' : ''}`);
  }
  if (v.lastVerify) lines.push(verifyStatusLine(v.lastVerify));
  if (v.reconcile) lines.push(...reconcileStatusLines(v.reconcile));
  for (const n of v.notes) lines.push(`note     ${n}`);
  return lines.join('\n') + '\n';
}
