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
