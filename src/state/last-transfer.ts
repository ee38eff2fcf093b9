import { ROOT_NODE_ID, type State } from './open.js';
import { subtreeCte } from './subtree.js';
import { FORGET_SHIPPED } from './trie.js';

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
         UPDATE node SET ${FORGET_SHIPPED}, last_transfer_ns = ? WHERE id IN (SELECT id FROM sub)`,
      )
      .run(id, timeNs).changes;
  }).immediate();
}

/**
 * Files under a path whose present version gsync has no record of delivering:
 * never shipped (no shipped fingerprint and no last-transfer time), or changed
 * (size or mtime) since they were. set-time --now/--time says how many it is
 * about to mark shipped, so nobody loses files by surprise.
 */
export function unshippedFiles(state: State, relPath: string): { never: number; changed: number } {
  const id = findNode(state, relPath);
  if (id === null) return { never: 0, changed: 0 };
  const row = state.db
    .prepare(
      `${subtreeCte()}
       SELECT
         coalesce(sum(shipped_kind IS NULL AND last_transfer_ns IS NULL), 0) AS never,
         coalesce(sum(shipped_kind = 'f' AND (seen_size IS NOT shipped_size OR seen_mtime_ns IS NOT shipped_mtime_ns)), 0) AS changed
       FROM node WHERE id IN (SELECT id FROM sub) AND seen_kind = 'f' AND gone = 0`,
    )
    .get(id) as { never: number; changed: number };
  return { never: Number(row.never), changed: Number(row.changed) };
}
