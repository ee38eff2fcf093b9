import fs from 'node:fs';
import path from 'node:path';
import { lockedError } from '../errors/errors.js';
import { cannotWrite } from '../errors/file-access.js';
import { createPrivateFile, makePrivateDir, PRIVATE_FILE_MODE } from '../files/modes.js';
import { sqliteDatabase, type SqliteDatabase } from '../state/sqlite-driver.js';
import { isAlive } from './process-alive.js';

/**
 * One run per job at a time. The lock is a write transaction held open on a
 * small SQLite file beside the state: SQLite takes a POSIX fcntl lock for it,
 * which the kernel drops when the holder exits for any reason (SIGKILL
 * included), so a dead holder's lock is taken over with no stale-pid guessing
 * and no race between two takers. The holder's pid sits in a side file only
 * so the loser can name it.
 *
 * The lock lives as long as its connection, and a connection nobody references
 * is closed when the garbage collector finalises it (Node 22 does so promptly),
 * which would let a second run in while the first still works. So the module,
 * not the caller's handle, owns every held connection until release() or
 * process exit: dropping the JobLock object never releases the lock.
 */
export interface JobLock {
  readonly path: string;
  release(): void;
}

/** Held connections, by lock path: the reference that keeps each lock alive. */
const held = new Map<string, SqliteDatabase>();

export function lockPathFor(statePath: string): string {
  return `${statePath}.lock`;
}

export function acquireJobLock(lockPath: string, pid: number = process.pid): JobLock {
  try {
    makePrivateDir(path.dirname(lockPath));
    createPrivateFile(lockPath); // SQLite would create it 0644; its -journal follows its mode
  } catch (err) {
    throw cannotWrite(err, 'the job lock beside the state database', 'state.path') ?? err;
  }
  // timeout 0: a held lock answers SQLITE_BUSY at once instead of waiting.
  const Database = sqliteDatabase();
  const db = new Database(lockPath, { timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
    db.exec('CREATE TABLE IF NOT EXISTS lock (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER)');
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      const holder = readHolder(lockPath);
      throw lockedError(
        `another gsync run holds the lock for this job${holder ? ` (pid ${holder})` : ''}: ${lockPath}`,
      );
    }
    throw err;
  }
  held.set(lockPath, db);
  try {
    writeHolder(lockPath, pid);
  } catch (err) {
    held.delete(lockPath);
    db.close(); // closing ends the open transaction: the lock goes with it
    throw err;
  }
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return;
      released = true;
      try {
        fs.rmSync(`${lockPath}.pid`, { force: true });
      } finally {
        held.delete(lockPath);
        db.exec('ROLLBACK');
        db.close();
      }
    },
  };
}

function writeHolder(lockPath: string, pid: number): void {
  const tmp = `${lockPath}.pid.${pid}.tmp`;
  fs.writeFileSync(tmp, `${pid}\n`, { mode: PRIVATE_FILE_MODE });
  fs.renameSync(tmp, `${lockPath}.pid`);
}

/**
 * The holder writes its pid just after it takes the lock, so a loser that
 * arrives in between finds no file or a dead run's pid: it waits a moment for
 * a live one rather than name the wrong process.
 */
function readHolder(lockPath: string, waitMs = 250): number | undefined {
  const until = Date.now() + waitMs;
  for (;;) {
    const pid = readPidFile(lockPath);
    if (pid !== undefined && isAlive(pid)) return pid;
    if (Date.now() >= until) return undefined;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
  }
}

function readPidFile(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(`${lockPath}.pid`, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

