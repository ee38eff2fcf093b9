import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { widerThanPrivate } from '../files/modes.js';
import { lockPathFor } from '../lock/job-lock.js';
import { fail, ok, type CheckResult } from './result.js';

/**
 * gsync's own files name every path of the source tree. It creates them 0600, but
 * files made by an older gsync (under umask 022) or chmod-ed since stay as they
 * are: gsync never changes a mode behind the owner's back, it says what to run.
 * Only files that exist are looked at; the line is left out while there are none.
 */
export function checkFileModes(config: Config): CheckResult | null {
  const db = config.state.path;
  const candidates = [db, `${db}-wal`, `${db}-shm`, lockPathFor(db), ...(config.log.file ? [config.log.file] : []), ...manifests(config.hooks.manifestDir)];
  const existing = candidates.filter((f) => fs.existsSync(f));
  if (existing.length === 0) return null;
  const wide = existing.flatMap((f) => {
    const mode = widerThanPrivate(f);
    return mode === null ? [] : [{ file: f, mode }];
  });
  const check = 'file modes';
  if (wide.length === 0) return ok(check, undefined, `gsync's files (state database, lock, log, manifests) are readable by their owner only`);
  const listed = wide.map((w) => `${w.file} (mode ${w.mode.toString(8).padStart(3, '0')})`).join(', ');
  return fail(check, undefined, `readable by group or others: ${listed}`, `run: chmod 600 ${wide.map((w) => shellQuote(w.file)).join(' ')}`);
}

function manifests(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl')).map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/** Paths go into a command to paste: quoted when they hold anything a shell would split or expand. */
function shellQuote(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}
