import fs from 'node:fs';
import path from 'node:path';
import { configError, failure, GsyncError } from '../errors/errors.js';
import { cannotWrite } from '../errors/file-access.js';
import { createPrivateFile, makePrivateDir } from '../files/modes.js';
import { packageVersion } from '../version/package-version.js';
import { migrate, SCHEMA_VERSION } from './migrations.js';
import { sqliteDatabase, type SqliteDatabase } from './sqlite-driver.js';

export const ROOT_NODE_ID = 1;

/**
 * Page cache per connection, in SQLite's units (negative: KiB): SQLite's own
 * default of 2 MB. better-sqlite3 is built with 16 MB, which a scan fills and
 * never reuses: it reads the trie once, in walk order, and the OS already caches
 * the file. At 1,000,000 files the two scan connections (the scan's own and a
 * worker's) held 30 MB more peak RSS and took longer, every new cache page being
 * a page fault (bench/RESULTS.md, "On a quiet machine").
 */
export const CACHE_SIZE = -2000;

/** An open state database. All SQL lives in src/state/; callers pass this handle to its functions. */
export interface State {
  readonly db: SqliteDatabase;
  readonly path: string;
  readonly readonly: boolean;
  close(): void;
}

export interface OpenStateOptions {
  /** Never create, migrate or write; for `gsync plan` and `status`. */
  readonly?: boolean;
}

/**
 * Opens (creating if needed, unless read-only) the job's state database. A file
 * that is not a gsync state DB is refused and never touched: it may be someone's
 * data, and state.path pointing at it is a config mistake.
 */
export function openState(file: string, opts: OpenStateOptions = {}): State {
  const readonly = opts.readonly === true;
  if (readonly && !fs.existsSync(file)) throw failure(`no state database at ${file} yet: nothing has been scanned`);
  const state = open(file, readonly);
  if (state === null) throw failure(`state database ${file} is empty: nothing has been scanned`);
  return state;
}

/** Read-only open for commands that must not create state: null when there is none yet. */
export function openExistingState(file: string): State | null {
  return fs.existsSync(file) ? open(file, true) : null;
}

/** null only for a read-only open of a file with no schema yet. */
function open(file: string, readonly: boolean): State | null {
  const Database = sqliteDatabase();
  let db: SqliteDatabase;
  try {
    // Created 0600 before SQLite opens it (SQLite would make it 0644 less the umask);
    // its -wal and -shm files then take the same mode.
    if (!readonly) {
      makePrivateDir(path.dirname(file));
      createPrivateFile(file);
    }
    db = new Database(file, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw cannotWrite(err, 'state database', 'state.path') ?? configError(`state.path ${file}: cannot be opened (${(err as Error).message})`);
  }
  try {
    const status = inspect(db, file);
    if (readonly) {
      if (status === 'empty') {
        db.close();
        return null;
      }
      if (status < SCHEMA_VERSION) {
        throw new GsyncError('failure', `state database ${file} is from an older gsync`, { hint: 'run gsync run once to upgrade it' });
      }
    } else {
      db.pragma('journal_mode = WAL');
      // FULL: a submission row must survive power loss once its transfer may have been POSTed.
      db.pragma('synchronous = FULL');
      migrate(db);
      if (status === 'empty' || status < SCHEMA_VERSION) recordSchemaWriter(db);
    }
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = ${CACHE_SIZE}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return { db, path: file, readonly, close: () => db.close() };
}

/** 'empty' for a brand-new file, else the schema version of a gsync DB; throws for anything else. */
function inspect(db: SqliteDatabase, file: string): 'empty' | number {
  const notOurs = (why: string) =>
    configError(`state.path ${file}: ${why}; gsync will not touch it`, 'point state.path at a new file or an existing gsync state database');
  let tables: number;
  try {
    tables = (db.prepare(`SELECT count(*) AS n FROM sqlite_schema`).get() as { n: number }).n;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw notOurs('is not an SQLite database');
    throw err;
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (tables === 0 && version === 0) return 'empty';
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'`).get() !== undefined;
  const app = hasMeta
    ? (db.prepare(`SELECT value FROM meta WHERE key = 'application'`).get() as { value: string } | undefined)?.value
    : undefined;
  if (app !== 'gsync') throw notOurs('is an SQLite database that gsync did not create');
  if (version > SCHEMA_VERSION) throw newerSchema(db, file, version);
  return version;
}

/**
 * meta key naming the gsync release that brought the database to `schema`. Keyed by
 * the schema so a stale entry (a crash between a step and this record) names nobody.
 */
const schemaWriterKey = (schema: number) => `schema_${schema}_written_by`;

/**
 * Remembered so that an older gsync, after a downgrade, can say which release
 * it would take to open this database again.
 */
function recordSchemaWriter(db: SqliteDatabase): void {
  db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(schemaWriterKey(SCHEMA_VERSION), packageVersion());
}

/**
 * After a downgrade: refuse before any write, since this gsync cannot know what
 * the newer steps changed. Kind config (exit 2): it will not fix itself, so
 * systemd's RestartPreventExitStatus stops retrying and cron mails someone.
 */
function newerSchema(db: SqliteDatabase, file: string, version: number): GsyncError {
  const writer = (db.prepare(`SELECT value FROM meta WHERE key = ?`).get(schemaWriterKey(version)) as { value: string } | undefined)?.value;
  const by = writer === undefined ? 'a newer gsync' : `gsync ${writer}`;
  return configError(
    `state database ${file} has schema ${version}, written by ${by}; this is gsync ${packageVersion()}, which knows schema ${SCHEMA_VERSION} at most and will not touch it`,
    `install ${writer === undefined ? 'that newer gsync' : `gsync ${writer} or newer`} again, or point state.path at a new file`,
  );
}

/**
 * Damaged pages show up deep inside a query as SQLITE_CORRUPT, whose message
 * names no file; this names it and says what to do. Other errors pass through.
 */
export function explainStateError(err: unknown, file: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')) return err;
  return new GsyncError('failure', `state database ${file} is damaged: ${(err as Error).message}`, {
    hint: 'move it aside; the next run starts a new one and checks every file again (gsync set-time --now first ships only later changes)',
    cause: err,
  });
}
