import fs from 'node:fs';
import path from 'node:path';

/** One line of Globus Connect Personal's config-paths: `path,sharing,read-write`. */
export interface SharedPath {
  /** As written in the file (may start with ~). */
  written: string;
  /** Absolute, with ~ expanded and symlinks resolved where it exists. */
  absolute: string;
  line: number;
  writable: boolean;
}

/**
 * Globus Connect Personal (Linux) shares only the folders listed in
 * ~/.globusonline/lta/config-paths, one `path,sharing-flag,rw-flag` a line,
 * `~` being the home directory; without the file it shares the home
 * directory alone (its default). The path may hold commas, the two flags
 * never do, so they are split off from the right.
 */
export function readSharedPaths(file: string, home: string): SharedPath[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return [{ written: '~/ (the default: no config-paths file)', absolute: home, line: 0, writable: true }];
  }
  const out: SharedPath[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(',');
    const flags = parts.length >= 3 ? parts.splice(-2) : [];
    const written = parts.join(',').trim();
    if (written === '') return;
    const expanded = written === '~' || written.startsWith('~/') ? path.join(home, written.slice(1)) : written;
    out.push({ written, absolute: realOrResolved(expanded), line: i + 1, writable: flags[1]?.trim() === '1' });
  });
  return out;
}

/** The shared path that covers `dir` (an absolute, real path), the deepest one if several do. */
export function coveringPath(shared: SharedPath[], dir: string): SharedPath | undefined {
  const inside = (root: string) => root === '/' || dir === root || dir.startsWith(root.endsWith('/') ? root : root + '/');
  return shared.filter((s) => inside(s.absolute)).sort((a, b) => b.absolute.length - a.absolute.length)[0];
}

export function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
