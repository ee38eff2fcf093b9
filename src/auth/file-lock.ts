import fs from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { failure } from '../errors/errors.js';
import { isAlive } from '../lock/process-alive.js';

/**
 * An exclusive lock file for the few milliseconds (or one refresh request) a
 * writer needs. `wx` makes creation atomic, so exactly one process wins.
 * A holder that died leaves its file behind; it is taken over when its pid is
 * gone on this host, or, for a holder on another host (token file on an NFS
 * home directory) whose pid we cannot check, when the file is older than any
 * holder can legitimately keep it.
 */
export interface FileLock {
  release(): void;
}

export interface FileLockOptions {
  /** Give up after this long; a holder keeps the lock for one token refresh at most. */
  waitMs?: number;
  /** A lock file older than this is stale whoever wrote it. */
  staleAfterMs?: number;
}

const HOST = os.hostname();

export async function acquireFileLock(lockPath: string, opts: FileLockOptions = {}): Promise<FileLock> {
  const waitMs = opts.waitMs ?? 30_000;
  const staleAfterMs = opts.staleAfterMs ?? 120_000;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const mine = `${process.pid}@${HOST} ${Math.random().toString(36).slice(2)}\n`;
    if (tryCreate(lockPath, mine)) return { release: () => releaseLock(lockPath, mine) };
    const holder = readHolder(lockPath);
    if (holder && isStale(holder, staleAfterMs)) {
      takeOver(lockPath, holder.raw);
      continue;
    }
    if (Date.now() >= deadline) {
      throw failure(`the token file lock ${lockPath} is held${holder?.pid ? ` by pid ${holder.pid} on ${holder.host}` : ''}; try again, or remove it if no gsync is running`);
    }
    await sleep(10 + Math.random() * 20);
  }
}

function tryCreate(lockPath: string, content: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

interface Holder {
  raw: string;
  pid?: number;
  host?: string;
  ageMs: number;
}

function readHolder(lockPath: string): Holder | undefined {
  try {
    const raw = fs.readFileSync(lockPath, 'utf8');
    const ageMs = Date.now() - fs.statSync(lockPath).mtimeMs;
    const m = /^(\d+)@(\S*) /.exec(raw);
    return { raw, pid: m ? Number(m[1]) : undefined, host: m?.[2], ageMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // released meanwhile: just retry
    throw err;
  }
}

function isStale(h: Holder, staleAfterMs: number): boolean {
  if (h.ageMs > staleAfterMs) return true;
  // An empty file is a holder between create and write: not stale until it ages.
  if (h.pid === undefined || h.host !== HOST) return false;
  return !isAlive(h.pid);
}

/**
 * Move the stale file aside before deleting it, and only delete it if it is
 * still the one we judged stale: a plain unlink could delete a lock that a
 * faster process had just created after taking over the same stale one.
 */
function takeOver(lockPath: string, staleContent: string): void {
  const aside = `${lockPath}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  let content = '';
  try {
    content = fs.readFileSync(aside, 'utf8');
  } catch {
    /* unreadable: treat as the stale one */
  }
  if (content !== staleContent && content !== '') {
    // We moved a live holder's lock: put it back unless someone has already taken the name.
    try {
      fs.linkSync(aside, lockPath);
    } catch {
      /* EEXIST: the name is held again; the moved holder still releases by unlinking nothing */
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Only remove the lock if it is still ours (a holder slower than staleAfterMs has lost it). */
function releaseLock(lockPath: string, mine: string): void {
  try {
    if (fs.readFileSync(lockPath, 'utf8') !== mine) return;
  } catch {
    return;
  }
  fs.rmSync(lockPath, { force: true });
}
