import fs from 'node:fs';
import { decodeName, escapeName } from '../scan/names.js';

export interface RefusedPath {
  /** The listed path, escaped so it prints on one line whatever bytes it holds. */
  path: string;
  message: string;
}

export interface ResolvedChanges {
  /**
   * Paths relative to source.path, sorted, without duplicates and without any
   * path whose ancestor is listed too (the ancestor's walk covers it). [''] means
   * the source directory itself was listed: a full walk.
   */
  relPaths: string[];
  refused: RefusedPath[];
}

/**
 * Turns listed paths into source-relative ones. An absolute path must lie under
 * source.path as configured or as it resolves (GPFS and Lustre print the real
 * mount path, which a configured symlink may hide); a relative one is taken
 * relative to source.path. A `..` component is refused rather than resolved: the
 * list names paths, and gsync never follows one out of the tree. A name that is
 * not UTF-8 is refused as the scanner skips it, since no Globus request can name
 * it. Symlinks below source.path are the scanner's to refuse, where it lstats
 * each ancestor on the way down.
 */
export function resolveChanges(paths: readonly Buffer[], sourcePath: string, realSource = realpathOrNull(sourcePath)): ResolvedChanges {
  const roots = [...new Set([sourcePath, realSource].filter((r): r is string => r !== null).map(components))];
  const refused: RefusedPath[] = [];
  const listed = new Set<string>();
  for (const raw of paths) {
    const rel = relativeTo(raw, roots);
    if (typeof rel === 'object') {
      refused.push({ path: escapeName(raw), message: rel.refused });
      continue;
    }
    listed.add(rel);
  }
  if (listed.has('')) return { relPaths: [''], refused };
  const relPaths = [...listed].filter((p) => !hasListedAncestor(p, listed)).sort();
  return { relPaths, refused };
}

function relativeTo(raw: Buffer, roots: string[][]): string | { refused: string } {
  const text = decodeName(raw);
  if (text === null) return { refused: 'name is not valid UTF-8, so Globus cannot be asked for it; rename it to ship it' };
  const parts = components(text);
  if (parts.includes('..')) return { refused: 'has a .. component; gsync does not resolve it, list the path itself' };
  if (!text.startsWith('/')) return parts.join('/');
  for (const root of roots) {
    if (root.length <= parts.length && root.every((c, i) => parts[i] === c)) return parts.slice(root.length).join('/');
  }
  return { refused: 'is outside source.path; not followed' };
}

/** Path components without empty and `.` ones: `/a//b/./c/` is a, b, c. */
function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

function hasListedAncestor(p: string, listed: ReadonlySet<string>): boolean {
  for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) if (listed.has(p.slice(0, i))) return true;
  return false;
}

function realpathOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null; // the scan reports a missing source.path as the config problem it is
  }
}
