/** The listed paths of a change-list scan (src/changes/) as a tree of names: null marks a listed path (looked at whole), a map a directory only passed through. */
export type Listed = Map<string, Listed | null>;

/** null when the source directory itself is listed: that is a full walk. */
export function listedTree(paths: readonly string[]): Listed | null {
  if (paths.includes('')) return null;
  const root: Listed = new Map();
  for (const p of paths) {
    const names = p.split('/');
    let at = root;
    let covered = false;
    for (let i = 0; i < names.length - 1; i++) {
      let next = at.get(names[i]!);
      if (next === null) {
        covered = true; // an ancestor is listed: its walk covers this one
        break;
      }
      if (next === undefined) at.set(names[i]!, (next = new Map()));
      at = next;
    }
    if (!covered && at.get(names.at(-1)!) === undefined) at.set(names.at(-1)!, null);
  }
  return root;
}
