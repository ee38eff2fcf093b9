import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import { openExistingState } from '../state/open.js';
import { fail, failFromError, ok, type CheckResult } from './result.js';

/**
 * The checks that need no network: the config file, the source directory and
 * the state database. Each returns its result; none creates or changes anything.
 */

/** loadConfig stops at the first problem; the checklist lists them all when it can read the file. */
export function configProblems(file: string, env: NodeJS.ProcessEnv, err: GsyncError): CheckResult[] {
  const hint = `fix it in ${file}`;
  try {
    const parsed = parseConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file, env);
    if (!parsed.ok) return parsed.errors.map((e) => fail('config', file, e, hint));
  } catch {
    // unreadable or not JSON: the original error says which
  }
  return [fail('config', undefined, err.message, err.hint ?? hint)];
}

export function checkSource(config: Config): CheckResult {
  const dir = config.source.path;
  const [check, hint] = ['source directory', `create it, or fix source.path in ${config.file}`];
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(check, dir, code === 'ENOENT' ? 'does not exist' : `cannot be examined (${code})`, hint);
  }
  if (!st.isDirectory()) return fail(check, dir, 'is not a directory', `fix source.path in ${config.file}`);
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch (err) {
    return fail(check, dir, `cannot be listed (${(err as NodeJS.ErrnoException).code})`, `give ${userName()} read and execute permission on it`);
  }
  // Only the top: a full walk is what a run does. Says so, since a run exits 1 for what it cannot read below.
  return ok(check, dir, 'is readable (its top level only; a run warns about anything below it cannot read, and exits 1)');
}

/**
 * Writable without creating anything: an existing file is opened read-only to
 * prove it is a gsync database (anything else is reported, never touched), and
 * otherwise the nearest existing parent must let us create the file.
 */
export function checkStateDb(config: Config): CheckResult {
  const file = config.state.path;
  const check = 'state database';
  const hint = `fix state.path in ${config.file}, or the permissions`;
  const failed = (problem: string) => fail(check, file, problem, hint);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return failed(`cannot be examined (${code})`);
  }
  if (st !== undefined) {
    if (!st.isFile()) return failed('is not a regular file');
    try {
      openExistingState(file)?.close();
    } catch (err) {
      // The subject already names the file; the error's own "state.path <file>: " would say it twice.
      if (err instanceof GsyncError) err.message = err.message.replace(`state.path ${file}: `, '');
      return failFromError(check, file, err, hint);
    }
    try {
      fs.accessSync(file, fs.constants.W_OK);
    } catch (err) {
      return failed(`is not writable (${(err as NodeJS.ErrnoException).code})`);
    }
    const problem = dirWritable(path.dirname(file));
    return problem ? failed(problem) : ok(check, file, 'is a gsync database and writable');
  }
  let dir = path.dirname(file);
  for (;;) {
    let dst: fs.Stats | undefined;
    try {
      dst = fs.statSync(dir);
    } catch {
      // missing: gsync creates it, so its parent is what matters
    }
    if (dst !== undefined) {
      if (!dst.isDirectory()) return failed(`${dir} is not a directory`);
      const problem = dirWritable(dir);
      return problem ? failed(problem) : ok(check, file, 'does not exist yet and can be created');
    }
    const up = path.dirname(dir);
    if (up === dir) return failed('no parent directory exists');
    dir = up;
  }
}

/** SQLite writes -wal, -shm and journal files beside the database, and the job lock lives there too. */
function dirWritable(dir: string): string | null {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return null;
  } catch (err) {
    return `${dir} is not writable (${(err as NodeJS.ErrnoException).code})`;
  }
}

function userName(): string {
  try {
    return `user ${os.userInfo().username}`;
  } catch {
    return 'this user';
  }
}
