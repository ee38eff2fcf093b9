import { ROOT_NODE_ID, type State } from './open.js';

/**
 * Every path the trie records as gone at its top (its parent is not gone), with
 * its source-relative path: what a run with deletes on owes the destination,
 * whenever it went missing (issue 26). A scan reports only what it walks past,
 * so a path that went while deletes were off, or outside a --changes list, or
 * under a directory since replaced by a file, would otherwise stay for ever.
 * Whether anything under it reached the destination is the planner's question.
 */
export function goneTops(state: State): Array<{ nodeId: number; relPath: string }> {
  const tops = state.db
    .prepare(`SELECT n.id FROM node n JOIN node p ON p.id = n.parent WHERE n.gone = 1 AND p.gone = 0 ORDER BY n.id`)
    .pluck(true)
    .all() as number[];
  if (tops.length === 0) return [];
  const up = state.db.prepare(`SELECT parent, name FROM node WHERE id = ?`);
  const names = new Map<number, string>();
  const relOf = (id: number): string => {
    const known = names.get(id);
    if (known !== undefined) return known;
    const row = up.get(id) as { parent: number | null; name: string };
    const rel = row.parent === null ? '' : row.parent === ROOT_NODE_ID ? row.name : `${relOf(row.parent)}/${row.name}`;
    names.set(id, rel);
    return rel;
  };
  return tops.map((nodeId) => ({ nodeId, relPath: relOf(nodeId) }));
}
