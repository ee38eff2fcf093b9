import type { ListedEntry } from '../listing/dir-lister.js';
import type { Fingerprint } from '../state/fingerprint.js';
import type { NodeRow } from '../state/trie.js';
import { judge } from '../scan/change-rule.js';
import type { Finding } from './findings.js';

export interface CompareOptions {
  /** The directory's path relative to the source directory ('' or ending in "/"). */
  dirRel: string;
  /** Judge mtimes (whole seconds): only when the job preserves timestamps. */
  preserveTimestamp: boolean;
  /** What the source holds now at that relative path (lstat), or null when it is gone or unreadable. */
  localNow: (relPath: string) => Fingerprint | null;
  /** How many files the trie records shipped under a directory node (for a missing directory). */
  filesUnder: (nodeId: number) => number;
}

export interface DirComparison {
  findings: Finding[];
  /** Judged files that matched or drifted (files under a missing directory included). */
  files: number;
  /** Shipped directories present at the destination, to list next, by name. */
  descend: Array<{ name: string; nodeId: number }>;
}

const NS_PER_S = 1_000_000_000n;

/**
 * One directory: the trie's children of it against Globus's listing of the same
 * directory at the destination. Only paths recorded shipped and unchanged since
 * (locally and in the trie: not dirty, not in flight, not gone) are judged; they
 * ship anyway otherwise. A destination entry the trie does not know is extra.
 */
export function compareDirectory(rows: Map<string, NodeRow>, entries: ListedEntry[], opts: CompareOptions): DirComparison {
  const out: DirComparison = { findings: [], files: 0, descend: [] };
  const listed = new Map<string, ListedEntry>();
  for (const e of entries) listed.set(e.name, e);
  for (const e of entries) {
    if (!rows.has(e.name)) out.findings.push({ kind: 'extra', path: opts.dirRel + e.name + (e.type === 'dir' ? '/' : '') });
  }
  const names = [...rows.keys()].sort();
  for (const name of names) {
    const row = rows.get(name)!;
    if (!judged(row, opts.dirRel + name, opts.localNow)) continue;
    const rel = opts.dirRel + name;
    const there = listed.get(name);
    const id = Number(row.id);
    if (row.shipped_kind === 'd') {
      if (there === undefined) {
        const files = opts.filesUnder(id);
        out.files += files;
        out.findings.push({ kind: 'missing', path: rel + '/', nodeId: id, files });
      } else if (there.type !== 'dir') {
        const files = opts.filesUnder(id);
        out.files += files;
        out.findings.push({ kind: 'differs', path: rel + '/', detail: `a ${there.type}, expected a directory`, nodeId: id, files, exists: true });
      } else out.descend.push({ name, nodeId: id });
      continue;
    }
    out.files++;
    if (there === undefined) {
      out.findings.push({ kind: 'missing', path: rel, nodeId: id, files: 1 });
      continue;
    }
    const problem = fileProblem(row, there, opts.preserveTimestamp);
    if (problem) out.findings.push({ kind: 'differs', path: rel, detail: problem, nodeId: id, files: 1, exists: true });
  }
  return out;
}

function judged(row: NodeRow, rel: string, localNow: CompareOptions['localNow']): boolean {
  if (row.shipped_kind === null || row.gone !== 0n || row.inflight !== 0n || row.seen_kind !== null) return false;
  const now = localNow(rel);
  return now !== null && judge(row, now) === 'clean';
}

function fileProblem(row: NodeRow, there: ListedEntry, preserveTimestamp: boolean): string | null {
  if (there.type === 'dir') return 'a directory, expected a file';
  if (BigInt(there.size) !== row.shipped_size) return `size ${there.size}, expected ${row.shipped_size}`;
  if (preserveTimestamp && row.shipped_mtime_ns !== null) {
    const expected = row.shipped_mtime_ns / NS_PER_S - (row.shipped_mtime_ns < 0n && row.shipped_mtime_ns % NS_PER_S !== 0n ? 1n : 0n);
    if (there.mtimeSeconds === null || BigInt(there.mtimeSeconds) !== expected) {
      return `modified ${isoSeconds(there.mtimeSeconds)}, expected ${isoSeconds(Number(expected))}`;
    }
  }
  return null;
}

function isoSeconds(s: number | null): string {
  return s === null ? 'unknown' : new Date(s * 1000).toISOString().replace('.000Z', 'Z');
}
