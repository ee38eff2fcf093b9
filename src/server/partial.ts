import fs from 'node:fs';
import path from 'node:path';
import type { TransferTask } from './task.js';

/**
 * What a task that did not succeed leaves behind. Globus writes destination
 * files in place, so a transfer cut off by a fatal error or its deadline can
 * leave truncated files, dated the moment they were written (globus-cli issue
 * 202: after a failed transfer only sync_level checksum is safe). This server
 * takes the strict reading: every file of the task not yet settled gets the
 * first half of its bytes at the destination, with the current mtime. It is
 * synchronous so the copies exist before anyone can see the task FAILED.
 * Best effort: a destination that cannot be written is left as it is.
 */
export function leavePartialCopies(t: TransferTask, settled: ReadonlySet<string>, pair: (s: string, d: string) => string): number {
  let written = 0;
  const file = (src: string, dst: string, sp: string, dp: string) => {
    if (settled.has(pair(sp, dp))) return;
    try {
      const data = fs.readFileSync(src);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      const st = fs.lstatSync(dst, { throwIfNoEntry: false });
      if (st !== undefined && !st.isFile()) return;
      fs.writeFileSync(dst, data.subarray(0, Math.floor(data.length / 2)));
      written++;
    } catch {
      // unreadable source or unwritable destination: nothing was written there
    }
  };
  const walk = (src: string, dst: string, sp: string, dp: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(src, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const args = [path.join(src, e.name), path.join(dst, e.name), path.posix.join(sp, e.name), path.posix.join(dp, e.name)] as const;
      if (e.isDirectory()) walk(...args);
      else if (e.isFile()) file(...args);
    }
  };
  for (const item of t.items) {
    let src: string;
    let dst: string;
    try {
      src = t.source.resolve(item.source_path);
      dst = t.destination.resolve(item.destination_path);
    } catch {
      continue;
    }
    const st = fs.lstatSync(src, { throwIfNoEntry: false });
    if (st?.isDirectory() && item.recursive) walk(src, dst, item.source_path, item.destination_path);
    else if (st?.isFile() && !item.recursive) file(src, dst, item.source_path, item.destination_path);
  }
  return written;
}
