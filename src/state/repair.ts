import type { State } from './open.js';

/**
 * Which paths may hold a partial copy at the destination, and so must ship
 * with sync_level checksum (see migration 2). A path is marked in the same
 * transaction that releases its task, and unmarked in the same transaction
 * that commits a task carrying it as SUCCEEDED, so a crash never loses a mark.
 */

/** Part of a release transaction: every node the submission held needs repair. */
export function markRepair(state: State, submissionRowId: number, sinceNs: bigint): void {
  state.db
    .prepare(
      `INSERT INTO repair (node_id, since_ns) SELECT node_id, ? FROM pending WHERE submission = ?
       ON CONFLICT (node_id) DO UPDATE SET since_ns = excluded.since_ns`,
    )
    .run(sinceNs, submissionRowId);
}

/** Part of a commit transaction: nodes Globus just shipped (skipped ones are no longer pending) are whole again. */
export function clearRepair(state: State, submissionRowId: number): void {
  state.db.prepare(`DELETE FROM repair WHERE node_id IN (SELECT node_id FROM pending WHERE submission = ?)`).run(submissionRowId);
}

/**
 * How the marked paths were released: the statuses (FAILED, LOST, REJECTED, ...)
 * of the submissions ended at the instants the marks were set (a release marks
 * its paths with its own completed_ns, in the same transaction). Only for the
 * words of the repair warning: a submission Globus refused never ran (issue 31.7).
 */
export function repairCauses(state: State): string[] {
  return state.db.prepare(`SELECT DISTINCT s.status FROM repair r JOIN submission s ON s.completed_ns = r.since_ns ORDER BY s.status`).pluck().all() as string[];
}

export function repairCount(state: State): number {
  return (state.db.prepare(`SELECT count(*) AS n FROM repair`).get() as { n: number }).n;
}

/**
 * Decides, item by item, whether a planned item must ship with checksum. An
 * item needs repair when its own node is marked; when it is recursive and a
 * node under it is marked; or when a directory above it is marked and the item
 * was not shipped since (Globus may have written a file the failed task met
 * under that directory without gsync ever naming it). Returns null when nothing
 * is marked, so the common case costs one count.
 */
export function repairJudge(state: State): ((item: { nodeId: number | null; recursive: boolean }) => boolean) | null {
  if (repairCount(state) === 0) return null;
  const { db } = state;
  // Marked nodes and all their ancestors: a recursive item whose node is here covers a marked node.
  const covering = new Set<number>(
    (
      db
        .prepare(
          `WITH RECURSIVE up(id) AS (SELECT node_id FROM repair UNION SELECT n.parent FROM node n JOIN up ON n.id = up.id WHERE n.parent IS NOT NULL)
           SELECT id FROM up`,
        )
        .pluck()
        .all() as number[]
    ),
  );
  const marked = db.prepare(`SELECT 1 FROM repair WHERE node_id = ?`).pluck();
  const markedAbove = db
    .prepare(
      `WITH RECURSIVE anc(id) AS (SELECT parent FROM node WHERE id = ? AND parent IS NOT NULL
         UNION ALL SELECT n.parent FROM node n JOIN anc ON n.id = anc.id WHERE n.parent IS NOT NULL)
       SELECT 1 FROM anc JOIN repair r ON r.node_id = anc.id
       WHERE r.since_ns > coalesce((
         SELECT coalesce(n.last_transfer_ns, s.completed_ns) FROM node n LEFT JOIN submission s ON s.id = n.shipped_by WHERE n.id = ?), -1)
       LIMIT 1`,
    )
    .pluck();
  return (item) => {
    if (item.nodeId === null) return false;
    if (item.recursive ? covering.has(item.nodeId) : marked.get(item.nodeId) !== undefined) return true;
    return markedAbove.get(item.nodeId, item.nodeId) !== undefined;
  };
}
