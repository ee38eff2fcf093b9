import fs, { type BigIntStats } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import picomatch from 'picomatch';
import { configError } from '../errors/errors.js';
import { fingerprintOf, type Fingerprint } from '../state/fingerprint.js';
import { ROOT_NODE_ID } from '../state/open.js';
import type { NodeRow, TrieStore } from '../state/trie.js';
import { judge, mtimeNotNewer, type Verdict } from './change-rule.js';
import { decodeName, escapeName } from './names.js';
import { triePrefetch } from './prefetch.js';
import { nodeScanFs, type ScanFs } from './scan-fs.js';

/** Entries the scan saw but will not let ship: each also keeps its directory from being sent as one recursive item. */
export type SkipReason = 'symlink' | 'special' | 'non-utf8' | 'unreadable' | 'vanished';
export type HoldReason = 'excluded' | 'deferred' | 'inflight' | SkipReason;

export interface DirEvent {
  relPath: string;
  nodeId: number | null;
  /** This directory itself was shipped before (as a directory). */
  shipped: boolean;
}

export interface FileEvent {
  relPath: string;
  nodeId: number | null;
  size: bigint;
  verdict: Verdict;
}

/**
 * What the walk reports, in depth-first order with sorted names: enterDir and
 * leaveDir bracket a directory's entries, the source directory included ('').
 * Clean files are reported too: they decide whether a directory is fresh.
 */
export interface ScanVisitor {
  enterDir(dir: DirEvent): void;
  file(file: FileEvent): void;
  held(relPath: string, reason: HoldReason): void;
  leaveDir(): void;
}

export interface ScanCounts {
  dirs: number;
  files: number;
  /** Files that are new or changed (not deferred). */
  changed: number;
  /** Changed files whose mtime is not newer than the shipped one (see change-rule's mtimeNotNewer). */
  mtimeNotNewer: number;
  deferred: number;
  excluded: number;
  /** Symlinks, special files, non-UTF-8 names, unreadable and vanished entries. */
  skipped: number;
  inflight: number;
  /** Recorded paths no longer in the source. */
  gone: number;
}

/**
 * A recorded path the scan did not find as it was recorded: vanished ('gone',
 * reported at the topmost vanished path only, whether or not an earlier scan
 * saw it go) or now of the other type ('type'). For deletes.
 */
export interface RemovedEntry {
  relPath: string;
  nodeId: number;
  change: 'gone' | 'type';
}

export interface ScanWarning {
  /** Relative path, escaped so it prints on one line whatever bytes it holds. */
  path: string;
  reason: SkipReason;
  message: string;
}

export interface ScanOptions {
  /** The source directory (source.path). */
  root: string;
  /** The trie to compare with; null when there is no state yet (everything is new). */
  trie: TrieStore | null;
  /** Record new nodes, seen fingerprints and vanished paths; needs a writable trie. Default: read only. */
  write?: boolean;
  exclude?: readonly string[];
  minAgeSeconds?: number;
  /** The clock for min-age deferral, in ns since the epoch. */
  nowNs?: bigint;
  fs?: ScanFs;
  /** Writes per transaction. */
  batchSize?: number;
  visitor?: ScanVisitor;
  onWarning?(warning: ScanWarning): void;
  onProgress?(counts: Readonly<ScanCounts>): void;
  /** Entries between onProgress calls. */
  progressEvery?: number;
  /**
   * A read-only scan of a trie with at least this many nodes reads it ahead on a
   * second thread (src/scan/prefetch.ts), given a second core; 0 always does. For tests.
   */
  prefetchMinNodes?: number;
  /** Recorded paths found gone or of another type (see RemovedEntry); read-only scans report them too. */
  onRemoved?(removed: RemovedEntry): void;
  /** An entry that could not be read: its trie rows were not compared, so nothing under it may be deleted. */
  onUnreadable?(relPath: string): void;
  /** After each committed batch; a throw here stands for a crash between batches. */
  onBatchCommitted?(batches: number): void;
}

const NO_ROWS: ReadonlyMap<string, NodeRow> = new Map();
const noop = () => {};

/**
 * Walks the source directory one directory at a time, comparing each entry with
 * its trie row. Holds only the directories on the current path, never the tree,
 * and when nothing changed does one lstat and one Map lookup per entry and one
 * SELECT per directory. Never follows a symlink below the source directory.
 */
export function scan(opts: ScanOptions): ScanCounts {
  const fsx = opts.fs ?? nodeScanFs;
  const trie = opts.trie;
  const write = opts.write === true;
  if (write && trie === null) throw new Error('internal: a write-mode scan needs a trie');
  const visitor: ScanVisitor = opts.visitor ?? { enterDir: noop, file: noop, held: noop, leaveDir: noop };
  const warn = opts.onWarning ?? noop;
  const isExcluded = opts.exclude?.length ? picomatch([...opts.exclude], { dot: true }) : () => false;
  const nowNs = opts.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  const cutoffNs = nowNs - BigInt(opts.minAgeSeconds ?? 0) * 1_000_000_000n;
  const batchSize = opts.batchSize ?? 5000;
  const progressEvery = opts.progressEvery ?? 10_000;
  const counts: ScanCounts = { dirs: 0, files: 0, changed: 0, mtimeNotNewer: 0, deferred: 0, excluded: 0, skipped: 0, inflight: 0, gone: 0 };
  let writes = 0;
  let batches = 0;
  let entries = 0;

  const wrote = () => {
    if (++writes < batchSize) return;
    trie!.commit();
    writes = 0;
    opts.onBatchCommitted?.(++batches);
    trie!.begin();
  };

  const skip = (relPath: string, reason: SkipReason, message: string, display = escapeName(relPath)) => {
    counts.skipped++;
    visitor.held(relPath, reason);
    warn({ path: display, reason, message });
  };

  const skipForError = (relPath: string, err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    if (code === 'ENOENT') skip(relPath, 'vanished', 'vanished during the scan');
    else {
      opts.onUnreadable?.(relPath);
      skip(relPath, 'unreadable', `cannot be read (${code}); not shipped`);
    }
  };

  /**
   * Brings the row's seen_* and gone flag in line with what the scan found; returns
   * the node id. A changed row is rewritten even if seen_* already matches: that
   * costs one write per changed path, which is about to be submitted anyway.
   */
  const record = (parentId: number, name: string, row: NodeRow | undefined, fp: Fingerprint, verdict: Verdict): number => {
    const seen = verdict === 'clean' ? null : fp;
    if (row === undefined) {
      const id = trie!.insertNode(parentId, name, seen);
      wrote();
      return id;
    }
    const id = Number(row.id);
    if (seen !== null || row.seen_kind !== null) {
      trie!.setSeen(id, seen);
      wrote();
    }
    if (row.gone !== 0n) {
      trie!.unGone(id);
      wrote();
    }
    return id;
  };

  /** Names that are valid UTF-8; the others are skipped here, since no Globus request can name them. */
  const validNames = (abs: string, rel: string, names: string[]): string[] => {
    if (!names.some((n) => n.includes('\uFFFD'))) return names;
    let raw: Buffer[];
    try {
      raw = fsx.readdirRaw(abs);
    } catch (err) {
      skipForError(rel, err);
      return [];
    }
    const valid: string[] = [];
    for (const bytes of raw) {
      const name = decodeName(bytes);
      if (name !== null) {
        valid.push(name);
        continue;
      }
      const display = escapeName(Buffer.concat([Buffer.from(rel === '' ? '' : `${rel}/`, 'utf8'), bytes]));
      skip(display, 'non-utf8', 'name is not valid UTF-8, so Globus cannot be asked for it; rename it to ship it', display);
    }
    return valid;
  };

  const walk = (abs: string, rel: string, nodeId: number | null, names: string[], prefetched?: Map<string, NodeRow>): void => {
    const rows = prefetched ?? (nodeId !== null && trie !== null ? trie.children(nodeId) : (NO_ROWS as Map<string, NodeRow>));
    const sorted = validNames(abs, rel, names).sort();
    const base = abs === '/' ? '' : abs;
    for (const name of sorted) {
      const row = rows.get(name);
      if (row !== undefined) rows.delete(name);
      const relPath = rel === '' ? name : `${rel}/${name}`;
      if (opts.onProgress && ++entries % progressEvery === 0) opts.onProgress(counts);
      if (isExcluded(relPath)) {
        counts.excluded++;
        visitor.held(relPath, 'excluded');
        continue;
      }
      if (row !== undefined && row.inflight !== 0n) {
        counts.inflight++;
        visitor.held(relPath, 'inflight');
        continue;
      }
      const childAbs = `${base}/${name}`;
      let st: BigIntStats;
      try {
        st = lstatIn(base, name, childAbs);
      } catch (err) {
        skipForError(relPath, err);
        continue;
      }
      if (st.isFile()) visitFile(nodeId, name, relPath, st, row);
      else if (st.isDirectory()) visitDir(nodeId, name, childAbs, relPath, st, row);
      else if (st.isSymbolicLink()) skip(relPath, 'symlink', 'is a symbolic link; gsync never follows them');
      else skip(relPath, 'special', 'is not a regular file or directory');
    }
    // Rows left over were not in the directory: vanished since the last scan.
    for (const row of rows.values()) {
      opts.onRemoved?.({ relPath: rel === '' ? row.name : `${rel}/${row.name}`, nodeId: Number(row.id), change: 'gone' });
      if (row.gone !== 0n) continue;
      counts.gone++;
      if (write) {
        trie!.markGone(Number(row.id));
        wrote();
      }
    }
  };

  const visitFile = (parentId: number | null, name: string, relPath: string, st: BigIntStats, row: NodeRow | undefined) => {
    const fp = fingerprintOf('f', st);
    const verdict = judge(row, fp);
    if (verdict !== 'clean' && st.mtimeNs > cutoffNs) {
      counts.deferred++;
      visitor.held(relPath, 'deferred');
      return;
    }
    let id = row === undefined ? null : Number(row.id);
    if (row?.shipped_kind === 'd') opts.onRemoved?.({ relPath, nodeId: Number(row.id), change: 'type' });
    if (write) {
      id = record(parentId!, name, row, fp, verdict);
      if (row !== undefined && (row.shipped_kind === 'd' || row.seen_kind === 'd')) {
        trie!.markChildrenGone(id);
        wrote();
      }
    }
    counts.files++;
    if (verdict !== 'clean') counts.changed++;
    if (verdict === 'changed' && mtimeNotNewer(row, fp)) counts.mtimeNotNewer++;
    visitor.file({ relPath, nodeId: id, size: st.size, verdict });
  };

  const visitDir = (parentId: number | null, name: string, abs: string, relPath: string, st: BigIntStats, row: NodeRow | undefined) => {
    const fp = fingerprintOf('d', st);
    const verdict = judge(row, fp);
    // Read ahead (read-only scans only, so the row's id is the directory's id).
    const ahead = row !== undefined ? prefetch?.take(relPath, Number(row.id)) : undefined;
    let names: string[];
    try {
      names = ahead?.names ?? fsx.readdir(abs);
    } catch (err) {
      skipForError(relPath, err);
      return;
    }
    let id = row === undefined ? null : Number(row.id);
    if (row?.shipped_kind === 'f') opts.onRemoved?.({ relPath, nodeId: Number(row.id), change: 'type' });
    if (write) id = record(parentId!, name, row, fp, verdict);
    counts.dirs++;
    visitor.enterDir({ relPath, nodeId: id, shipped: verdict === 'clean' });
    walk(abs, relPath, id, names, ahead?.rows);
    visitor.leaveDir();
  };

  const { st: rootStat, names: rootNames } = openSourceDir(fsx, opts.root);
  const rootPath = opts.root.length > 1 ? opts.root.replace(/\/+$/, '') : opts.root;
  // Only for an absolute source path: the walk's paths are built from it, and a relative
  // one would resolve against the directory the walk has moved into.
  const cwd = (opts.fs === undefined || opts.fs === nodeScanFs) && opts.root.startsWith('/') ? relativeLstat() : null;
  const lstatIn = cwd?.lstatIn ?? ((_dir: string, _name: string, abs: string) => fsx.lstat(abs));
  // Read-only only: a write-mode scan's own uncommitted writes are invisible to a second connection.
  const prefetch = !write && trie !== null && cwd !== null ? triePrefetch(trie, ROOT_NODE_ID, rootPath, opts.prefetchMinNodes) : null;
  if (write) trie!.begin();
  try {
    const rootRow = trie?.node(ROOT_NODE_ID);
    const fp = fingerprintOf('d', rootStat);
    const verdict = judge(rootRow, fp);
    const rootId = trie === null ? null : ROOT_NODE_ID;
    if (write && (verdict !== 'clean' || rootRow!.seen_kind !== null)) {
      trie!.setSeen(ROOT_NODE_ID, verdict === 'clean' ? null : fp);
      wrote();
    }
    visitor.enterDir({ relPath: '', nodeId: rootId, shipped: verdict === 'clean' });
    walk(rootPath, '', rootId, rootNames, rootId === null ? undefined : prefetch?.take('', rootId)?.rows);
    visitor.leaveDir();
    if (write) trie!.commit();
  } catch (err) {
    if (write) trie!.rollbackIfOpen();
    throw err;
  } finally {
    try {
      prefetch?.close();
    } finally {
      cwd?.restore();
    }
  }
  return counts;
}

/**
 * lstat by name from inside the directory, as find does with fstatat: the kernel
 * then resolves one component instead of the whole path, which took a third of
 * an unchanged scan's lstat time (node has no fstatat, so the walk chdirs into
 * each directory, and back out when done). Only on the main thread (workers may
 * not chdir); a directory it cannot enter falls back to absolute paths, so each
 * entry fails just as it would have. null when the cwd cannot be restored.
 */
function relativeLstat(): { lstatIn(dir: string, name: string, abs: string): BigIntStats; restore(): void } | null {
  if (!isMainThread) return null;
  let home: string;
  try {
    home = process.cwd();
  } catch {
    return null; // the cwd was deleted: chdir back would be impossible
  }
  let here: string | null = null;
  let moved = false;
  return {
    lstatIn(dir, name, abs) {
      if (dir !== here) {
        try {
          process.chdir(dir === '' ? '/' : dir);
          here = dir;
          moved = true;
        } catch {
          here = null;
          return fs.lstatSync(abs, { bigint: true });
        }
      }
      return fs.lstatSync(name, { bigint: true });
    },
    restore() {
      if (!moved) return;
      try {
        process.chdir(home);
      } catch {
        // Gone or unreadable since the scan began. Never stay inside the source tree:
        // a later relative path must not resolve among the user's files.
        process.chdir('/');
      }
    },
  };
}

/** The configured source directory itself may be a symlink (followed); anything wrong with it is a config problem. */
function openSourceDir(fsx: ScanFs, root: string): { st: BigIntStats; names: string[] } {
  const problem = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) return err;
    return configError(code === 'ENOENT' ? `source.path ${root}: does not exist` : `source.path ${root}: cannot be read (${code})`);
  };
  let st: BigIntStats;
  try {
    st = fsx.stat(root);
  } catch (err) {
    throw problem(err);
  }
  if (!st.isDirectory()) throw configError(`source.path ${root}: is not a directory`);
  try {
    return { st, names: fsx.readdir(root) };
  } catch (err) {
    throw problem(err);
  }
}
