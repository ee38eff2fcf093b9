import type { State } from '../state/open.js';
import { FORGET_SHIPPED } from '../state/trie.js';

/**
 * Every row under the deleted path either goes (gone from the source) or stays
 * with its shipped record cleared (present, so it ships again). A row another
 * open submission still covers stays too, with its ancestors, so no reference dangles.
 */
export function forgetSubtree(state: State, topId: number, topPresent: boolean): void {
  const { db } = state;
  const rows = db
    .prepare(
      `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent = sub.id)
       SELECT n.id, n.parent, n.gone, EXISTS (SELECT 1 FROM pending p WHERE p.node_id = n.id)
         -- a manifest still owed names the node (src/state/hooks.ts): keep the row until its hook is done
         OR EXISTS (SELECT 1 FROM manifest_file m WHERE m.node_id = n.id) AS held
       FROM node n JOIN sub ON n.id = sub.id`,
    )
    .all(topId) as Array<{ id: number; parent: number | null; gone: number; held: number }>;
  const parentOf = new Map(rows.map((r) => [r.id, r.parent]));
  const keep = new Set<number>();
  for (const r of rows) {
    if (r.gone === 0 || r.held === 1 || (r.id === topId && topPresent)) {
      // Keep it and its ancestors up to the deleted path.
      for (let id: number | null | undefined = r.id; id !== undefined && id !== null && !keep.has(id); id = parentOf.get(id)) {
        keep.add(id);
        if (id === topId) break;
      }
    }
  }
  const drop = rows.filter((r) => !keep.has(r.id)).map((r) => r.id);
  const clear = db.prepare(
    `UPDATE node SET ${FORGET_SHIPPED}, last_transfer_ns = NULL WHERE id = ?`,
  );
  for (const id of keep) clear.run(id);
  // Children before parents, so each DELETE satisfies the parent reference on its own.
  const del = db.prepare(`DELETE FROM node WHERE id = ?`);
  // A repair mark (a partial copy from a failed task) dies with the destination copy it was for.
  const unmark = db.prepare(`DELETE FROM repair WHERE node_id = ?`);
  for (const id of drop.reverse()) {
    unmark.run(id);
    del.run(id);
  }
}

