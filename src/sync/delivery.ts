import fs from 'node:fs';
import path from 'node:path';
import type { SkippedError, Task, TransferDocument } from '../globus/schemas.js';
import { recordDelivery, type SkippedPath } from '../state/deliveries.js';
import type { SubmissionRecord } from '../ledger/transfer-rows.js';
import type { SyncContext } from '../run/sync-context.js';
import { relPathOnSource } from '../plan/paths.js';

/** How many skipped paths a summary, a log and the state keep by name. */
export const SKIP_SAMPLE = 3;

/**
 * What Globus says one SUCCEEDED task delivered, beside what gsync asked for.
 * Counts are the task document's (docs.globus.org/api/transfer/task, task
 * fields): files_transferred and bytes_transferred were copied; files_skipped
 * were not copied because sync_level found the destination already up to date;
 * paths skipped with errors (skip_source_errors) are listed by skipped_errors.
 */
export interface Delivery {
  taskId: string;
  filesAsked: number;
  filesTransferred: number;
  bytesTransferred: number;
  filesUpToDate: number;
  skippedErrors: number;
  /** Skipped paths that still exist in the source folder: they stay owed, and the run exits 1 (rsync's 23). */
  owed: number;
  /** Skipped paths gone from the source folder too (deleted between scan and transfer): a warning (rsync's 24). */
  vanished: number;
  owedSample: SkippedPath[];
  vanishedSample: SkippedPath[];
  /** One line telling a person what to fix; null when nothing is owed. */
  hint: string | null;
}

/** Sorts the skipped paths by whether they still exist locally, records the delivery and the skip streaks, and logs what a person should know. */
export function noteDelivery(sync: SyncContext, sub: SubmissionRecord, task: Task, skipped: readonly SkippedError[]): Delivery {
  const owed: SkippedPath[] = [];
  const vanished: SkippedPath[] = [];
  for (const s of skipped) (existsLocally(sync, s.source_path) ? owed : vanished).push({ code: s.error_code, path: s.source_path });
  const d: Delivery = {
    taskId: task.task_id,
    filesAsked: sub.files,
    filesTransferred: task.files_transferred,
    bytesTransferred: task.bytes_transferred,
    filesUpToDate: task.files_skipped,
    skippedErrors: skipped.length,
    owed: owed.length,
    vanished: vanished.length,
    owedSample: owed.slice(0, SKIP_SAMPLE),
    vanishedSample: vanished.slice(0, SKIP_SAMPLE),
    hint: owed.length ? hintFor(owed[0]!, sync) : null,
  };
  const items = (JSON.parse(sub.document) as TransferDocument).DATA;
  recordDelivery(
    sync.state,
    sub.id,
    {
      filesTransferred: d.filesTransferred,
      bytesTransferred: d.bytesTransferred,
      filesSkipped: d.filesUpToDate,
      skippedErrors: d.skippedErrors,
      skippedOwed: d.owed,
      skippedVanished: d.vanished,
      sample: [...d.owedSample, ...d.vanishedSample].slice(0, SKIP_SAMPLE),
    },
    items,
    owed,
    sync.now(),
  );
  const log = sync.logger.child({ taskId: task.task_id });
  if (d.vanished) {
    log.warn({ paths: d.vanishedSample }, `${d.vanished} path(s) skipped by Globus are gone from the source too (deleted between scan and transfer)`);
  }
  if (d.owed) {
    log.error({ paths: d.owedSample, owed: d.owed }, `${d.owed} path(s) skipped by Globus still exist locally and stay owed: ${d.hint}`);
  }
  return d;
}

/** The path Globus skipped, looked up in the source folder; a path outside it cannot be checked and counts as owed. */
function existsLocally(sync: SyncContext, sourcePath: string): boolean {
  // A source listed through Globus is never looked at on this host (issue 29): the path stays owed, and the next listing judges it.
  if (sync.config.source.listing === 'globus') return true;
  const rel = relPathOnSource(sourcePath, sync.config.source.collectionPath);
  if (rel === null) return true;
  try {
    fs.lstatSync(path.join(sync.config.source.path, rel));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return !(code === 'ENOENT' || code === 'ENOTDIR');
  }
}

function hintFor(s: SkippedPath, sync: SyncContext): string {
  switch (s.code) {
    case 'FILE_NOT_FOUND':
      return (
        `the source collection has no ${s.path}, yet it exists in ${sync.config.source.path}: ` +
        `set source.collectionPath to where the source folder appears on the collection (now ${sync.config.source.collectionPath}), and check with gsync test-config`
      );
    case 'PERMISSION_DENIED':
      return `the source collection refuses to read ${s.path}: check the collection's permissions for this login (its path restrictions, or the guest collection's access rules)`;
    default:
      return `Globus could not read ${s.path} (${s.code}): see the task's skipped errors in the Globus web app`;
  }
}
