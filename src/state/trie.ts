import type Database from 'better-sqlite3';
import type { Fingerprint, NodeKind } from './fingerprint.js';
import type { State } from './open.js';

/** A trie row as the scanner sees it; integers are BigInt because ns timestamps exceed 2^53. */
export interface NodeRow {
  id: bigint;
  name: string;
  shipped_kind: NodeKind | null;
  shipped_size: bigint | null;
  shipped_mtime_ns: bigint | null;
  shipped_ctime_ns: bigint | null;
  shipped_ino: bigint | null;
  last_transfer_ns: bigint | null;
  seen_kind: NodeKind | null;
  seen_size: bigint | null;
  seen_mtime_ns: bigint | null;
  seen_ctime_ns: bigint | null;
  seen_ino: bigint | null;
  gone: bigint;
  /** 1 when the node is covered by a submission still in flight. */
  inflight: bigint;
}

const COLUMNS = `n.id, n.name, n.shipped_kind, n.shipped_size, n.shipped_mtime_ns, n.shipped_ctime_ns, n.shipped_ino,
  n.last_transfer_ns, n.seen_kind, n.seen_size, n.seen_mtime_ns, n.seen_ctime_ns, n.seen_ino, n.gone,
  EXISTS (SELECT 1 FROM pending p WHERE p.node_id = n.id) AS inflight`;

const SUBTREE = `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent = sub.id)`;

/**
 * The scanner's window on the trie: one directory's children at a time, and the
 * few writes a scan makes. Writes go into batches the scanner commits, so a crash
 * loses at most the current batch and never leaves half a statement behind.
 */
export class TrieStore {
  private readonly db: Database.Database;
  private readonly selectChildren: Database.Statement;
  private readonly selectNode: Database.Statement;
  private writes?: ReturnType<typeof prepareWrites>;

  constructor(state: State) {
    this.db = state.db;
    this.selectChildren = this.db.prepare(`SELECT ${COLUMNS} FROM node n WHERE n.parent = ?`).safeIntegers(true);
    this.selectNode = this.db.prepare(`SELECT ${COLUMNS} FROM node n WHERE n.id = ?`).safeIntegers(true);
  }

  /** The children of one directory by name; a fresh Map the caller may consume. */
  children(parentId: number): Map<string, NodeRow> {
    const map = new Map<string, NodeRow>();
    for (const row of this.selectChildren.iterate(parentId) as IterableIterator<NodeRow>) map.set(row.name, row);
    return map;
  }

  node(id: number): NodeRow | undefined {
    return this.selectNode.get(id) as NodeRow | undefined;
  }

  insertNode(parentId: number, name: string, seen: Fingerprint | null): number {
    return Number(this.w().insert.run(parentId, name, ...seenValues(seen)).lastInsertRowid);
  }

  setSeen(id: number, seen: Fingerprint | null): void {
    this.w().updateSeen.run(...seenValues(seen), id);
  }

  unGone(id: number): void {
    this.w().clearGone.run(id);
  }

  /** A vanished path: it and everything recorded under it. */
  markGone(id: number): void {
    this.w().goneSubtree.run(id);
  }

  /** A directory replaced by a file: its old contents are gone, the path itself is not. */
  markChildrenGone(id: number): void {
    this.w().goneBelow.run(id, id);
  }

  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
  }

  commit(): void {
    this.db.exec('COMMIT');
  }

  rollbackIfOpen(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  /** Prepared on first use: a read-only connection cannot even prepare them. */
  private w(): ReturnType<typeof prepareWrites> {
    return (this.writes ??= prepareWrites(this.db));
  }
}

function prepareWrites(db: Database.Database) {
  return {
    insert: db.prepare(
      `INSERT INTO node (parent, name, seen_kind, seen_size, seen_mtime_ns, seen_ctime_ns, seen_ino) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateSeen: db.prepare(`UPDATE node SET seen_kind = ?, seen_size = ?, seen_mtime_ns = ?, seen_ctime_ns = ?, seen_ino = ? WHERE id = ?`),
    clearGone: db.prepare(`UPDATE node SET gone = 0 WHERE id = ?`),
    goneSubtree: db.prepare(`${SUBTREE} UPDATE node SET gone = 1 WHERE id IN (SELECT id FROM sub)`),
    goneBelow: db.prepare(`${SUBTREE} UPDATE node SET gone = 1 WHERE id IN (SELECT id FROM sub) AND id <> ?`),
  };
}

function seenValues(fp: Fingerprint | null): [NodeKind | null, bigint | null, bigint | null, bigint | null, bigint | null] {
  return fp ? [fp.kind, fp.size, fp.mtimeNs, fp.ctimeNs, fp.ino] : [null, null, null, null, null];
}

/** Whether the row's seen_* columns already hold exactly this fingerprint (so no write is needed). */
export function seenEquals(row: NodeRow, fp: Fingerprint | null): boolean {
  if (fp === null) return row.seen_kind === null;
  return (
    row.seen_kind === fp.kind &&
    row.seen_size === fp.size &&
    row.seen_mtime_ns === fp.mtimeNs &&
    row.seen_ctime_ns === fp.ctimeNs &&
    row.seen_ino === fp.ino
  );
}
