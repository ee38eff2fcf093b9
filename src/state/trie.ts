import type Database from 'better-sqlite3';
import type { Fingerprint, NodeKind } from './fingerprint.js';
import type { State } from './open.js';
import { subtreeCte } from './subtree.js';

/** The shipped side of a trie row: what the change rule compares against. */
/**
 * The SET clause that forgets what a node was shipped as: its fingerprint and the submission
 * that shipped it. set-time, deletes, verify and rebind all forget through it, so a column
 * added to the shipped record is cleared everywhere at once (each says what last_transfer_ns becomes).
 */
export const FORGET_SHIPPED = 'shipped_kind = NULL, shipped_size = NULL, shipped_mtime_ns = NULL, shipped_ctime_ns = NULL, shipped_ino = NULL, shipped_by = NULL';

export interface ShippedRecord {
  shipped_kind: NodeKind | null;
  shipped_size: bigint | null;
  shipped_mtime_ns: bigint | null;
  shipped_ctime_ns: bigint | null;
  shipped_ino: bigint | null;
  /**
   * The set-time boundary (src/state/last-transfer.ts) of a path with no shipped fingerprint.
   * NULL once a submission ships the path: node.shipped_by then names it (migration of issue 34).
   */
  last_transfer_ns: bigint | null;
}

/** A trie row as the scanner sees it; integers are BigInt because ns timestamps exceed 2^53. */
export interface NodeRow extends ShippedRecord {
  id: bigint;
  name: string;
  /** Non-null when a scan found this path changed and it has not shipped since. */
  seen_kind: NodeKind | null;
  gone: bigint;
  /** 1 when the node is covered by a submission still in flight. */
  inflight: bigint;
}

// Read as raw arrays and turned into objects in JS: better-sqlite3 building named rows
// costs twice as much, and this is the one query an incremental scan runs per directory.
// Each column costs about 0.1 us a row, so the in-flight test, which only matters
// while a submission is open, is left out when no node is pending at all.
const BASE_COLUMNS = `n.id, n.name, n.shipped_kind, n.shipped_size, n.shipped_mtime_ns, n.shipped_ctime_ns, n.shipped_ino,
  n.last_transfer_ns, n.seen_kind, n.gone`;
const COLUMNS = `${BASE_COLUMNS}, EXISTS (SELECT 1 FROM pending p WHERE p.node_id = n.id)`;
/** children(): whether any node is pending, then one of the two selects (scan workers, src/scan/scan-worker.ts, call children() on their own read-only connections). */
export const CHILDREN_SQL = {
  anyPending: `SELECT EXISTS (SELECT 1 FROM pending)`,
  withInflight: `SELECT ${COLUMNS} FROM node n WHERE n.parent = ?`,
  noInflight: `SELECT ${BASE_COLUMNS} FROM node n WHERE n.parent = ?`,
};
type RawRow = [bigint, string, NodeKind | null, bigint | null, bigint | null, bigint | null, bigint | null, bigint | null, NodeKind | null, bigint, bigint?];

function toRow(r: RawRow): NodeRow {
  return {
    id: r[0],
    name: r[1],
    shipped_kind: r[2],
    shipped_size: r[3],
    shipped_mtime_ns: r[4],
    shipped_ctime_ns: r[5],
    shipped_ino: r[6],
    last_transfer_ns: r[7],
    seen_kind: r[8],
    gone: r[9],
    inflight: r[10] ?? 0n,
  };
}

const SUBTREE = subtreeCte();

/** New rows per INSERT statement: one statement for many rows halves what a first run pays per path. */
export const INSERT_ROWS = 64;
const INSERT_COLUMNS = 8;

/**
 * The scanner's window on the trie: one directory's children at a time, and the
 * few writes a scan makes. Writes go into batches the scanner commits, so a crash
 * loses at most the current batch and never leaves half a statement behind.
 */
export class TrieStore {
  private readonly db: Database.Database;
  private readonly selectChildren: Database.Statement;
  private readonly selectChildrenNoneInflight: Database.Statement;
  private readonly anyPending: Database.Statement;
  private readonly selectNode: Database.Statement;
  private readonly selectChild: Database.Statement;
  private readonly selectMaxId: Database.Statement;
  private writes?: ReturnType<typeof prepareWrites>;
  /**
   * New rows not yet inserted (INSERT_COLUMNS values each), and the id the next
   * one gets: SQLite's own choice (the largest id plus one), made here so that
   * many new rows go in as one statement. It is read again whenever the buffer is
   * empty, inside the write transaction no other connection can interleave with;
   * every other statement of this store, and the commit, inserts what is buffered first.
   */
  private buffered: Array<string | number | bigint | null> = [];
  private nextId = 0;
  /** The connection's synchronous level while a batch runs at NORMAL (see begin); null otherwise. */
  private syncLevel: number | null = null;

  constructor(state: State) {
    this.db = state.db;
    this.selectChildren = this.db.prepare(CHILDREN_SQL.withInflight).safeIntegers(true).raw(true);
    this.selectChildrenNoneInflight = this.db.prepare(CHILDREN_SQL.noInflight).safeIntegers(true).raw(true);
    this.anyPending = this.db.prepare(CHILDREN_SQL.anyPending).pluck(true);
    this.selectNode = this.db.prepare(`SELECT ${COLUMNS} FROM node n WHERE n.id = ?`).safeIntegers(true).raw(true);
    this.selectChild = this.db.prepare(`SELECT ${COLUMNS} FROM node n WHERE n.parent = ? AND n.name = ?`).safeIntegers(true).raw(true);
    this.selectMaxId = this.db.prepare(`SELECT max(id) FROM node`).pluck(true);
  }

  /** The database file, for a second read-only connection; null for an in-memory database. */
  get file(): string | null {
    return this.db.memory ? null : this.db.name;
  }

  /** The children of one directory by name; a fresh Map the caller may consume. */
  children(parentId: number): Map<string, NodeRow> {
    this.flushInserts();
    const map = new Map<string, NodeRow>();
    // Asked per directory, not once per scan: it costs a few microseconds, and a stale answer would ship a path twice.
    const select = this.anyPending.get() === 1 ? this.selectChildren : this.selectChildrenNoneInflight;
    for (const raw of select.all(parentId) as RawRow[]) map.set(raw[1], toRow(raw));
    return map;
  }

  /** The highest node id: about how many paths the trie holds. */
  maxNodeId(): number {
    return (this.selectMaxId.get() as number | null) ?? 0;
  }

  /** One child by name (the UNIQUE (parent, name) index): for a change-list scan passing through a directory. */
  child(parentId: number, name: string): NodeRow | undefined {
    this.flushInserts();
    const raw = this.selectChild.get(parentId, name) as RawRow | undefined;
    return raw === undefined ? undefined : toRow(raw);
  }

  node(id: number): NodeRow | undefined {
    this.flushInserts();
    const raw = this.selectNode.get(id) as RawRow | undefined;
    return raw === undefined ? undefined : toRow(raw);
  }

  /** A new row's id at once; the row itself is inserted with others (see buffered), before any other statement or the commit. */
  insertNode(parentId: number, name: string, seen: Fingerprint | null): number {
    if (!this.db.inTransaction) throw new Error('internal: insertNode outside a write transaction');
    if (this.buffered.length === 0) this.nextId = this.maxNodeId() + 1;
    const id = this.nextId++;
    this.buffered.push(id, parentId, name, ...seenValues(seen));
    if (this.buffered.length === INSERT_ROWS * INSERT_COLUMNS) this.flushInserts();
    return id;
  }

  setSeen(id: number, seen: Fingerprint | null): void {
    this.flushInserts();
    this.writeStatements().updateSeen.run(...seenValues(seen), id);
  }

  unGone(id: number): void {
    this.flushInserts();
    this.writeStatements().clearGone.run(id);
  }

  /** A vanished path: it and everything recorded under it. */
  markGone(id: number): void {
    this.flushInserts();
    this.writeStatements().goneSubtree.run(id);
  }

  /** A directory replaced by a file: its old contents are gone, the path itself is not. */
  markChildrenGone(id: number): void {
    this.flushInserts();
    this.writeStatements().goneBelow.run(id, id);
  }

  /**
   * A scan batch commits without an fsync (synchronous NORMAL: at 200,000 paths a first run's
   * 40 batches spent 118 ms in fsync). What it writes (scanned fingerprints, new and gone paths)
   * a power loss may roll back, and the next scan finds again; in WAL mode it cannot corrupt the
   * file. The connection's own level (FULL, src/state/open.ts) is back before any other statement
   * can commit, and its next commit, the submission's before its POST, syncs the WAL with every
   * batch in it. SQLite lets the level change only outside a transaction.
   */
  begin(): void {
    if (this.syncLevel === null) {
      this.syncLevel = this.db.pragma('synchronous', { simple: true }) as number;
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.exec('BEGIN IMMEDIATE');
  }

  commit(): void {
    this.flushInserts();
    try {
      this.db.exec('COMMIT');
    } finally {
      this.restoreSyncLevel();
    }
  }

  rollbackIfOpen(): void {
    this.buffered = [];
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.restoreSyncLevel();
  }

  private restoreSyncLevel(): void {
    if (this.syncLevel === null || this.db.inTransaction) return;
    this.db.pragma(`synchronous = ${this.syncLevel}`);
    this.syncLevel = null;
  }

  private flushInserts(): void {
    const b = this.buffered;
    if (b.length === 0) return;
    this.buffered = [];
    const w = this.writeStatements();
    if (b.length === INSERT_ROWS * INSERT_COLUMNS) {
      w.insertMany.run(b);
      return;
    }
    for (let o = 0; o < b.length; o += INSERT_COLUMNS) w.insert.run(b.slice(o, o + INSERT_COLUMNS));
  }

  /** Prepared on first use: a read-only connection cannot even prepare them. */
  private writeStatements(): ReturnType<typeof prepareWrites> {
    return (this.writes ??= prepareWrites(this.db));
  }
}

const INSERT_NODE = `INSERT INTO node (id, parent, name, seen_kind, seen_size, seen_mtime_ns, seen_ctime_ns, seen_ino) VALUES`;
const INSERT_VALUES = `(${Array(INSERT_COLUMNS).fill('?').join(', ')})`;

function prepareWrites(db: Database.Database) {
  return {
    insert: db.prepare(`${INSERT_NODE} ${INSERT_VALUES}`),
    insertMany: db.prepare(`${INSERT_NODE} ${Array(INSERT_ROWS).fill(INSERT_VALUES).join(', ')}`),
    updateSeen: db.prepare(`UPDATE node SET seen_kind = ?, seen_size = ?, seen_mtime_ns = ?, seen_ctime_ns = ?, seen_ino = ? WHERE id = ?`),
    clearGone: db.prepare(`UPDATE node SET gone = 0 WHERE id = ?`),
    goneSubtree: db.prepare(`${SUBTREE} UPDATE node SET gone = 1 WHERE id IN (SELECT id FROM sub)`),
    goneBelow: db.prepare(`${SUBTREE} UPDATE node SET gone = 1 WHERE id IN (SELECT id FROM sub) AND id <> ?`),
  };
}

function seenValues(fp: Fingerprint | null): [NodeKind | null, bigint | null, bigint | null, bigint | null, bigint | null] {
  return fp ? [fp.kind, fp.size, fp.mtimeNs, fp.ctimeNs, fp.ino] : [null, null, null, null, null];
}
