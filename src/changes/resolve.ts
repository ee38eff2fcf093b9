import fs from 'node:fs';
import path from 'node:path';
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
  /** Listed paths (after resolving) that exist nowhere under the source: a list made elsewhere, or a typo. */
  missing: number;
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
export function resolveChanges(
  paths: readonly Buffer[],
  sourcePath: string,
  realSource = realpathOrNull(sourcePath),
  cwd?: string,
): ResolvedChanges {
  const roots = [...new Set([sourcePath, realSource].filter((r): r is string => r !== null).map(components))];
  const refused: RefusedPath[] = [];
  const listed = new Set<string>();
  let missing = 0;
  const exists = (rel: string) => fs.existsSync(path.join(sourcePath, rel)) || isLink(path.join(sourcePath, rel));
  for (const raw of paths) {
    const text = decodeName(raw);
    const rel = text === null ? { refused: NOT_UTF8 } : relativeTo(text, roots, cwd, exists);
    if (typeof rel === 'object') {
      refused.push({ path: escapeName(raw), message: rel.refused });
      continue;
    }
    if (cwd !== undefined && !exists(rel)) missing++;
    listed.add(rel);
  }
  if (listed.has('')) return { relPaths: [''], refused, missing };
  const relPaths = [...listed].filter((p) => !hasListedAncestor(p, listed)).sort();
  return { relPaths, refused, missing };
}

const NOT_UTF8 = 'name is not valid UTF-8, so Globus cannot be asked for it; rename it to ship it';

/**
 * A relative path is read both ways, as find prints it (from the working
 * directory, `cwd`) and as relative to source.path, and the reading that exists
 * wins, the working directory's first; with neither existing, the working
 * directory's when it lies in the source.
 */
function relativeTo(text: string, roots: string[][], cwd: string | undefined, exists: (rel: string) => boolean): string | { refused: string } {
  const parts = components(text);
  if (parts.includes('..')) return { refused: 'has a .. component; gsync does not resolve it, list the path itself' };
  if (!text.startsWith('/')) {
    const fromSource = parts.join('/');
    if (cwd === undefined) return fromSource;
    const fromCwd = underRoots(components(path.resolve(cwd, text)), roots);
    if (fromCwd !== null && exists(fromCwd)) return fromCwd;
    if (exists(fromSource)) return fromSource;
    return fromCwd ?? fromSource;
  }
  return underRoots(parts, roots) ?? { refused: 'is outside source.path; not followed' };
}

function underRoots(parts: string[], roots: string[][]): string | null {
  for (const root of roots) {
    if (root.length <= parts.length && root.every((c, i) => parts[i] === c)) return parts.slice(root.length).join('/');
  }
  return null;
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
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
