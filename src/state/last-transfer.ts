import { ROOT_NODE_ID, type State } from './open.js';
import { subtreeCte } from './subtree.js';

/** The trie node of a path relative to the source directory ('' is the source itself); null if not tracked. */
export function findNode(state: State, relPath: string): number | null {
  const child = state.db.prepare(`SELECT id FROM node WHERE parent = ? AND name = ?`);
  let id = ROOT_NODE_ID;
  for (const name of relPath === '' ? [] : relPath.split('/')) {
    if (name === '') continue;
    const row = child.get(id, name) as { id: number } | undefined;
    if (row === undefined) return null;
    id = row.id;
  }
  return id;
}

/**
 * For set-time: forget the shipped fingerprints of a path and everything under
 * it, keeping only a last-transfer time, so a file ships again only if its mtime
 * is newer (timeNs null: everything under it ships again). Only nodes already in
 * the trie are touched, so the caller scans in write mode first. Returns the
 * number of nodes reset, or null when the path is not tracked.
 */
export function setLastTransfer(state: State, relPath: string, timeNs: bigint | null): number | null {
  const { db } = state;
  return db.transaction(() => {
    const id = findNode(state, relPath);
    if (id === null) return null;
    return db
      .prepare(
        `${subtreeCte()}
         UPDATE node SET shipped_kind = NULL, shipped_size = NULL, shipped_mtime_ns = NULL, shipped_ctime_ns = NULL,
           shipped_ino = NULL, last_transfer_ns = ? WHERE id IN (SELECT id FROM sub)`,
      )
      .run(id, timeNs).changes;
  }).immediate();
}
