import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetSubtree } from '../src/deletes/forget-subtree.js';
import { commitSubmission, createSubmission } from '../src/ledger/transfer-rows.js';
import { COMPACT_MIN_FREE_PAGES, compactIfSparse } from '../src/state/compact.js';
import { setLastTransfer } from '../src/state/last-transfer.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/state/migrations.js';
import { openState, type State } from '../src/state/open.js';
import { repairJudge } from '../src/state/repair.js';
import { sqliteDatabase } from '../src/state/sqlite-driver.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { tempDir } from './helpers/temp.js';
import { writeTree } from './server-support.js';

/** The step of issue 34 that moved a shipped path's time to the submission that shipped it. */
const SHIPPED_BY_STEP = MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN shipped_by'));

const C1 = 1_700_000_000_123_456_789n;
const C2 = 1_700_000_500_000_000_001n;
const SET_TIME = 1_690_000_000_000_000_000n;

/** A path's last transfer as a reader sees it: set-time's boundary, else the completion of the submission that shipped it. */
const LAST_TRANSFER = `SELECT n.id, coalesce(n.last_transfer_ns, s.completed_ns) AS t FROM node n LEFT JOIN submission s ON s.id = n.shipped_by ORDER BY n.id`;

/** A database as the previous schema left it, with every kind of row the step must treat. */
function previousSchemaDb(file: string): void {
  const db = new (sqliteDatabase())(file);
  db.pragma('journal_mode = WAL');
  for (let v = 0; v < SHIPPED_BY_STEP; v++) db.exec(MIGRATIONS[v]!);
  db.pragma(`user_version = ${SHIPPED_BY_STEP}`);
  const sub = db.prepare(
    `INSERT INTO submission (id, submission_id, status, document, created_ns, completed_ns, items, files, bytes) VALUES (?, ?, ?, '{}', 1, ?, 1, 1, 1)`,
  );
  sub.run(1, 'a', 'SUCCEEDED', C1);
  sub.run(2, 'b', 'SUCCEEDED', C2);
  // A failed task's completion time is no delivery: a row carrying it keeps its own time.
  sub.run(3, 'c', 'FAILED', C1 + 5n);
  const node = db.prepare(
    `INSERT INTO node (id, parent, name, shipped_kind, shipped_size, shipped_mtime_ns, shipped_ctime_ns, shipped_ino, last_transfer_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  node.run(7, 1, 'd', 'd', 4096, 5n, 5n, 11, C1);
  node.run(9, 7, 'shipped-by-1', 'f', 10, 6n, 6n, 12, C1);
  node.run(12, 7, 'shipped-by-2', 'f', 10, 6n, 6n, 13, C2);
  node.run(15, 7, 'set-time', null, null, null, null, null, SET_TIME);
  // set-time's boundary stays a boundary even when it equals a delivery's time: no fingerprint was shipped.
  node.run(17, 7, 'set-time-at-C1', null, null, null, null, null, C1);
  node.run(16, 7, 'time-of-failed-task', 'f', 10, 6n, 6n, 14, C1 + 5n);
  node.run(20, 7, 'never', null, null, null, null, null, null);
  db.close();
}

let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

describe('state database size (issue 34)', () => {
  it('the shipped_by step keeps every id and every path\'s last transfer time, and names the submission for shipped rows', () => {
    expect(SHIPPED_BY_STEP).toBeGreaterThan(0);
    const file = path.join(tempDir('gsync-size-'), 'job.db');
    previousSchemaDb(file);
    const before = new (sqliteDatabase())(file, { readonly: true });
    const rowsBefore = before.prepare(`SELECT id, parent, name, shipped_kind, shipped_size, shipped_mtime_ns, shipped_ino FROM node ORDER BY id`).safeIntegers(true).all();
    const timesBefore = before.prepare(`SELECT id, last_transfer_ns AS t FROM node ORDER BY id`).safeIntegers(true).all();
    before.close();

    const state = openState(file);
    try {
      expect(state.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(state.db.prepare(`SELECT id, parent, name, shipped_kind, shipped_size, shipped_mtime_ns, shipped_ino FROM node ORDER BY id`).safeIntegers(true).all()).toEqual(rowsBefore);
      expect(state.db.prepare(LAST_TRANSFER).safeIntegers(true).all()).toEqual(timesBefore);
      const by = Object.fromEntries(
        (state.db.prepare(`SELECT name, shipped_by, last_transfer_ns FROM node WHERE id > 1`).safeIntegers(true).all() as Array<{ name: string; shipped_by: bigint | null; last_transfer_ns: bigint | null }>).map(
          (r) => [r.name, [r.shipped_by, r.last_transfer_ns]],
        ),
      );
      expect(by).toEqual({
        d: [1n, null],
        'shipped-by-1': [1n, null],
        'shipped-by-2': [2n, null],
        'set-time': [null, SET_TIME],
        'set-time-at-C1': [null, C1],
        'time-of-failed-task': [null, C1 + 5n],
        never: [null, null],
      });
      expect(state.db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      state.close();
    }
  });

  it('a SUCCEEDED task names itself on the rows it shipped instead of copying its time into each', () => {
    const state = openState(path.join(tempDir('gsync-size-'), 'job.db'));
    try {
      const rowId = bigShip(state, 10);
      const rows = state.db.prepare(`SELECT shipped_by, last_transfer_ns FROM node WHERE name LIKE 'f%'`).all() as Array<{ shipped_by: number; last_transfer_ns: null }>;
      expect(rows).toHaveLength(10);
      for (const r of rows) expect(r).toEqual({ shipped_by: rowId, last_transfer_ns: null });
      expect(state.db.prepare(LAST_TRANSFER).safeIntegers(true).all().filter((r) => (r as { id: bigint }).id > 1n).map((r) => (r as { t: bigint }).t)).toEqual(Array(10).fill(C2));
    } finally {
      state.close();
    }
  });

  it('forgetting a shipped path (set-time, a delete) forgets the submission that shipped it too', () => {
    const file = path.join(tempDir('gsync-size-'), 'job.db');
    previousSchemaDb(file);
    const state = openState(file);
    try {
      const shippedBy = (id: number) => state.db.prepare(`SELECT shipped_by FROM node WHERE id = ?`).pluck().get(id);
      expect([shippedBy(9), shippedBy(12)]).toEqual([1, 2]);
      // set-time with no time: the path is owed again, as never shipped.
      expect(setLastTransfer(state, 'd/shipped-by-1', null)).toBe(1);
      // A delete that SUCCEEDED for a path still present (it came back): its row stays, unshipped.
      forgetSubtree(state, 12, true);
      expect([shippedBy(9), shippedBy(12)]).toEqual([null, null]);
      expect(state.db.prepare(LAST_TRANSFER).all().filter((r) => [9, 12].includes((r as { id: number }).id))).toEqual([
        { id: 9, t: null },
        { id: 12, t: null },
      ]);
    } finally {
      state.close();
    }
  });

  it('a repair mark on a directory still reaches a file under it shipped before the mark, not one shipped after', () => {
    for (const [completedNs, needsRepair] of [
      [SET_TIME - 1n, true],
      [SET_TIME + 1n, false],
    ] as const) {
      const state = openState(path.join(tempDir('gsync-size-'), 'job.db'));
      try {
        const { db } = state;
        db.prepare(`INSERT INTO node (id, parent, name, shipped_kind) VALUES (2, 1, 'd', 'd')`).run();
        db.prepare(`INSERT INTO node (id, parent, name, seen_kind, seen_size, seen_mtime_ns, seen_ctime_ns, seen_ino) VALUES (3, 2, 'f', 'f', 1, 1, 1, 1)`).run();
        const rowId = createSubmission(state, { submissionId: `r-${completedNs}`, document: '{}', items: [{ nodeId: 3, recursive: false }], files: 1, bytes: 0, createdNs: 1n });
        commitSubmission(state, rowId, completedNs);
        db.prepare(`INSERT INTO repair (node_id, since_ns) VALUES (2, ?)`).run(SET_TIME);
        expect(repairJudge(state)!({ nodeId: 3, recursive: false })).toBe(needsRepair);
      } finally {
        state.close();
      }
    }
  });

  it('compacts once a settled task left a quarter or more of the file free, and keeps every row', () => {
    const state = openState(path.join(tempDir('gsync-size-'), 'job.db'));
    try {
      bigShip(state, 30_000);
      const free = state.db.pragma('freelist_count', { simple: true }) as number;
      const pages = state.db.pragma('page_count', { simple: true }) as number;
      expect(free).toBeGreaterThanOrEqual(COMPACT_MIN_FREE_PAGES);
      expect(free / pages).toBeGreaterThan(0.25);
      const rows = state.db.prepare(`SELECT * FROM node ORDER BY id`).safeIntegers(true).all();
      expect(compactIfSparse(state)).toBe(true);
      expect(state.db.pragma('freelist_count', { simple: true })).toBe(0);
      expect(state.db.pragma('page_count', { simple: true })).toBeLessThan(pages - free);
      expect(state.db.prepare(`SELECT * FROM node ORDER BY id`).safeIntegers(true).all()).toEqual(rows);
      expect(state.db.pragma('integrity_check', { simple: true })).toBe('ok');
      // The rewrite passed through the WAL: it is truncated, not left the size of the database.
      expect(fs.statSync(`${state.path}-wal`).size).toBe(0);
      // Nothing free now: the next run does not rewrite it again.
      expect(compactIfSparse(state)).toBe(false);
    } finally {
      state.close();
    }
  });

  it('does not compact when the free pages are less than a quarter of the file', () => {
    const state = openState(path.join(tempDir('gsync-size-'), 'job.db'));
    try {
      // 80,000 shipped paths a run does not touch, then 30,000 shipped in one task: its pending rows leave free pages behind.
      state.db.prepare(`INSERT INTO node (id, parent, name, shipped_kind) VALUES (2, 1, 'kept', 'd')`).run();
      state.db
        .prepare(
          `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 80000)
           INSERT INTO node (parent, name, shipped_kind, shipped_size, shipped_mtime_ns, shipped_ctime_ns, shipped_ino, shipped_by)
           SELECT 2, printf('k%07d.dat', i), 'f', i, 1700000000000000000 + i, 1700000000000000000 + i, i, NULL FROM k`,
        )
        .run();
      bigShip(state, 30_000);
      const free = state.db.pragma('freelist_count', { simple: true }) as number;
      expect(free).toBeGreaterThanOrEqual(COMPACT_MIN_FREE_PAGES);
      expect(free / (state.db.pragma('page_count', { simple: true }) as number)).toBeLessThan(0.25);
      expect(compactIfSparse(state)).toBe(false);
      expect(state.db.pragma('freelist_count', { simple: true })).toBe(free);
    } finally {
      state.close();
    }
  });

  it('a run compacts a database left a quarter or more free, and keeps what it records', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    expect((await w.run()).result).toBe('succeeded');
    // Free pages as a big settle leaves them: rows written, then deleted.
    const state = openState(w.config.state.path);
    state.db
      .prepare(
        `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20000)
         INSERT INTO skip_streak (source_path, error_code, tasks, first_ns, last_ns) SELECT printf('%0200d', i), 'E', 1, 1, 1 FROM k`,
      )
      .run();
    state.db.prepare(`DELETE FROM skip_streak`).run();
    const free = state.db.pragma('freelist_count', { simple: true }) as number;
    expect(free).toBeGreaterThan(COMPACT_MIN_FREE_PAGES);
    state.close();
    expect((await w.run()).result).toBe('nothing-to-do');
    const after = openState(w.config.state.path);
    try {
      expect(after.db.pragma('freelist_count', { simple: true })).toBe(0);
      expect(after.db.prepare(`SELECT count(*) FROM node WHERE name = 'a.txt' AND shipped_kind = 'f'`).pluck().get()).toBe(1);
    } finally {
      after.close();
    }
  });

  it('does not compact for a few free pages, even a quarter of a small file', () => {
    const state = openState(path.join(tempDir('gsync-size-'), 'job.db'));
    try {
      bigShip(state, 5_000);
      const free = state.db.pragma('freelist_count', { simple: true }) as number;
      // A quarter of the file or more, but not enough pages to be worth a rewrite.
      expect(free / (state.db.pragma('page_count', { simple: true }) as number)).toBeGreaterThan(0.25);
      expect(free).toBeLessThan(COMPACT_MIN_FREE_PAGES);
      expect(compactIfSparse(state)).toBe(false);
      expect(state.db.pragma('freelist_count', { simple: true })).toBeGreaterThan(0);
    } finally {
      state.close();
    }
  });
});

/** `files` scanned rows under the root, one submission holding each, and its SUCCEEDED commit; returns the submission row. */
function bigShip(state: State, files: number): number {
  const { db } = state;
  db.prepare(
    `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
     INSERT INTO node (parent, name, seen_kind, seen_size, seen_mtime_ns, seen_ctime_ns, seen_ino)
     SELECT 1, printf('f%07d.dat', i), 'f', i * 37, 1700000000000000000 + i, 1700000000000000000 + i, 1000 + i FROM k`,
  ).run(files);
  const ids = db.prepare(`SELECT id FROM node WHERE parent = 1`).pluck().all() as number[];
  const rowId = createSubmission(state, {
    submissionId: `size-${files}`,
    document: '{}',
    items: ids.map((nodeId) => ({ nodeId, recursive: false })),
    files,
    bytes: 0,
    createdNs: 1n,
  });
  commitSubmission(state, rowId, C2);
  return rowId;
}
