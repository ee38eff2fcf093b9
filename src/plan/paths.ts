import path from 'node:path';
import { usageError } from '../errors/errors.js';

/** Where the planned transfer reads from and writes to. */
export interface PathMapping {
  /** How the source directory appears on the source collection (source.collectionPath). */
  sourceRoot: string;
  /** destination.path: the source directory's contents land inside it. */
  destinationRoot: string;
}

/**
 * A path relative to the source directory ('' is the directory itself) on both
 * collections. Directories end in '/', as Globus writes recursive items.
 */
export function mapPath(relPath: string, isDir: boolean, m: PathMapping): { source_path: string; destination_path: string } {
  const tail = isDir ? '/' : '';
  return {
    source_path: join(m.sourceRoot, relPath) + (relPath === '' ? '' : tail),
    destination_path: join(m.destinationRoot, relPath) + (relPath === '' ? '' : tail),
  };
}

function join(root: string, relPath: string): string {
  const base = root.endsWith('/') ? root : `${root}/`;
  return relPath === '' ? base : base + relPath;
}

/**
 * A copy of a scanned path that shares no memory with the strings it was built
 * from. The scan's names are slices of their directory's whole listing (V8 keeps a
 * substring of 13 or more characters as a view into its parent string), so an item
 * holding one would keep that listing alive as long as the item: up to
 * transfer.maxItems of them, about 8 MB for 10,000 items at 1,000,000 files. Paths
 * are well-formed UTF-16 (names that are not UTF-8 never get this far), so the
 * round trip through UTF-8 is exact.
 */
export function ownedPath(relPath: string): string {
  return Buffer.from(relPath, 'utf8').toString('utf8');
}

/** A transfer item's paths: its own copy of the scanned path (see ownedPath), and where it maps on both collections. */
export function itemPaths(relPath: string, isDir: boolean, m: PathMapping): { relPath: string; source_path: string; destination_path: string } {
  const owned = ownedPath(relPath);
  return { relPath: owned, ...mapPath(owned, isDir, m) };
}

/**
 * A source path Globus reports (skipped_errors) back to a path relative to the
 * source directory; null when it lies outside it.
 */
export function relPathOnSource(sourcePath: string, sourceRoot: string): string | null {
  const root = sourceRoot.endsWith('/') ? sourceRoot : `${sourceRoot}/`;
  const p = sourcePath.replace(/\/+$/, '');
  if (p === root.slice(0, -1)) return '';
  return p.startsWith(root) ? p.slice(root.length) : null;
}

/**
 * The trie path ('' for the source itself, '/'-separated) of --path, which may be
 * absolute or relative to the source directory. Lexical on purpose: the trie holds
 * names as the scan saw them under source.path, symlinks not followed.
 */
export function relativeToSource(sourceRoot: string, given: string | undefined): string {
  if (given === undefined || given === '') return '';
  const root = path.resolve(sourceRoot);
  const abs = path.resolve(root, given);
  const rel = path.relative(root, abs);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw usageError(`--path ${given}: is outside the source directory ${root}`);
  }
  return rel.split(path.sep).join('/');
}
