import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { GsyncError } from '../errors/errors.js';

/**
 * Which better-sqlite3 this Node runs (issue 32; README "Supported Node versions").
 * Both are optional dependencies, and npm installs each only where its `engines`
 * allows:
 * - `better-sqlite3` (13, Node >= 22): a Node-API addon, prebuilt in its tarball.
 *   Node-API never inlines `node::ObjectWrap`, so it is immune to nodejs/node#65446,
 *   by which better-sqlite3 12 built against Node 24.19+'s headers aborts the
 *   process (SIGABRT) whenever a statement or connection is garbage-collected
 *   outside a JavaScript context: in a worker's teardown, at exit, or mid-run.
 *   Its binary needs Node-API 10, which Node 20 lacks: loaded there it segfaults.
 * - `better-sqlite3-12` (12 under another name, Node 20 to 26): compiled at install
 *   against the running Node's headers, where Node 20's and 22's carry the old
 *   ObjectWrap; it serves Node-API 9 (Node 20, and 22 before 22.14).
 * The SQL API and the database file format are the same, so the choice is only a
 * question of which binary loads.
 */
export type SqliteDatabase = BetterSqlite3.Database;
type SqliteConstructor = typeof BetterSqlite3;

/** The Node-API version better-sqlite3 13's binary is built for. */
export const NODE_API_FOR_13 = 10;

/** 13 wherever its binary can load; 12 as the fallback (and the only one below Node-API 10). */
export function driverCandidates(nodeApi: number = Number(process.versions.napi)): readonly string[] {
  return nodeApi >= NODE_API_FOR_13 ? ['better-sqlite3', 'better-sqlite3-12'] : ['better-sqlite3-12'];
}

const requireHere = createRequire(import.meta.url);
let chosen: { name: string; Database: SqliteConstructor } | null = null;

/**
 * The better-sqlite3 constructor for this Node, loaded on first use (so commands
 * that never open a database, such as `gsync version`, never load an addon).
 */
export function sqliteDatabase(): SqliteConstructor {
  chosen ??= loadDriver(driverCandidates());
  return chosen.Database;
}

/** The package that sqliteDatabase() loaded, for bug reports; null before any database was opened. */
export function sqliteDriverName(): string | null {
  return chosen?.name ?? null;
}

/**
 * The first candidate that opens an in-memory database: a package whose install
 * script failed resolves fine and fails only there. None: one error naming what
 * was tried and how to fix it.
 */
export function loadDriver(candidates: readonly string[]): { name: string; Database: SqliteConstructor } {
  const tried: string[] = [];
  for (const name of candidates) {
    try {
      const Database = requireHere(name) as SqliteConstructor;
      new Database(':memory:').close();
      return { name, Database };
    } catch (err) {
      tried.push(`${name}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    }
  }
  throw new GsyncError('failure', `no SQLite driver loads on Node ${process.version} (${tried.join('; ')})`, {
    hint: "run npm ci (or npm rebuild) in gsync's folder with this Node, so that better-sqlite3 is installed for it",
  });
}
