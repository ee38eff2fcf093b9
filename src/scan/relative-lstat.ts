import fs, { type BigIntStats } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/**
 * lstat by name from inside the directory, as find does with fstatat: the kernel
 * then resolves one component instead of the whole path, which took a third of
 * an unchanged scan's lstat time (node has no fstatat, so the walk chdirs into
 * each directory, and back out when done). Only on the main thread (workers may
 * not chdir); a directory it cannot enter falls back to absolute paths, so each
 * entry fails just as it would have. null when the cwd cannot be restored.
 */
export function relativeLstat(): { lstatIn(dir: string, name: string, abs: string): BigIntStats; restore(): void } | null {
  if (!isMainThread) return null;
  let home: string;
  try {
    home = process.cwd();
  } catch {
    return null; // the cwd was deleted: chdir back would be impossible
  }
  let here: string | null = null;
  let moved = false;
  return {
    lstatIn(dir, name, abs) {
      if (dir !== here) {
        try {
          process.chdir(dir === '' ? '/' : dir);
          here = dir;
          moved = true;
        } catch {
          here = null;
          return fs.lstatSync(abs, { bigint: true });
        }
      }
      return fs.lstatSync(name, { bigint: true });
    },
    restore() {
      if (!moved) return;
      try {
        process.chdir(home);
      } catch {
        // Gone or unreadable since the scan began. Never stay inside the source tree:
        // a later relative path must not resolve among the user's files.
        process.chdir('/');
      }
    },
  };
}
