import type { State } from './open.js';

/**
 * Free pages, as a share of the file, from which a run compacts the state database.
 * The first ship of a tree leaves about a third of the file free: its `pending` rows
 * (one per path, deleted when the task SUCCEEDED) and the node pages split when every
 * row grew from its scanned to its shipped form (bench/RESULTS.md, "Where the state
 * database's bytes go"). Later runs seldom come near this share: their pending rows
 * fit in the pages the first one freed.
 */
export const COMPACT_FREE_SHARE = 0.25;

/** Below this many free pages (1 MiB at SQLite's 4 KiB pages) a compaction is not worth a rewrite. */
export const COMPACT_MIN_FREE_PAGES = 256;

/**
 * Rewrites the database (VACUUM) when at least COMPACT_FREE_SHARE of it is free pages:
 * it drops them and packs every page full, which also removes the slack the first
 * ship's row growth left in the node table and its index (about 12 bytes a file).
 * SQLite's incremental auto-vacuum was the other candidate: it only returns free pages,
 * needs to be set before the first table exists (so not for existing databases), and
 * leaves that slack. VACUUM is one transaction: a crash leaves the old file, whole.
 * It needs free space about the database's size in SQLite's temporary directory
 * (SQLITE_TMPDIR or TMPDIR), and the WAL is truncated afterwards, since in WAL mode
 * the rewrite passes through it. Returns whether it compacted.
 */
export function compactIfSparse(state: State): boolean {
  const { db } = state;
  if (state.readonly || db.inTransaction) return false;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  if (free < COMPACT_MIN_FREE_PAGES || free < pages * COMPACT_FREE_SHARE) return false;
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return true;
}
