import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * task_submit, delete_destination_extra: "Delete extraneous files in the
 * destination directory. Only applies for recursive directory transfers." The
 * destination entries of one directory that the source does not have, or has
 * as the other kind (a directory where the source has a file, or the reverse),
 * are removed before the directory's entries are copied. Returns how many
 * entries were removed.
 */
export async function deleteDestinationExtra(sourceEntries: Dirent[], dst: string): Promise<number> {
  const kinds = new Map(sourceEntries.map((e) => [e.name, e.isDirectory()]));
  let existing: Dirent[];
  try {
    existing = await fs.readdir(dst, { withFileTypes: true });
  } catch {
    return 0; // nothing there yet
  }
  let removed = 0;
  for (const e of existing) {
    const sourceIsDir = kinds.get(e.name);
    if (sourceIsDir !== undefined && sourceIsDir === e.isDirectory()) continue;
    await fs.rm(path.join(dst, e.name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
