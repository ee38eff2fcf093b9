import type { State } from './open.js';
import { FORGET_SHIPPED } from './trie.js';

/**
 * The two ends a job's state database describes: where the source folder is,
 * how it appears on its collection, and where its copy lives. The trie's
 * "shipped" means "reached this destination from this source"; against other
 * ends it means nothing (issue 26).
 */
export interface JobEnds {
  sourceCollection: string;
  sourcePath: string;
  collectionPath: string;
  destinationCollection: string;
  destinationPath: string;
}

/** The source half: what the mapping probe proves. */
export type SourceEnds = Pick<JobEnds, 'sourceCollection' | 'sourcePath' | 'collectionPath'>;

/** How the recorded ends came to be: a new database, one from before issue 26 that took the config's, or gsync rebind. */
export type BindingHow = 'new' | 'adopted' | 'rebound';

export interface BindingRecord {
  ends: JobEnds;
  boundNs: bigint;
  how: BindingHow;
  /** The source ends the mapping probe last proved; null: never proven. */
  proven: SourceEnds | null;
  provenNs: bigint | null;
  /** What the probe used: "probe file" or "existing file sub/a.dat". */
  provenWith: string | null;
}

interface BindingRow {
  source_collection: string;
  source_path: string;
  collection_path: string;
  destination_collection: string;
  destination_path: string;
  bound_ns: bigint;
  how: BindingHow;
  proven_source: string | null;
  proven_ns: bigint | null;
  proven_with: string | null;
}

export function readBinding(state: State): BindingRecord | null {
  const r = state.db.prepare(`SELECT * FROM binding WHERE id = 1`).safeIntegers(true).get() as BindingRow | undefined;
  if (r === undefined) return null;
  return {
    ends: {
      sourceCollection: r.source_collection,
      sourcePath: r.source_path,
      collectionPath: r.collection_path,
      destinationCollection: r.destination_collection,
      destinationPath: r.destination_path,
    },
    boundNs: r.bound_ns,
    how: r.how,
    proven: r.proven_source === null ? null : (JSON.parse(r.proven_source) as SourceEnds),
    provenNs: r.proven_ns,
    provenWith: r.proven_with,
  };
}

/** Anything a run leaves behind: a database with none is new, not one from before the binding. */
export function hasHistory(state: State): boolean {
  return (
    state.db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM run) OR EXISTS (SELECT 1 FROM submission) OR EXISTS (SELECT 1 FROM delete_task)
           OR EXISTS (SELECT 1 FROM node WHERE shipped_kind IS NOT NULL OR last_transfer_ns IS NOT NULL)`,
      )
      .pluck(true)
      .get() === 1
  );
}

/** Whether any transfer or delete task was ever recorded. */
export function hasSubmissions(state: State): boolean {
  return state.db.prepare(`SELECT EXISTS (SELECT 1 FROM submission) OR EXISTS (SELECT 1 FROM delete_task)`).pluck(true).get() === 1;
}

/** Records the ends (replacing any), keeping what the probe proved: a proof is of source ends, checked against them when read. */
export function recordEnds(state: State, ends: JobEnds, how: BindingHow, nowNs: bigint): void {
  state.db
    .prepare(
      `INSERT INTO binding (id, source_collection, source_path, collection_path, destination_collection, destination_path, bound_ns, how)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET source_collection = excluded.source_collection, source_path = excluded.source_path,
         collection_path = excluded.collection_path, destination_collection = excluded.destination_collection,
         destination_path = excluded.destination_path, bound_ns = excluded.bound_ns, how = excluded.how`,
    )
    .run(ends.sourceCollection, ends.sourcePath, ends.collectionPath, ends.destinationCollection, ends.destinationPath, nowNs, how);
}

export function recordProven(state: State, source: SourceEnds, nowNs: bigint, provenWith: string): void {
  state.db.prepare(`UPDATE binding SET proven_source = ?, proven_ns = ?, proven_with = ? WHERE id = 1`).run(JSON.stringify(source), nowNs, provenWith);
}

export interface ForgottenDestination {
  /** Transfer and delete tasks still open for the old destination: no longer settled, their paths owed again. */
  transfers: number;
  deletes: number;
  /** Paths that were recorded as delivered to the old destination. */
  paths: number;
}

/**
 * gsync rebind to a new destination, in one transaction with the new ends:
 * nothing recorded as shipped reached it, so every path is owed again (and a
 * path gone from the source was never there, so there is nothing to delete).
 * Tasks still open went to the old destination: they are closed as ABANDONED,
 * so settling them later can never record a path delivered to the new one.
 * Owed hooks stay: those tasks did deliver, to the old destination.
 */
export function forgetDestination(state: State, ends: JobEnds, nowNs: bigint, beforeCommit: () => void = () => {}): ForgottenDestination {
  const { db } = state;
  const why = 'abandoned by gsync rebind: the destination changed';
  return db
    .transaction(() => {
      const paths = db.prepare(`SELECT count(*) FROM node WHERE parent IS NOT NULL AND shipped_kind IS NOT NULL`).pluck(true).get() as number;
      db.prepare(`DELETE FROM pending WHERE submission IN (SELECT id FROM submission WHERE completed_ns IS NULL)`).run();
      const transfers = db.prepare(`UPDATE submission SET status = 'ABANDONED', completed_ns = ?, error = ? WHERE completed_ns IS NULL`).run(nowNs, why).changes;
      db.prepare(`DELETE FROM delete_pending WHERE delete_task IN (SELECT id FROM delete_task WHERE completed_ns IS NULL)`).run();
      const deletes = db.prepare(`UPDATE delete_task SET status = 'ABANDONED', completed_ns = ?, error = ? WHERE completed_ns IS NULL`).run(nowNs, why).changes;
      // Partial copies the repair table protects against are at the old destination.
      db.prepare(`DELETE FROM repair`).run();
      db.prepare(
        `UPDATE node SET ${FORGET_SHIPPED}, last_transfer_ns = NULL`,
      ).run();
      recordEnds(state, ends, 'rebound', nowNs);
      beforeCommit();
      return { transfers, deletes, paths };
    })
    .immediate();
}
