import fs from 'node:fs';

/** Whether a directory holds at least one entry, reading one entry rather than the whole listing. */
export function hasEntries(dir: string): boolean {
  const d = fs.opendirSync(dir);
  try {
    return d.readSync() !== null;
  } finally {
    d.closeSync();
  }
}
