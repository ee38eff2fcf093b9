import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './temp.js';

/** A file: its content, or content plus an mtime (seconds since the epoch, or a Date). */
export interface FileSpec {
  content?: string | Buffer;
  mtime?: number | Date;
}
export interface DirSpec {
  dir: true;
  mtime?: number | Date;
}
export interface SymlinkSpec {
  symlink: string;
}
export type TreeEntry = string | Buffer | FileSpec | DirSpec | SymlinkSpec;
/** Paths relative to the root, '/'-separated; parents are created as needed. */
export type TreeSpec = Record<string, TreeEntry>;

export const dir = (mtime?: number | Date): DirSpec => ({ dir: true, mtime });
export const symlink = (target: string): SymlinkSpec => ({ symlink: target });

/**
 * Builds a literal tree under root (a new temporary directory if omitted) and
 * returns root. Mtimes are applied last, deepest first, so creating a child does
 * not disturb a directory's mtime set in the spec.
 */
export function makeTree(spec: TreeSpec, root: string = tempDir()): string {
  const mtimes: Array<[string, number | Date]> = [];
  for (const [rel, entry] of Object.entries(spec)) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) {
      fs.writeFileSync(abs, entry);
    } else if ('symlink' in entry) {
      fs.symlinkSync(entry.symlink, abs);
    } else if ('dir' in entry) {
      fs.mkdirSync(abs, { recursive: true });
      if (entry.mtime !== undefined) mtimes.push([abs, entry.mtime]);
    } else {
      fs.writeFileSync(abs, entry.content ?? '');
      if (entry.mtime !== undefined) mtimes.push([abs, entry.mtime]);
    }
  }
  mtimes.sort((a, b) => b[0].split(path.sep).length - a[0].split(path.sep).length);
  for (const [abs, mtime] of mtimes) setMtime(abs, mtime);
  return root;
}

/** Sets mtime (and atime) without following a symlink. */
export function setMtime(abs: string, mtime: number | Date): void {
  fs.lutimesSync(abs, mtime, mtime);
}

/** Every path under root, relative and sorted, directories with a trailing '/': for asserting what a tree holds. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else out.push(p);
    }
  };
  walk('');
  return out.sort();
}
