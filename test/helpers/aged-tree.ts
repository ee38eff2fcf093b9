import fs from 'node:fs';
import path from 'node:path';
import { writeTree } from '../server-support.js';

/** Writes `tree` under `dir` with every file's mtime `secondsAgo` in the past (older than scan.minAgeSeconds, or newer than a shipped copy). */
export function writeAged(dir: string, tree: Record<string, string>, secondsAgo: number): void {
  writeTree(dir, tree);
  const t = Date.now() / 1000 - secondsAgo;
  for (const rel of Object.keys(tree)) fs.utimesSync(path.join(dir, rel), t, t);
}
