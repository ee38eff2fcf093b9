import fs from 'node:fs';
import path from 'node:path';
import { rng } from '../../scripts/make-tree.js';
import { sqliteDatabase } from '../../src/state/sqlite-driver.js';

/** better-sqlite3 as gsync loads it on this Node (13, or 12 on Node 20). */
const Database = sqliteDatabase();

/** A seeded PRNG, so a failing kill schedule can be replayed exactly. */
export const seededRandom = rng;

/** `PRAGMA integrity_check` on a state database, as the next run would open it (a hot WAL is recovered). */
export function integrityCheck(file: string): string {
  if (!fs.existsSync(file)) return 'ok (no database yet)';
  const db = new Database(file, { fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

/** submission_id of every submission row in a state database (none when it does not exist yet). */
/** The submission_ids of the reconcile tasks the state records (issue 27). */
export function recordedReconcileIds(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { fileMustExist: true });
  try {
    return db.prepare(`SELECT submission_id FROM submission WHERE kind = 'reconcile'`).pluck().all() as string[];
  } finally {
    db.close();
  }
}

export function recordedSubmissionIds(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { fileMustExist: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'submission'").get();
    if (!hasTable) return [];
    return (db.prepare('SELECT submission_id FROM submission WHERE submission_id IS NOT NULL').all() as Array<{ submission_id: string }>).map(
      (r) => r.submission_id,
    );
  } finally {
    db.close();
  }
}

/**
 * The source tree as the harness edits it: every file has a generation that
 * grows by one with each edit, and every edit sets a fresh, distinct mtime in
 * the past (whole seconds, strictly increasing), so Globus's mtime
 * comparison always sees it as newer.
 */
export class VersionedTree {
  readonly generation = new Map<string, number>();
  private clock: number;

  constructor(
    readonly root: string,
    startEpochSeconds = Math.floor(Date.now() / 1000) - 10_000_000,
  ) {
    this.clock = startEpochSeconds;
  }

  /** Creates or rewrites a file (relative, "/"-separated), bumping its generation. */
  write(rel: string, content?: string): void {
    const gen = (this.generation.get(rel) ?? 0) + 1;
    this.generation.set(rel, gen);
    const abs = path.join(this.root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content ?? `${rel} generation ${gen}\n`);
    const t = this.clock++;
    fs.utimesSync(abs, t, t);
  }

  files(): string[] {
    return [...this.generation.keys()];
  }

  snapshot(): Map<string, number> {
    return new Map(this.generation);
  }
}

/**
 * What each Globus task carried, keyed by file version.
 *
 * A version is (path, generation of the file when the submission's document was
 * built). The harness only edits the source between rounds, never while a gsync
 * process runs, so the generation is fixed for a round; a submission is dated to
 * the round whose runs first recorded its submission_id in the state database
 * (not the round its task appeared in: a row recorded before a crash is POSTed by
 * the next run, carrying the older document). "Carried" is the server's
 * filesSeen: every file the task considered, copied or found up to date, so a
 * task sent twice is counted even when the second copy finds nothing to do.
 *
 * A duplicate is a version carried by more than one task. Globus dedups a
 * repeated submission_id into its first task, so a duplicate means gsync built
 * a second submission for a version it had already sent (for example if a row
 * left CREATED by a crash were dropped and its paths planned again).
 */
export class TaskLedger {
  private readonly roundOfSubmission = new Map<string, number>();
  private readonly versionsAtRound: Array<Map<string, number>> = [];
  private readonly counted = new Set<string>();
  /** "path\0generation" → task ids that carried it. */
  readonly carriers = new Map<string, string[]>();
  /** Tasks whose submission_id no state row recorded: sent without a record, which must never happen. */
  readonly unrecorded: string[] = [];
  /** submission_ids that appear in more than one server task. */
  readonly repeatedSubmissionIds: string[] = [];
  /** submission_ids of reconcile tasks (issue 27): they look at every file by design, so they carry no version. */
  readonly reconcileSubmissionIds = new Set<string>();

  constructor(private readonly collectionRoot = '/') {}

  /** Call once per round before any run, with the generations the round's runs will see. */
  startRound(versions: Map<string, number>): number {
    this.versionsAtRound.push(versions);
    return this.versionsAtRound.length - 1;
  }

  /** Dates the submission rows first seen now to the current round. */
  noteSubmissions(ids: readonly string[]): void {
    const round = this.versionsAtRound.length - 1;
    for (const id of ids) if (!this.roundOfSubmission.has(id)) this.roundOfSubmission.set(id, round);
  }

  /** Accounts every finished task not yet counted. */
  noteTasks(tasks: ReadonlyArray<{ id: string; submissionId: string; filesSeen: ReadonlySet<string>; done: boolean; status?: string }>): void {
    const bySubmission = new Map<string, number>();
    for (const t of tasks) bySubmission.set(t.submissionId, (bySubmission.get(t.submissionId) ?? 0) + 1);
    for (const [id, n] of bySubmission) if (n > 1 && !this.repeatedSubmissionIds.includes(id)) this.repeatedSubmissionIds.push(id);
    for (const t of tasks) {
      if (!t.done || this.counted.has(t.id)) continue;
      this.counted.add(t.id);
      const round = this.roundOfSubmission.get(t.submissionId);
      if (round === undefined) {
        this.unrecorded.push(t.id);
        continue;
      }
      // A FAILED task delivered nothing for sure: sending its versions again (repaired) is the rule, not a duplicate.
      if (t.status === 'FAILED' || this.reconcileSubmissionIds.has(t.submissionId)) continue;
      const versions = this.versionsAtRound[round]!;
      for (const pair of t.filesSeen) {
        const src = pair.split('\0')[0]!;
        const rel = path.posix.relative(this.collectionRoot, src);
        const key = `${rel}\0${versions.get(rel) ?? 0}`;
        const list = this.carriers.get(key) ?? [];
        list.push(t.id);
        this.carriers.set(key, list);
      }
    }
  }

  /**
   * The destination lost these paths (a test damaged them): the next task
   * carrying their current version sends them again on purpose (gsync verify
   * --repair), which is not a duplicate. Call after noteTasks for the tasks so far.
   */
  lostAtDestination(rels: readonly string[], versions: Map<string, number>): void {
    for (const rel of rels) this.carriers.delete(`${rel}\0${versions.get(rel) ?? 0}`);
  }

  /** Versions carried by more than one task, as "path@generation: task, task". */
  duplicates(): string[] {
    const out: string[] = [];
    for (const [key, tasks] of this.carriers) {
      if (tasks.length > 1) out.push(`${key.replace('\0', '@')}: ${tasks.join(', ')}`);
    }
    return out;
  }
}
