import type { State } from './open.js';
import { FORGET_SHIPPED } from './trie.js';
import { subtreeCte } from './subtree.js';

/** What one verify compared and found. */
export interface VerifyCounts {
  files: number;
  dirs: number;
  listings: number;
  missing: number;
  differs: number;
  extra: number;
  unverified: number;
}

/** One finished `gsync verify`, as recorded (migration "issue 27"). */
export interface VerifyRecord extends VerifyCounts {
  startedNs: bigint;
  finishedNs: bigint;
  /** The --path verified ('' for the whole tree). */
  scope: string;
  /** Paths --repair marked owed (0 without --repair). */
  repaired: number;
  exitCode: number;
}

/** A drifted path to mark owed: the node, whether its subtree goes with it, and whether the destination holds a differing copy. */
export interface DriftMark {
  nodeId: number;
  subtree: boolean;
  differingCopy: boolean;
}

/** Files recorded shipped under a node (live ones), for a directory found missing. */
export function shippedFilesUnder(state: State, nodeId: number): number {
  return (state.db.prepare(`${subtreeCte({ liveOnly: true })} SELECT count(*) FROM node WHERE id IN (SELECT id FROM sub) AND shipped_kind = 'f'`).pluck().get(nodeId) as number) ?? 0;
}

/** Directories recorded shipped under a node, itself included: how many listings a verify has ahead of it. */
export function shippedDirsUnder(state: State, nodeId: number): number {
  return (state.db.prepare(`${subtreeCte({ liveOnly: true })} SELECT count(*) FROM node WHERE id IN (SELECT id FROM sub) AND (shipped_kind = 'd' OR id = ?)`).pluck().get(nodeId, nodeId) as number) ?? 0;
}

/**
 * Records a verify, and with `marks` (--repair) makes every drifted path owed,
 * all in one transaction: a verify killed before it leaves nothing recorded,
 * never half the marks. A path is made owed by forgetting what was shipped (as
 * set-time --never does), so the next scan finds it new and plans it; a path
 * whose destination copy exists but differs also gets the repair mark, so it
 * ships with sync_level checksum, which mtime could skip. Nothing is ever
 * recorded shipped here. A node in flight or being deleted since the listing is
 * left alone: its task decides its fate. Returns how many nodes were marked.
 */
export function recordVerify(state: State, record: Omit<VerifyRecord, 'repaired'>, marks: DriftMark[] | null): number {
  const { db } = state;
  const busy = db.prepare(`SELECT EXISTS (SELECT 1 FROM pending WHERE node_id = ?) OR EXISTS (SELECT 1 FROM delete_pending WHERE node_id = ?)`).pluck();
  const forgetOne = db.prepare(
    `UPDATE node SET ${FORGET_SHIPPED}, last_transfer_ns = NULL WHERE id = ?`,
  );
  const forgetSubtree = db.prepare(
    `${subtreeCte({ liveOnly: true })} UPDATE node SET ${FORGET_SHIPPED}, last_transfer_ns = NULL
       WHERE id IN (SELECT id FROM sub) AND id NOT IN (SELECT node_id FROM pending)`,
  );
  const markRepair = db.prepare(`INSERT INTO repair (node_id, since_ns) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET since_ns = excluded.since_ns`);
  const insert = db.prepare(
    `INSERT INTO verify_run (started_ns, finished_ns, scope, files, dirs, listings, missing, differs, extra, unverified, repaired, exit_code)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db.transaction(() => {
    let repaired = 0;
    for (const m of marks ?? []) {
      if (busy.get(m.nodeId, m.nodeId) === 1) continue;
      repaired += (m.subtree ? forgetSubtree.run(m.nodeId) : forgetOne.run(m.nodeId)).changes;
      if (m.differingCopy) markRepair.run(m.nodeId, record.finishedNs);
    }
    const r = record;
    insert.run(r.startedNs, r.finishedNs, r.scope, r.files, r.dirs, r.listings, r.missing, r.differs, r.extra, r.unverified, repaired, r.exitCode);
    return repaired;
  }).immediate();
}

export function lastVerify(state: State): VerifyRecord | null {
  const has = state.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'verify_run'`).pluck().get();
  if (has === undefined) return null;
  const row = state.db.prepare(`SELECT * FROM verify_run ORDER BY id DESC LIMIT 1`).safeIntegers(true).get() as Record<string, bigint | string> | undefined;
  if (row === undefined) return null;
  const n = (k: string) => Number(row[k]);
  return {
    startedNs: row.started_ns as bigint,
    finishedNs: row.finished_ns as bigint,
    scope: row.scope as string,
    files: n('files'),
    dirs: n('dirs'),
    listings: n('listings'),
    missing: n('missing'),
    differs: n('differs'),
    extra: n('extra'),
    unverified: n('unverified'),
    repaired: n('repaired'),
    exitCode: n('exit_code'),
  };
}
