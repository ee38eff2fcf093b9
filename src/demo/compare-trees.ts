import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface TreeComparison {
  equal: boolean;
  /** Regular files in the source. */
  files: number;
  bytes: number;
  /** One line per difference, e.g. "missing in destination: a/b.txt". */
  differences: string[];
}

interface Entry {
  kind: 'file' | 'dir' | 'other';
  size: number;
  digest: string;
}

/** Every entry below `root` by relative path (POSIX separators); files with a SHA-256 of their contents. */
export function readTreeDigests(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        out.set(r, { kind: 'dir', size: 0, digest: '' });
        walk(r);
      } else if (d.isFile()) {
        const data = fs.readFileSync(path.join(root, r));
        out.set(r, { kind: 'file', size: data.length, digest: createHash('sha256').update(data).digest('hex') });
      } else {
        out.set(r, { kind: 'other', size: 0, digest: '' });
      }
    }
  };
  walk('');
  return out;
}

/** Same paths, same kinds, same bytes in every file. */
export function compareTrees(source: string, destination: string): TreeComparison {
  const a = readTreeDigests(source);
  const b = readTreeDigests(destination);
  const differences: string[] = [];
  let files = 0;
  let bytes = 0;
  for (const [rel, e] of [...a].sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (e.kind === 'file') {
      files++;
      bytes += e.size;
    }
    const f = b.get(rel);
    if (f === undefined) differences.push(`missing in destination: ${rel}`);
    else if (f.kind !== e.kind) differences.push(`a ${e.kind} in the source but a ${f.kind} in the destination: ${rel}`);
    else if (f.digest !== e.digest) differences.push(`contents differ: ${rel}`);
  }
  for (const rel of [...b.keys()].sort()) if (!a.has(rel)) differences.push(`only in destination: ${rel}`);
  return { equal: differences.length === 0, files, bytes, differences };
}
