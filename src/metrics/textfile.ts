import fs from 'node:fs';
import path from 'node:path';

/** What one run tells node_exporter's textfile collector. */
export interface RunMetrics {
  job: string;
  /** Unix seconds of the last run that ended with exit 0; undefined if none yet. */
  lastSuccessSeconds?: number;
  lastExitCode: number;
  runDurationSeconds: number;
  filesShipped: number;
  bytesShipped: number;
  dirtyPaths: number;
  deferredPaths: number;
  /** Age of the oldest task still ACTIVE; 0 when none is pending. */
  pendingTaskAgeSeconds: number;
  /** Hook attempts (onSucceeded, onFailed, or writing a manifest) that failed or timed out in the last run. */
  hookFailures?: number;
  /** Hooks recorded for settled tasks and not yet completed with exit 0. */
  hooksOwed?: number;
  /** deletes.enabled only: paths the last run recorded as deleted at the destination (delete task SUCCEEDED). */
  deletedPaths?: number;
  /** deletes.enabled only: 1 when a deletes guard stopped the last run's deletes. */
  deletesStopped?: number;
  /** files_skipped of the tasks this run settled SUCCEEDED: not copied, the destination was up to date. */
  filesUpToDate?: number;
  /** Paths those tasks skipped with errors (skipped_errors). */
  skippedErrors?: number;
  /** Paths skipped with the same error in PERSISTENT_SKIP_TASKS tasks in a row or more. */
  persistentSkips?: number;
}

const GAUGES: Array<[keyof RunMetrics, string, string]> = [
  ['lastSuccessSeconds', 'gsync_last_success_timestamp_seconds', 'Unix time of the last run that exited 0.'],
  ['lastExitCode', 'gsync_last_exit_code', 'Exit code of the last run (0 ok, 1 failure, 2 config, 75 locked, 77 auth).'],
  ['runDurationSeconds', 'gsync_run_duration_seconds', 'Wall time of the last run.'],
  ['filesShipped', 'gsync_files_shipped', 'Files Globus delivered (files_transferred) in the tasks the last run settled SUCCEEDED.'],
  ['bytesShipped', 'gsync_bytes_shipped', 'Bytes Globus delivered (bytes_transferred) in the tasks the last run settled SUCCEEDED.'],
  ['dirtyPaths', 'gsync_dirty_paths', 'Paths that changed and are not yet shipped.'],
  ['deferredPaths', 'gsync_deferred_paths', 'Files left for a later run because they were modified too recently.'],
  ['pendingTaskAgeSeconds', 'gsync_pending_task_age_seconds', 'Age of the oldest submitted task not yet finished.'],
  ['hookFailures', 'gsync_hook_failures', 'Hooks (or manifests) that failed or timed out in the last run; they run again next run.'],
  ['hooksOwed', 'gsync_hooks_owed', 'Hooks owed for settled tasks and not yet completed with exit 0.'],
  ['deletedPaths', 'gsync_deleted_paths', 'Paths the last run recorded as deleted at the destination (delete task SUCCEEDED).'],
  ['deletesStopped', 'gsync_deletes_stopped', '1 when a deletes guard stopped the last run from deleting anything.'],
  ['filesUpToDate', 'gsync_files_up_to_date', 'Files Globus did not copy because the destination was up to date (files_skipped), in the tasks the last run settled.'],
  ['skippedErrors', 'gsync_skipped_errors', 'Paths Globus skipped with errors in the tasks the last run settled.'],
  ['persistentSkips', 'gsync_persistent_skips', 'Paths Globus skipped with the same error in 3 or more tasks in a row.'],
];

export function renderMetrics(m: RunMetrics): string {
  const label = `{job="${escapeLabel(m.job)}"}`;
  const lines: string[] = [];
  for (const [key, name, help] of GAUGES) {
    const value = m[key];
    if (value === undefined) continue;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${label} ${Number(value)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Written to a temporary file and renamed, so the collector never reads half
 * a file. The temporary name must not end in .prom, or the collector could
 * pick it up mid-write.
 */
export function writeMetricsFile(file: string, m: RunMetrics): void {
  writeTextfile(file, renderMetrics(m));
}

function writeTextfile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${metricsTempPrefix(file)}${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o644 });
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
