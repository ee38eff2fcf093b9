import fs from 'node:fs';
import path from 'node:path';
import { usageError } from '../errors/errors.js';
import { syncDir } from '../files/sync-dir.js';

export const existsRefusal = (file: string) =>
  usageError(`${file} already exists; gsync init never overwrites a config`, 'pass --force to replace it, or --output FILE to write elsewhere');

/**
 * Writes the whole text to a temporary file beside `file`, flushed, then puts
 * it in place in one step: with `force` a rename (an existing file is
 * replaced atomically, never left half written); without, a hard link, which
 * fails if `file` exists, so a file that appeared meanwhile is not clobbered
 * either. Either way the directory is flushed after.
 */
export function writeConfigFile(file: string, text: string, force: boolean): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (force) {
      fs.renameSync(tmp, file);
    } else {
      try {
        fs.linkSync(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsRefusal(file);
        throw err;
      }
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  syncDir(dir);
}
