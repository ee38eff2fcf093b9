import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSubmission } from '../src/ledger/transfer-rows.js';
import { openState, ROOT_NODE_ID, type State } from '../src/state/open.js';
import { scan } from '../src/scan/scanner.js';
import { subtreeCte } from '../src/state/subtree.js';
import { TrieStore } from '../src/state/trie.js';
import { tempDir } from './helpers/temp.js';
import { makeTree } from './helpers/tree.js';

/**
 * issue 34: a submission of the whole tree (a first run's one recursive item) captures
 * its pending rows from the node table in id order, not by walking the subtree. These
 * check it captures exactly what the walk would: live nodes a scan saw, nothing gone.
 */

/** What the subtree walk captures for the root: the rule the fast path must match. */
function walked(state: State): number[] {
  return state.db
    .prepare(`${subtreeCte({ liveOnly: true })} SELECT n.id FROM node n JOIN sub ON n.id = sub.id WHERE n.seen_kind IS NOT NULL ORDER BY n.id`)
    .pluck()
    .all(ROOT_NODE_ID) as number[];
}

function captured(state: State, rowId: number): number[] {
  return state.db.prepare(`SELECT node_id FROM pending WHERE submission = ? ORDER BY node_id`).pluck().all(rowId) as number[];
}

function submitRoot(state: State): number {
  return createSubmission(state, { submissionId: 'whole', document: '{}', items: [{ nodeId: ROOT_NODE_ID, recursive: true }], files: 0, bytes: 0, createdNs: 1n });
}

/** root/a/{x,y}, root/b/c/z, root/seen-not, with a scanned fingerprint on all but seen-not. */
function tree(state: State): void {
  const node = state.db.prepare(
    `INSERT INTO node (id, parent, name, seen_kind, seen_size, seen_mtime_ns, seen_ctime_ns, seen_ino) VALUES (?, ?, ?, ?, 1, 2, 3, ?)`,
  );
  node.run(2, 1, 'a', 'd', 2);
  node.run(3, 2, 'x', 'f', 3);
  node.run(4, 2, 'y', 'f', 4);
  node.run(5, 1, 'b', 'd', 5);
  node.run(6, 5, 'c', 'd', 6);
  node.run(7, 6, 'z', 'f', 7);
  state.db.prepare(`INSERT INTO node (id, parent, name) VALUES (8, 1, 'seen-not')`).run();
}

describe('capturing a whole-tree submission (issue 34)', () => {
  it('a new tree: every node the scan saw, with its fingerprint, as the walk would', () => {
    const state = openState(path.join(tempDir('gsync-capture-'), 'job.db'));
    try {
      tree(state);
      const rowId = submitRoot(state);
      expect(captured(state, rowId)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(captured(state, rowId)).toEqual(walked(state));
      expect(state.db.prepare(`SELECT kind, size, mtime_ns, ctime_ns, ino FROM pending WHERE node_id = 7`).get()).toEqual({ kind: 'f', size: 1, mtime_ns: 2, ctime_ns: 3, ino: 7 });
    } finally {
      state.close();
    }
  });

  it('with nodes marked gone: neither they nor anything recorded under them, as the walk would', () => {
    const state = openState(path.join(tempDir('gsync-capture-'), 'job.db'));
    try {
      tree(state);
      // A file scanned, then vanished; and a directory gone whose child was never marked (only the walk leaves it out).
      state.db.prepare(`UPDATE node SET gone = 1 WHERE id IN (4, 6)`).run();
      const rowId = submitRoot(state);
      expect(captured(state, rowId)).toEqual([2, 3, 5]);
      expect(captured(state, rowId)).toEqual(walked(state));
    } finally {
      state.close();
    }
  });

  it('scan batches commit at synchronous NORMAL; the connection is back at FULL after the scan, and after a scan that failed', () => {
    const state = openState(path.join(tempDir('gsync-capture-'), 'job.db'));
    try {
      const root = makeTree({ 'a/x': '1', 'a/y': '2', 'b/z': '3', 'c.txt': '4' });
      const levels = new Set<number>();
      const inBatch = () => {
        if (state.db.inTransaction) levels.add(state.db.pragma('synchronous', { simple: true }) as number);
      };
      const visitor = { enterDir: inBatch, file: inBatch, held: inBatch, leaveDir: inBatch };
      const FULL = 2;
      const NORMAL = 1;
      expect(state.db.pragma('synchronous', { simple: true })).toBe(FULL);
      scan({ root, trie: new TrieStore(state), write: true, batchSize: 2, threads: 1, visitor });
      expect([...levels]).toEqual([NORMAL]);
      expect(state.db.pragma('synchronous', { simple: true })).toBe(FULL);

      const failing = { ...visitor, file: () => { if (state.db.inTransaction) throw new Error('disk gone'); } };
      makeTree({ 'd/new1': '5', 'd/new2': '6' }, root);
      expect(() => scan({ root, trie: new TrieStore(state), write: true, batchSize: 100, threads: 1, visitor: failing })).toThrow('disk gone');
      expect(state.db.inTransaction).toBe(false);
      expect(state.db.pragma('synchronous', { simple: true })).toBe(FULL);
    } finally {
      state.close();
    }
  });
});
