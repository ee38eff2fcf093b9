import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GsyncError } from '../src/errors/errors.js';
import { exitCodeFor } from '../src/errors/exit-codes.js';
import { SCHEMA_VERSION } from '../src/state/migrations.js';
import { openExistingState, openState, ROOT_NODE_ID, type State } from '../src/state/open.js';
import { INSERT_ROWS, TrieStore } from '../src/state/trie.js';
import { finishRun, lastRuns, startRun } from '../src/state/runs.js';
import { findNode, setLastTransfer } from '../src/state/last-transfer.js';
import {
  commitSubmission,
  getSubmission,
  markSubmitted,
  openSubmissions,
  pendingCount,
  releaseSubmission,
} from '../src/ledger/transfer-rows.js';
import { stateSummary } from '../src/state/summary.js';
import { packageVersion } from '../src/version/package-version.js';
import { brief, LATER_NS, planOf, submit } from './helpers/ship.js';
import { makeTree } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';
import { sqliteDatabase } from '../src/state/sqlite-driver.js';

/** better-sqlite3 as gsync loads it on this Node (13, or 12 on Node 20). */
const Database = sqliteDatabase();

const fresh = (): State => openState(path.join(tempDir('gsync-state-'), 'deep', 'er', 'job.db'));

function thrown(fn: () => unknown): GsyncError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GsyncError) return err;
    throw err;
  }
  throw new Error('expected a GsyncError');
}

function shippedRows(state: State): Array<{ name: string; shipped_kind: string }> {
  return state.db.prepare(`SELECT name, shipped_kind FROM node WHERE shipped_kind IS NOT NULL ORDER BY name`).all() as never;
}

describe('state database', () => {
  it('is created with its parent directories, in WAL mode, at the current schema, marked as gsync', () => {
    const state = fresh();
    expect(fs.existsSync(state.path)).toBe(true);
    expect(state.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(state.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(state.db.prepare(`SELECT value FROM meta WHERE key = 'application'`).pluck().get()).toBe('gsync');
    state.close();
    const again = openState(state.path);
    expect(again.db.prepare(`SELECT count(*) FROM node`).pluck().get()).toBe(1);
    again.close();
  });

  it('refuses a file that is not SQLite, and leaves it byte for byte (config error, exit 2)', () => {
    const file = path.join(tempDir(), 'notes.db');
    fs.writeFileSync(file, 'my precious notes, not a database at all, long enough to have a header\n'.repeat(10));
    const before = fs.readFileSync(file);
    const err = thrown(() => openState(file));
    expect(err.kind).toBe('config');
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toContain(`state.path ${file}`);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses an SQLite database gsync did not create, and does not add tables to it', () => {
    const file = path.join(tempDir(), 'other.db');
    const other = new Database(file);
    other.exec(`CREATE TABLE samples (id INTEGER PRIMARY KEY, value REAL); INSERT INTO samples (value) VALUES (1.5)`);
    other.close();
    expect(thrown(() => openState(file)).message).toMatch(/did not create/);
    const check = new Database(file, { readonly: true });
    expect(check.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all()).toEqual(['samples']);
    check.close();
  });

  it('refuses a database written by a newer gsync', () => {
    const state = fresh();
    state.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    state.close();
    const err = thrown(() => openState(state.path));
    expect(err.message).toMatch(/written by a newer gsync; this is gsync /);
    expect(err.hint).toBe('install that newer gsync again, or point state.path at a new file');
  });

  it('remembers which gsync brought it to its schema, and after a downgrade names that release and changes nothing', () => {
    const state = fresh();
    expect(state.db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(`schema_${SCHEMA_VERSION}_written_by`)).toBe(packageVersion());
    // What a later release would leave behind: one more step, and its own name for it.
    state.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    state.db.prepare(`INSERT INTO meta (key, value) VALUES (?, '9.4.0')`).run(`schema_${SCHEMA_VERSION + 1}_written_by`);
    state.db.pragma('wal_checkpoint(TRUNCATE)');
    state.close();
    const before = fs.readFileSync(state.path);
    for (const readonly of [false, true]) {
      const err = thrown(() => openState(state.path, { readonly }));
      expect(err.message).toBe(
        `state database ${state.path} has schema ${SCHEMA_VERSION + 1}, written by gsync 9.4.0; ` +
          `this is gsync ${packageVersion()}, which knows schema ${SCHEMA_VERSION} at most and will not touch it`,
      );
      expect(err.hint).toBe('install gsync 9.4.0 or newer again, or point state.path at a new file');
      expect(exitCodeFor(err)).toBe(2);
    }
    expect(fs.readFileSync(state.path).equals(before)).toBe(true);
    const check = new Database(state.path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    check.close();
  });

  it("keeps SQLite's own 2 MB page cache on every connection, read-write and read-only (better-sqlite3 builds in 16 MB)", () => {
    const state = fresh();
    const stock = new Database(':memory:');
    // The premise: without the pragma a connection would get better-sqlite3's larger cache.
    expect(stock.pragma('cache_size', { simple: true })).toBeLessThan(-2000);
    stock.close();
    expect(state.db.pragma('cache_size', { simple: true })).toBe(-2000);
    state.close();
    const reader = openState(state.path, { readonly: true });
    expect(reader.db.pragma('cache_size', { simple: true })).toBe(-2000);
    reader.close();
  });

  it('read-only opening never creates a database', () => {
    const file = path.join(tempDir(), 'missing', 'job.db');
    expect(openExistingState(file)).toBeNull();
    expect(fs.existsSync(path.dirname(file))).toBe(false);
    expect(() => openState(file, { readonly: true })).toThrow(/no state database/);
  });
});

describe('submissions', () => {
  it('capture the scanned fingerprints of every covered node, and commit them as shipped, parents included', () => {
    const root = makeTree({ 'a/one.txt': '1', 'a/two.txt': '22', 'b/three.txt': '333' });
    const state = fresh();
    const { rowId, items } = submit(root, state);
    expect(brief(items)).toEqual(['R /']);
    // the root, a, b and three files: all in flight, nothing shipped yet
    expect(pendingCount(state, rowId)).toBe(6);
    expect(shippedRows(state)).toEqual([]);
    expect(openSubmissions(state).map((s) => s.id)).toEqual([rowId]);
    expect(brief(planOf(root, state).items)).toEqual([]);
    expect(planOf(root, state).totals.inflight).toBe(2);

    markSubmitted(state, rowId, 'task-1', LATER_NS);
    expect(getSubmission(state, rowId)).toMatchObject({ taskId: 'task-1', status: 'SUBMITTED', items: 1, files: 3, bytes: 6n });
    commitSubmission(state, rowId, LATER_NS + 5n);
    expect(pendingCount(state)).toBe(0);
    expect(getSubmission(state, rowId)).toMatchObject({ status: 'SUCCEEDED', completedNs: LATER_NS + 5n });
    expect(openSubmissions(state)).toEqual([]);
    expect(shippedRows(state).map((r) => `${r.name}:${r.shipped_kind}`)).toEqual([':d', 'a:d', 'b:d', 'one.txt:f', 'three.txt:f', 'two.txt:f']);
    expect(state.db.prepare(`SELECT count(*) FROM node WHERE seen_kind IS NOT NULL`).pluck().get()).toBe(0);
    expect(planOf(root, state).items).toEqual([]);
  });

  it('mark the directories Globus created for file items as shipped', () => {
    const root = makeTree({ 'a/old.txt': 'x', 'a/skip.tmp': 'y' });
    const state = fresh();
    const items = submit(root, state, { exclude: ['**/*.tmp'] });
    expect(brief(items.items)).toEqual(['F a/old.txt']);
    commitSubmission(state, items.rowId, LATER_NS);
    expect(shippedRows(state).map((r) => r.name)).toEqual(['', 'a', 'old.txt']);
    expect(stateSummary(state)).toMatchObject({ tracked: 2, trackedFiles: 1, dirty: 0 });
  });

  it('released (FAILED) ship again next run and record nothing', () => {
    const root = makeTree({ 'x.txt': 'x' });
    const state = fresh();
    const { rowId } = submit(root, state);
    releaseSubmission(state, rowId, 'FAILED', 'quota exceeded', LATER_NS);
    expect(getSubmission(state, rowId)).toMatchObject({ status: 'FAILED', error: 'quota exceeded' });
    expect(pendingCount(state)).toBe(0);
    expect(shippedRows(state)).toEqual([]);
    expect(brief(planOf(root, state).items)).toEqual(['R /']);
    expect(() => commitSubmission(state, rowId, LATER_NS)).toThrow(/already ended as FAILED/);
  });

  it('only cover the nodes of their own items', () => {
    const root = makeTree({ 'keep/a.txt': 'a' });
    const state = fresh();
    const first = submit(root, state);
    commitSubmission(state, first.rowId, LATER_NS);
    makeTree({ 'keep/b.txt': 'b', 'new/c.txt': 'c' }, root);
    const second = submit(root, state);
    expect(brief(second.items)).toEqual(['F keep/b.txt', 'R new/']);
    expect(pendingCount(state, second.rowId)).toBe(3);
  });
});

describe('set-time', () => {
  it('resets a subtree to a last-transfer time: only files modified after it ship', () => {
    const root = makeTree({ 'old/a.txt': { content: 'a', mtime: 1_000 }, 'old/b.txt': { content: 'b', mtime: 3_000 }, 'other.txt': { content: 'o', mtime: 1_000 } });
    const state = fresh();
    const { rowId } = submit(root, state);
    commitSubmission(state, rowId, LATER_NS);
    expect(setLastTransfer(state, 'old', 2_000n * 1_000_000_000n)).toBe(3);
    expect(brief(planOf(root, state).items)).toEqual(['F old/b.txt']);
    expect(setLastTransfer(state, 'nope/missing', null)).toBeNull();
    expect(findNode(state, 'old/a.txt')).not.toBeNull();
  });

  it('with no time, marks everything under the path never shipped', () => {
    const root = makeTree({ 'd/a.txt': 'a', 'e.txt': 'e' });
    const state = fresh();
    commitSubmission(state, submit(root, state).rowId, LATER_NS);
    setLastTransfer(state, '', null);
    expect(brief(planOf(root, state).items)).toEqual(['R /']);
  });
});

describe('runs', () => {
  it('are listed newest first, an unfinished one as such', () => {
    const state = fresh();
    const a = startRun(state, 1n);
    finishRun(state, a, { finishedNs: 2n, result: 'succeeded', exitCode: 0, items: 1, files: 3, bytes: 10n, deferred: 1, skipped: 0 });
    startRun(state, 3n);
    const runs = lastRuns(state, 5);
    expect(runs.map((r) => r.result)).toEqual(['unfinished', 'succeeded']);
    expect(runs[1]).toMatchObject({ id: a, startedNs: 1n, finishedNs: 2n, exitCode: 0, files: 3, bytes: 10n, deferred: 1 });
  });
});

describe('trie inserts', () => {
  const fp = (n: number) => ({ kind: 'f' as const, size: BigInt(n), mtimeNs: 1_700_000_000_000_000_000n + BigInt(n), ctimeNs: BigInt(n), ino: BigInt(n) });

  it('go in many rows to a statement, with the ids they were given, before any other statement and at commit', () => {
    const state = fresh();
    const trie = new TrieStore(state);
    trie.begin();
    const dir = trie.insertNode(ROOT_NODE_ID, 'dir', null);
    // More than one statement's worth, and not a multiple of it: a full statement and single rows.
    const ids = Array.from({ length: INSERT_ROWS + 5 }, (_, i) => trie.insertNode(dir, `f${i}`, fp(i)));
    // A statement on another row: what was buffered is inserted first, so the ids it was given are real rows.
    const held = INSERT_ROWS + 2; // still buffered: the first full statement went in at the 64th row
    trie.setSeen(ids[held]!, fp(1000));
    const later = trie.insertNode(dir, 'later', null);
    trie.commit();
    const rows = state.db.prepare(`SELECT id, parent, name, seen_size FROM node WHERE id <> 1 ORDER BY id`).raw(true).all() as Array<[number, number, string, number | null]>;
    expect(rows).toEqual([
      [dir, ROOT_NODE_ID, 'dir', null],
      ...ids.map((id, i) => [id, dir, `f${i}`, i === held ? 1000 : i]),
      [later, dir, 'later', null],
    ]);
    expect([dir, ...ids, later]).toEqual(Array.from({ length: INSERT_ROWS + 7 }, (_, i) => ROOT_NODE_ID + 1 + i));
    state.close();
  });

  it('take their ids after rows another connection inserted between two transactions, and a rollback inserts nothing', () => {
    const file = path.join(tempDir('gsync-state-ids-'), 'job.db');
    const state = openState(file);
    const trie = new TrieStore(state);
    trie.begin();
    const a = trie.insertNode(ROOT_NODE_ID, 'a', null);
    trie.commit();
    const other = new Database(file);
    const b = Number(other.prepare(`INSERT INTO node (parent, name) VALUES (1, 'b')`).run().lastInsertRowid);
    other.close();
    trie.begin();
    const c = trie.insertNode(ROOT_NODE_ID, 'c', null);
    trie.commit();
    expect([a, b, c]).toEqual([2, 3, 4]);
    trie.begin();
    trie.insertNode(ROOT_NODE_ID, 'never', null);
    trie.rollbackIfOpen();
    trie.begin();
    trie.insertNode(ROOT_NODE_ID, 'd', null);
    trie.commit();
    expect(state.db.prepare(`SELECT name FROM node ORDER BY id`).pluck().all()).toEqual(['', 'a', 'b', 'c', 'd']);
    state.close();
  });
});
