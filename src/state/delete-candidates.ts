import type { NodeKind } from './fingerprint.js';
import type { State } from './open.js';

/** What the trie knows about one path a scan found gone or of another type. */
export interface RemovalFacts {
  /** What the destination holds there, or null when nothing under it was ever shipped. */
  shippedKind: NodeKind | null;
  /** Shipped paths at and under it: what deleting it removes. */
  shippedPaths: number;
  /** A transfer still in flight covers it or something under it: wait for that task to end. */
  inFlight: boolean;
  /** An open delete task already covers it. */
  beingDeleted: boolean;
}

const SUB = `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent = sub.id)`;

export function removalFacts(state: State, nodeId: number): RemovalFacts {
  const row = state.db
    .prepare(
      `${SUB} SELECT
         (SELECT shipped_kind FROM node WHERE id = ?) AS kind,
         (SELECT count(*) FROM node n JOIN sub ON n.id = sub.id WHERE n.shipped_kind IS NOT NULL) AS shipped,
         EXISTS (SELECT 1 FROM pending p JOIN sub ON p.node_id = sub.id) AS inFlight,
         EXISTS (SELECT 1 FROM delete_pending d JOIN sub ON d.node_id = sub.id) AS beingDeleted`,
    )
    .get(nodeId, nodeId) as { kind: NodeKind | null; shipped: number; inFlight: number; beingDeleted: number };
  // A directory whose own record was reset (set-time --never) still stands at the destination if anything under it shipped.
  const shippedKind = row.kind ?? (row.shipped > 0 ? 'd' : null);
  return { shippedKind, shippedPaths: row.shipped, inFlight: row.inFlight === 1, beingDeleted: row.beingDeleted === 1 };
}

/** Paths recorded as shipped (the source directory itself not counted): the base of deletes.maxPercent. */
export function trackedPaths(state: State): number {
  return state.db.prepare(`SELECT count(*) FROM node WHERE parent IS NOT NULL AND shipped_kind IS NOT NULL`).pluck(true).get() as number;
}
