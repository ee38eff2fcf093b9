import type { Statement } from 'better-sqlite3';
import { ROOT_NODE_ID, type State } from './open.js';

/**
 * Node ids of many source-relative paths, as a task's successful_transfers
 * names them: one prepared statement, and the directories on the way
 * remembered, since consecutive paths share them.
 */
export class NodeLookup {
  private readonly child: Statement;
  private readonly dirs = new Map<string, number | null>([['', ROOT_NODE_ID]]);

  constructor(state: State) {
    this.child = state.db.prepare(`SELECT id FROM node WHERE parent = ? AND name = ?`).pluck(true);
  }

  /** null when the trie does not track the path. */
  idOf(relPath: string): number | null {
    const cut = relPath.lastIndexOf('/');
    const parent = cut < 0 ? ROOT_NODE_ID : this.dirOf(relPath.slice(0, cut));
    if (parent === null) return null;
    return (this.child.get(parent, relPath.slice(cut + 1)) as number | undefined) ?? null;
  }

  private dirOf(relDir: string): number | null {
    const known = this.dirs.get(relDir);
    if (known !== undefined) return known;
    const id = this.idOf(relDir);
    // Bounded: a listing's paths come in directory order, so old directories are rarely asked again.
    if (this.dirs.size > 10_000) this.dirs.clear();
    this.dirs.set(relDir, id);
    return id;
  }
}
