import os from 'node:os';
import path from 'node:path';
import { configError, type GsyncError } from './errors.js';

/** errno codes that mean "this user may not write there": no login or retry fixes them, a permission does. */
const NO_WRITE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** The errno error of a file gsync could not create or open for writing, or null for anything else. */
export function writeRefused(err: unknown): (NodeJS.ErrnoException & { path: string; code: string }) | null {
  const e = err as NodeJS.ErrnoException | null;
  return e !== null && typeof e === 'object' && typeof e.code === 'string' && NO_WRITE.has(e.code) && typeof e.path === 'string'
    ? (e as NodeJS.ErrnoException & { path: string; code: string })
    : null;
}

/** What to do about a folder this user cannot write: name the user and the folder. */
export function writePermissionHint(folder: string, configKey: string): string {
  let user = 'the user gsync runs as';
  try {
    user = `user ${os.userInfo().username}`;
  } catch {
    // no passwd entry (a container): keep the general wording
  }
  return `give ${user} write permission on ${folder}, or point ${configKey} at a folder it can write`;
}

/**
 * A state, lock or token file that cannot be created: one line naming the file
 * and its folder, kind config (exit 2, since it will not fix itself), instead of
 * SQLite's "unable to open database file", which names neither.
 */
export function cannotWrite(err: unknown, what: string, configKey: string): GsyncError | null {
  const e = writeRefused(err);
  if (e === null) return null;
  const folder = path.dirname(e.path);
  return configError(`${what}: ${e.path} cannot be written (${e.code})`, writePermissionHint(folder, configKey));
}
