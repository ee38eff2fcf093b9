import type { Task, TransferDocument } from '../globus/schemas.js';
import { NodeLookup } from '../state/node-lookup.js';
import type { SubmissionRecord } from '../ledger/transfer-rows.js';
import type { SyncContext } from '../run/sync-context.js';
import { relPathOnSource } from '../plan/paths.js';

/**
 * The nodes a SUCCEEDED task delivered, as Globus reports them (issue 26), for
 * its manifest and onSucceeded hook:
 * - a file item: delivered unless skipped with an error (those are already
 *   dropped from pending when the manifest is recorded);
 * - a directory item: only the files its successful_transfers name, since the
 *   folder Globus copied may not hold what the scan saw there.
 * null when Globus copied no file at all (everything was already up to date):
 * then there is no manifest and no hook, whatever was asked for.
 */
export async function deliveredNodes(ctx: SyncContext, sub: SubmissionRecord, task: Task): Promise<number[] | null> {
  if (task.files_transferred === 0) return null;
  const root = ctx.config.source.collectionPath;
  const lookup = new NodeLookup(ctx.state);
  const out: number[] = [];
  const add = (sourcePath: string) => {
    const rel = relPathOnSource(sourcePath, root);
    const id = rel === null ? null : lookup.idOf(rel);
    if (id !== null) out.push(id);
  };
  const items = (JSON.parse(sub.document) as TransferDocument).DATA;
  for (const item of items) if (!item.recursive) add(item.source_path);
  if (items.some((i) => i.recursive)) {
    for await (const t of ctx.remote.successfulTransfers(task.task_id)) add(t.source_path);
  }
  return out;
}
