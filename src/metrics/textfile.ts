import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DIR_MODE, SHARED_FILE_MODE } from '../files/modes.js';

/**
 * What one run tells node_exporter's textfile collector, named as the
 * Prometheus conventions ask: `_total` counters that only grow across runs
 * (read from the state database, src/state/totals.ts), gauges for the job's
 * state now, and the last run's own figures under `gsync_last_run_*`.
 */
export interface RunMetrics {
  job: string;
  // --- the last run's own figures ---
  lastRunExitCode: number;
  /** Unix seconds when the last run ended (any exit code). */
  lastRunTimestampSeconds: number;
  lastRunDurationSeconds: number;
  /** What Globus delivered in the tasks the last run settled SUCCEEDED. */
  lastRunTransferredFiles: number;
  lastRunTransferredBytes: number;
  /** files_skipped of those tasks: not copied, the destination was up to date. */
  lastRunUpToDateFiles?: number;
  /** Paths those tasks skipped with errors (skipped_errors). */
  lastRunSkippedErrors?: number;
  lastRunDeferredPaths: number;
  /** Hook attempts (onSucceeded, onFailed, or writing a manifest) that failed or timed out in the last run. */
  lastRunHookFailures?: number;
  /** deletes.enabled only: paths the last run recorded as deleted at the destination (delete task SUCCEEDED). */
  lastRunDeletedPaths?: number;
  /** deletes.enabled only: 1 when a deletes guard stopped the last run's deletes. */
  lastRunDeletesStopped?: number;
  // --- the job's state now ---
  /** Unix seconds of the last run that ended with exit 0; undefined if none yet. */
  lastSuccessSeconds?: number;
  dirtyPaths: number;
  /** Age of the oldest task still open; 0 when none is. */
  openTaskAgeSeconds: number;
  openTasks?: number;
  inactiveTasks?: number;
  /** Entries the last scan could not read, or whose names are not UTF-8: they can never ship as they are. */
  unreadablePaths?: number;
  /** Hooks recorded for settled tasks and not yet completed with exit 0. */
  hooksOwed?: number;
  /** Paths skipped with the same error in PERSISTENT_SKIP_TASKS tasks in a row or more. */
  persistentSkips?: number;
  /** Files the last reconcile task that SUCCEEDED restored at the destination (issue 27); written once one has. */
  reconcileRestoredFiles?: number;
  /** hooks.onFile (issue 29): file hooks owed (due or waiting a backoff), and given up after hooks.maxAttempts. */
  fileHooksOwed?: number;
  fileHooksGivenUp?: number;
  /** When the credentials stop working unless renewed (a user login's refresh token does not expire; a client secret has none). */
  credentialsExpirySeconds?: number;
  // --- counters over the job's whole history ---
  runsTotal?: number;
  transferredFilesTotal?: number;
  transferredBytesTotal?: number;
  upToDateFilesTotal?: number;
  skippedErrorsTotal?: number;
  tasksSucceededTotal?: number;
  tasksFailedTotal?: number;
  deletedPathsTotal?: number;
  hookFailuresTotal?: number;
  fileHookFailuresTotal?: number;
}

type Kind = 'gauge' | 'counter';

/** Every metric gsync writes: the README's Monitoring table and monitoring/gsync.rules.yml use these names. */
export const METRICS: ReadonlyArray<readonly [keyof RunMetrics, string, Kind, string]> = [
  ['lastRunExitCode', 'gsync_last_run_exit_code', 'gauge', 'Exit code of the last run (0 ok, 1 failure, 2 config, 75 locked, 77 auth).'],
  ['lastRunTimestampSeconds', 'gsync_last_run_timestamp_seconds', 'gauge', 'Unix time the last run ended, whatever its exit code.'],
  ['lastRunDurationSeconds', 'gsync_last_run_duration_seconds', 'gauge', 'Wall time of the last run.'],
  ['lastRunTransferredFiles', 'gsync_last_run_transferred_files', 'gauge', 'Files Globus delivered (files_transferred) in the tasks the last run settled SUCCEEDED.'],
  ['lastRunTransferredBytes', 'gsync_last_run_transferred_bytes', 'gauge', 'Bytes Globus delivered (bytes_transferred) in the tasks the last run settled SUCCEEDED.'],
  ['lastRunUpToDateFiles', 'gsync_last_run_up_to_date_files', 'gauge', 'Files Globus did not copy because the destination was up to date (files_skipped), in the tasks the last run settled.'],
  ['lastRunSkippedErrors', 'gsync_last_run_skipped_errors', 'gauge', 'Paths Globus skipped with errors in the tasks the last run settled.'],
  ['lastRunDeferredPaths', 'gsync_last_run_deferred_paths', 'gauge', 'Files the last run left for later because they were modified too recently.'],
  ['lastRunHookFailures', 'gsync_last_run_hook_failures', 'gauge', 'Hooks (or manifests) that failed or timed out in the last run; they run again next run.'],
  ['lastRunDeletedPaths', 'gsync_last_run_deleted_paths', 'gauge', 'Paths the last run recorded as deleted at the destination (delete task SUCCEEDED).'],
  ['lastRunDeletesStopped', 'gsync_last_run_deletes_stopped', 'gauge', '1 when a deletes guard stopped the last run from deleting anything.'],
  ['lastSuccessSeconds', 'gsync_last_success_timestamp_seconds', 'gauge', 'Unix time of the last run that exited 0.'],
  ['dirtyPaths', 'gsync_dirty_paths', 'gauge', 'Paths that changed and are not yet shipped.'],
  ['openTaskAgeSeconds', 'gsync_open_task_age_seconds', 'gauge', 'Age of the oldest submitted task not yet ended; 0 when none is open.'],
  ['openTasks', 'gsync_open_tasks', 'gauge', 'Transfer and delete tasks submitted and not yet ended.'],
  ['inactiveTasks', 'gsync_inactive_tasks', 'gauge', 'Open tasks Globus last reported INACTIVE: they wait for a person (expired collection credentials, usually).'],
  ['reconcileRestoredFiles', 'gsync_reconcile_restored_files', 'gauge', 'Files the last reconcile task that SUCCEEDED had to restore at the destination (lost or older there); 0 on a healthy destination.'],
  ['hooksOwed', 'gsync_hooks_owed', 'gauge', 'Hooks owed for settled tasks and not yet completed with exit 0.'],
  ['persistentSkips', 'gsync_persistent_skips', 'gauge', 'Paths Globus skipped with the same error in 3 or more tasks in a row.'],
  ['credentialsExpirySeconds', 'gsync_credentials_expiry_timestamp_seconds', 'gauge', 'Unix time the credentials stop working unless renewed; absent when they do not expire.'],
  ['runsTotal', 'gsync_runs_total', 'counter', 'Runs that got the job lock.'],
  ['transferredFilesTotal', 'gsync_transferred_files_total', 'counter', 'Files Globus delivered (files_transferred) in every SUCCEEDED transfer task.'],
  ['transferredBytesTotal', 'gsync_transferred_bytes_total', 'counter', 'Bytes Globus delivered (bytes_transferred) in every SUCCEEDED transfer task.'],
  ['upToDateFilesTotal', 'gsync_up_to_date_files_total', 'counter', 'Files Globus did not copy because the destination was up to date (files_skipped).'],
  ['skippedErrorsTotal', 'gsync_skipped_errors_total', 'counter', 'Paths Globus skipped with errors, over every SUCCEEDED transfer task.'],
  ['tasksSucceededTotal', 'gsync_tasks_succeeded_total', 'counter', 'Transfer and delete tasks that ended SUCCEEDED.'],
  ['tasksFailedTotal', 'gsync_tasks_failed_total', 'counter', 'Transfer and delete tasks that ended any other way: FAILED, lost, refused, history deleted.'],
  ['deletedPathsTotal', 'gsync_deleted_paths_total', 'counter', 'Paths removed at the destination by delete tasks that SUCCEEDED.'],
  ['hookFailuresTotal', 'gsync_hook_failures_total', 'counter', 'Failed or timed-out attempts of hooks and manifests.'],
  ['fileHooksOwed', 'gsync_file_hooks_owed', 'gauge', 'Files whose hooks.onFile is owed: not yet run to exit 0, due now or waiting a backoff after a failure.'],
  ['fileHooksGivenUp', 'gsync_file_hooks_given_up', 'gauge', 'Files whose hooks.onFile failed hooks.maxAttempts times and is no longer tried: a person must look (gsync status lists them).'],
  ['fileHookFailuresTotal', 'gsync_file_hook_failures_total', 'counter', 'Failed or timed-out attempts of hooks.onFile.'],
  ['unreadablePaths', 'gsync_unreadable_paths', 'gauge', 'Paths the last scan could not read or whose names are not UTF-8: they cannot ship until fixed, and the run exits 1.'],
];

export function renderMetrics(m: RunMetrics): string {
  const label = `{job="${escapeLabel(m.job)}"}`;
  const lines: string[] = [];
  for (const [key, name, kind, help] of METRICS) {
    const value = m[key];
    if (value === undefined) continue;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`, `${name}${label} ${Number(value)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Written to a temporary file and renamed, so the collector never reads half
 * a file. The temporary name must not end in .prom, or the collector could
 * pick it up mid-write. Mode 0644: node_exporter runs as another user.
 */
export function writeMetricsFile(file: string, m: RunMetrics): void {
  writeTextfile(file, renderMetrics(m));
}

/** The temporary-file-and-rename write, shared by the run's metrics and verify's. */
export function writeTextfile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: SHARED_DIR_MODE });
  const tmp = `${metricsTempPrefix(file)}${process.pid}.tmp`;
  // 0644, unlike gsync's other files: node_exporter runs as another user. It holds
  // counts only, no paths. A umask such as 077 would strip the read bits, so the
  // temporary file is widened before it is renamed into place, if need be.
  fs.writeFileSync(tmp, text, { mode: SHARED_FILE_MODE });
  if ((fs.statSync(tmp).mode & 0o777) !== SHARED_FILE_MODE) fs.chmodSync(tmp, SHARED_FILE_MODE);
  fs.renameSync(tmp, file);
}

/** Every temporary file writeMetricsFile makes for `file` starts with this (gsync watch ignores them). */
export function metricsTempPrefix(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.`);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** What the last `gsync verify` tells node_exporter (issue 27). */
export interface VerifyMetrics {
  finishedSeconds: number;
  /** Paths missing or differing at the destination. */
  drift: number;
  /** Directories Globus could not list. */
  unverified: number;
}

/**
 * A file of its own beside the run's (`<name>.verify.prom` for `<name>.prom`), so
 * a run's metrics and a verify's never overwrite each other.
 */
export function verifyMetricsFile(file: string): string {
  return file.endsWith('.prom') ? `${file.slice(0, -'.prom'.length)}.verify.prom` : `${file}.verify.prom`;
}

export function renderVerifyMetrics(job: string, m: VerifyMetrics): string {
  const label = `{job="${escapeLabel(job)}"}`;
  const gauges: Array<[string, string, number]> = [
    ['gsync_verify_last_timestamp_seconds', 'Unix time the last gsync verify finished.', m.finishedSeconds],
    ['gsync_verify_drift_paths', 'Paths the last gsync verify found missing or differing at the destination.', m.drift],
    ['gsync_verify_unverified_dirs', 'Directories the last gsync verify could not list through Globus.', m.unverified],
  ];
  return gauges.map(([name, help, v]) => `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name}${label} ${v}`).join('\n') + '\n';
}

export function writeVerifyMetrics(runFile: string, job: string, m: VerifyMetrics): void {
  writeTextfile(verifyMetricsFile(runFile), renderVerifyMetrics(job, m));
}
