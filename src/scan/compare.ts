import type { BigIntStats } from 'node:fs';
import picomatch from 'picomatch';
import { fingerprintOf } from '../state/fingerprint.js';
import type { NodeRow } from '../state/trie.js';
import { changeReason, judge, mtimeNotNewer, type ChangeReason, type Verdict } from './change-rule.js';
import { decodeName, escapeName } from './names.js';
import type { Listed } from './listed.js';

/**
 * The comparison of one directory with its trie rows: read the entries, lstat
 * each, judge it against its row. Writes nothing and calls no visitor, so it runs
 * the same on the scan's own thread and in a worker (src/scan/scan-worker.ts);
 * the result, a Listing, is what src/scan/recorder.ts turns into writes, counts and
 * visitor events. A Listing is flat (names joined, numbers in one BigInt64Array)
 * so that it crosses threads as one transfer instead of a clone of objects.
 */

/** One directory to compare: its path, its node (null: not in the trie, so no rows). */
export interface DirTask {
  abs: string;
  rel: string;
  id: number | null;
  /** Entries already read (the source directory's); otherwise read here. */
  names?: string[];
  /** A change-list scan passing through: compare just these names (listed or on the way to one), read nothing else. */
  only?: Listed;
}

/** What an entry turned out to be. */
export const TAG = { excluded: 0, inflight: 1, file: 2, dir: 3, symlink: 4, special: 5, vanished: 6, unreadable: 7 } as const;
export type Tag = (typeof TAG)[keyof typeof TAG];

/** Numbers per entry: info bits, row id (-1: none), then the fingerprint's size, mtime, ctime, ino. */
export const E = 6;
const VERDICTS: readonly Verdict[] = ['new', 'changed', 'clean'];
// info: tag in bits 0-3, verdict in bits 4-5, then one bit each.
const DEFERRED = 1 << 6;
const NOT_NEWER = 1 << 7;
const ROW_SEEN = 1 << 8;
const ROW_GONE = 1 << 9;
const ROW_WAS_DIR = 1 << 10;
const SHIPPED_DIR = 1 << 11;
const SHIPPED_FILE = 1 << 12;
// bits 13-15: why a changed entry changed (index into CHANGES, plus one); 0 for new and clean ones.
const CHANGES: ReadonlyArray<Exclude<ChangeReason, 'new'>> = ['type', 'mtime-back', 'size', 'mtime', 'inode'];
const CHANGE_SHIFT = 13;

export interface Listing {
  rel: string;
  /** The directory could not be read (its error code): the parent skips it. */
  readError: string | null;
  /** Its names held invalid UTF-8 and a second, byte-wise read failed (code): skipped, and listed as empty. */
  rawError: string | null;
  /** Display forms of the names that are not valid UTF-8, in the order readdir gave them. */
  nonUtf8: string[];
  count: number;
  /** The valid names, sorted, joined with '/', which no name can hold. */
  names: string;
  nums: BigInt64Array;
  /** Error codes of the entries tagged unreadable, in order. */
  codes: string[];
  /** Rows no longer in the directory, in the trie's order: [id, name, already marked gone]. */
  left: Array<[number, string, boolean]>;
}

/** One entry of a Listing, unpacked on demand. */
export interface Entry {
  tag: Tag;
  verdict: Verdict;
  /** Why it is new or changed (change-rule's changeReason); null when clean. */
  reason: ChangeReason | null;
  deferred: boolean;
  mtimeNotNewer: boolean;
  /** The row's id, or null when the trie has none for this path. */
  rowId: number | null;
  rowSeen: boolean;
  rowGone: boolean;
  /** The row was shipped or seen as a directory. */
  rowWasDir: boolean;
  /** The row was shipped as a directory / as a file. */
  shippedDir: boolean;
  shippedFile: boolean;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

export function entryAt(l: Listing, i: number): Entry {
  const a = l.nums;
  const o = i * E;
  const info = Number(a[o]);
  const id = a[o + 1]!;
  const verdict = VERDICTS[(info >> 4) & 3]!;
  return {
    tag: (info & 15) as Tag,
    verdict,
    reason: verdict === 'new' ? 'new' : verdict === 'changed' ? (CHANGES[((info >> CHANGE_SHIFT) & 7) - 1] ?? null) : null,
    deferred: (info & DEFERRED) !== 0,
    mtimeNotNewer: (info & NOT_NEWER) !== 0,
    rowId: id < 0n ? null : Number(id),
    rowSeen: (info & ROW_SEEN) !== 0,
    rowGone: (info & ROW_GONE) !== 0,
    rowWasDir: (info & ROW_WAS_DIR) !== 0,
    shippedDir: (info & SHIPPED_DIR) !== 0,
    shippedFile: (info & SHIPPED_FILE) !== 0,
    size: a[o + 2]!,
    mtimeNs: a[o + 3]!,
    ctimeNs: a[o + 4]!,
    ino: a[o + 5]!,
  };
}

/** The tasks for a listing's subdirectories, in walk order. */
export function subdirTasks(l: Listing, abs: string): DirTask[] {
  const out: DirTask[] = [];
  if (l.count === 0) return out;
  const names = l.names.split('/');
  const base = abs === '/' ? '' : abs;
  for (let i = 0; i < l.count; i++) {
    const o = i * E;
    if ((Number(l.nums[o]) & 15) !== TAG.dir) continue;
    const id = l.nums[o + 1]!;
    const name = names[i]!;
    out.push({ abs: `${base}/${name}`, rel: l.rel === '' ? name : `${l.rel}/${name}`, id: id < 0n ? null : Number(id) });
  }
  return out;
}

export interface CompareEnv {
  readdir(dir: string): string[];
  readdirRaw(dir: string): Buffer[];
  /** lstat of name inside dir (abs is the same path whole). */
  lstatIn(dir: string, name: string, abs: string): BigIntStats;
  rows(id: number): Map<string, NodeRow>;
  /** One row by name: a directory passed through may hold millions of others. Only on the scan's own thread. */
  row?(id: number, name: string): NodeRow | undefined;
  isExcluded(relPath: string): boolean;
  /** Changed files with an mtime after this (ns) are deferred: they may still be being written. */
  cutoffNs: bigint;
  /** A source listed through Globus settles by listings instead (issue 29): see ListedSettling. */
  settling?: ListedSettling;
}

/**
 * Settling for a source whose clock is not ours (a Globus listing): a new or
 * changed file ships once listings far enough apart saw the same fingerprint
 * (src/state/listing-seen.ts). Replaces the mtime cutoff when set.
 */
export interface ListedSettling {
  mayShip(relPath: string, size: bigint, mtimeNs: bigint): boolean;
  /** Inside the scan's write transaction: a file held back was seen with this fingerprint. */
  held(relPath: string, size: bigint, mtimeNs: bigint): void;
  /** Inside the scan's write transaction: a file goes out; its sightings are done with. */
  shipping(relPath: string): void;
}

export function excluder(patterns: readonly string[] | undefined): (relPath: string) => boolean {
  return patterns?.length ? picomatch([...patterns], { dot: true }) : () => false;
}

/** An error the walk reports as a skipped entry has a code; any other is a bug and is thrown. */
export function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') throw err;
  return code;
}

export function compareDir(task: DirTask, env: CompareEnv): Listing {
  const l: Listing = { rel: task.rel, readError: null, rawError: null, nonUtf8: [], count: 0, names: '', nums: new BigInt64Array(0), codes: [], left: [] };
  let names: string[];
  try {
    names = task.only !== undefined ? [...task.only.keys()] : (task.names ?? env.readdir(task.abs));
  } catch (err) {
    l.readError = errorCode(err);
    return l;
  }
  const rows = task.id === null ? new Map<string, NodeRow>() : task.only !== undefined ? rowsByName(task.id, names, env) : env.rows(task.id);
  // Listed names were checked for UTF-8 when the list was resolved.
  const sorted = (task.only !== undefined ? names : validNames(task, names, l, env)).sort();
  const base = task.abs === '/' ? '' : task.abs;
  const nums = new BigInt64Array(sorted.length * E);
  for (let i = 0; i < sorted.length; i++) {
    const name = sorted[i]!;
    const o = i * E;
    const row = rows.get(name);
    if (row !== undefined) rows.delete(name);
    nums[o + 1] = row === undefined ? -1n : row.id;
    const rowBits =
      row === undefined
        ? 0
        : (row.seen_kind !== null ? ROW_SEEN : 0) |
          (row.gone !== 0n ? ROW_GONE : 0) |
          (row.shipped_kind === 'd' || row.seen_kind === 'd' ? ROW_WAS_DIR : 0) |
          (row.shipped_kind === 'd' ? SHIPPED_DIR : row.shipped_kind === 'f' ? SHIPPED_FILE : 0);
    const relPath = task.rel === '' ? name : `${task.rel}/${name}`;
    if (env.isExcluded(relPath)) {
      nums[o] = BigInt(TAG.excluded | rowBits);
      continue;
    }
    if (row !== undefined && row.inflight !== 0n) {
      nums[o] = BigInt(TAG.inflight | rowBits);
      continue;
    }
    let st: BigIntStats;
    try {
      st = env.lstatIn(base, name, `${base}/${name}`);
    } catch (err) {
      const code = errorCode(err);
      if (code !== 'ENOENT') l.codes.push(code);
      nums[o] = BigInt((code === 'ENOENT' ? TAG.vanished : TAG.unreadable) | rowBits);
      continue;
    }
    const kind = st.isFile() ? 'f' : st.isDirectory() ? 'd' : null;
    if (kind === null) {
      nums[o] = BigInt((st.isSymbolicLink() ? TAG.symlink : TAG.special) | rowBits);
      continue;
    }
    const fp = fingerprintOf(kind, st);
    const verdict = judge(row, fp);
    let info = (kind === 'f' ? TAG.file : TAG.dir) | (VERDICTS.indexOf(verdict) << 4) | rowBits;
    if (kind === 'f' && verdict !== 'clean' && (env.settling ? !env.settling.mayShip(relPath, fp.size, fp.mtimeNs) : st.mtimeNs > env.cutoffNs)) info |= DEFERRED;
    if (verdict === 'changed') {
      if (mtimeNotNewer(row, fp)) info |= NOT_NEWER;
      info |= (CHANGES.indexOf(changeReason(row!, fp)) + 1) << CHANGE_SHIFT;
    }
    nums[o] = BigInt(info);
    nums[o + 2] = fp.size;
    nums[o + 3] = fp.mtimeNs;
    nums[o + 4] = fp.ctimeNs;
    nums[o + 5] = fp.ino;
  }
  // Rows left over were not in the directory: vanished since the last scan.
  for (const row of rows.values()) l.left.push([Number(row.id), row.name, row.gone !== 0n]);
  l.count = sorted.length;
  l.names = sorted.join('/');
  l.nums = nums;
  return l;
}

function rowsByName(id: number, names: string[], env: CompareEnv): Map<string, NodeRow> {
  const rows = new Map<string, NodeRow>();
  if (env.row === undefined) throw new Error('internal: a change-list directory compared without row lookups');
  for (const name of names) {
    const row = env.row(id, name);
    if (row !== undefined) rows.set(name, row);
  }
  return rows;
}

/** Names that are valid UTF-8; the others are listed apart, since no Globus request can name them. */
function validNames(task: DirTask, names: string[], l: Listing, env: CompareEnv): string[] {
  if (!names.some((n) => n.includes('\uFFFD'))) return names;
  let raw: Buffer[];
  try {
    raw = env.readdirRaw(task.abs);
  } catch (err) {
    l.rawError = errorCode(err);
    return [];
  }
  const valid: string[] = [];
  const prefix = Buffer.from(task.rel === '' ? '' : `${task.rel}/`, 'utf8');
  for (const bytes of raw) {
    const name = decodeName(bytes);
    if (name !== null) valid.push(name);
    else l.nonUtf8.push(escapeName(Buffer.concat([prefix, bytes])));
  }
  return valid;
}
