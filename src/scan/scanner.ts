import type { BigIntStats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configError } from '../errors/errors.js';
import { fingerprintOf } from '../state/fingerprint.js';
import { ROOT_NODE_ID } from '../state/open.js';
import type { TrieStore } from '../state/trie.js';
import { judge, type Verdict } from './change-rule.js';
import { compareDir, excluder, subdirTasks, type CompareEnv, type DirTask, type ListedSettling, type Listing } from './compare.js';
import { ScanPool } from './pool.js';
import { Recorder } from './recorder.js';
import { relativeLstat } from './relative-lstat.js';
import { listedTree } from './listed.js';
import { nodeScanFs, type ScanFs } from './scan-fs.js';
import type { RemovedEntry, ScanCounts, ScanVisitor, ScanWarning } from './events.js';

export interface ScanStats {
  /** Worker threads started, besides the scan's own (0: the walk ran on the scan's thread alone). */
  workers: number;
  /** Directories the workers compared, and those compared on the scan's own thread. */
  dirsFromWorkers: number;
  dirsHere: number;
  /** The most entries the workers had compared ahead of the recording at any time. */
  peakAhead: number;
  /** Write statements the scan ran on the trie (a scan that found nothing new runs none). */
  rowsWritten: number;
  /** Directories still set aside at the end for a reply a worker owes; never more than the work out at workers. */
  lateReplies: number;
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
  /** A source listed through Globus (issue 29): settle by listings, not by mtime (src/state/listing-seen.ts). Comes with its `fs`. */
  settling?: ListedSettling;
  /** Writes per transaction. */
  batchSize?: number;
  visitor?: ScanVisitor;
  onWarning?(warning: ScanWarning): void;
  onProgress?(counts: Readonly<ScanCounts>): void;
  /** Entries between onProgress calls. */
  progressEvery?: number;
  /**
   * Threads that compare directories, this one included (src/scan/pool.ts): N starts
   * N - 1 workers; 1 (the default) walks on this thread alone. The commands pass
   * scan.threads, by default one per core. An injected fs or a relative source path
   * always walks on this thread.
   */
  threads?: number;
  /** For tests: false keeps this thread from comparing directories a worker could (see PoolOptions.compareAhead). */
  compareAhead?: boolean;
  /** For tests: a stand-in for the worker thread's file (src/scan/scan-worker.ts). */
  workerFile?: string;
  /** Once the scan is done: who did the work, and what it wrote. */
  onStats?(stats: ScanStats): void;
  /** Recorded paths found gone or of another type (see RemovedEntry); read-only scans report them too. */
  onRemoved?(removed: RemovedEntry): void;
  /** An entry that could not be read: its trie rows were not compared, so nothing under it may be deleted. */
  onUnreadable?(relPath: string): void;
  /** After each committed batch; a throw here stands for a crash between batches. */
  onBatchCommitted?(batches: number): void;
  /**
   * Look only at these source-relative paths (a change list, see src/changes/):
   * a listed file is compared as in a walk, a listed directory is walked, a listed
   * path that does not exist is recorded gone; the directories on the way are
   * entered but not read, and nothing else is looked at or marked. Absent: walk everything.
   */
  only?: readonly string[];
}

const noop = () => {};

/** The default for scan.threads: one per core. */
export function defaultScanThreads(): number {
  return os.availableParallelism();
}

/**
 * Walks the source directory and compares each entry with its trie row, one
 * directory at a time: src/scan/compare.ts compares a directory (on this thread
 * or a worker's), src/scan/recorder.ts records the results in walk order (depth
 * first, names sorted), which is the only place that writes. Holds only the
 * directories on the current path plus a bounded read-ahead, never the tree.
 * Never follows a symlink below the source directory.
 */
export function scan(opts: ScanOptions): ScanCounts {
  const fsx = opts.fs ?? nodeScanFs;
  const trie = opts.trie;
  const write = opts.write === true;
  if (write && trie === null) throw new Error('internal: a write-mode scan needs a trie');
  const nowNs = opts.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  const cutoffNs = nowNs - BigInt(opts.minAgeSeconds ?? 0) * 1_000_000_000n;
  const counts: ScanCounts = { dirs: 0, files: 0, changed: 0, mtimeNotNewer: 0, deferred: 0, excluded: 0, skipped: 0, inflight: 0, gone: 0 };

  const listed = opts.only === undefined ? undefined : (listedTree(opts.only) ?? undefined);
  const { st: rootStat, names: rootNames } = openSourceDir(fsx, opts.root, listed === undefined);
  const rootPath = opts.root.length > 1 ? opts.root.replace(/\/+$/, '') : opts.root;
  const realFs = opts.fs === undefined || opts.fs === nodeScanFs;
  // Only for an absolute source path: the walk's paths are built from it, and a relative
  // one would resolve against the directory the walk has moved into.
  const absolute = realFs && path.isAbsolute(opts.root);
  // Before the walk moves: the workers open the database by this path.
  const dbFile = trie?.file == null ? null : path.resolve(trie.file);
  const threads = absolute && (trie === null || dbFile !== null) ? Math.max(1, opts.threads ?? 1) : 1;
  const cwd = absolute ? relativeLstat() : null;
  const env: CompareEnv = {
    readdir: fsx.readdir,
    readdirRaw: fsx.readdirRaw,
    lstatIn: cwd?.lstatIn ?? ((_dir, _name, abs) => fsx.lstat(abs)),
    rows: (id) => trie!.children(id),
    row: (id, name) => trie!.child(id, name),
    isExcluded: excluder(opts.exclude),
    cutoffNs,
    settling: opts.settling,
  };
  let pool: ScanPool | null = null;
  let dirsHere = 0;
  const here = (task: DirTask): Listing => {
    dirsHere++;
    return compareDir(task, env);
  };
  const recorder = new Recorder({
    trie,
    write,
    visitor: opts.visitor ?? { enterDir: noop, file: noop, held: noop, leaveDir: noop },
    warn: opts.onWarning ?? noop,
    counts,
    batchSize: opts.batchSize ?? 5000,
    onBatchCommitted: opts.onBatchCommitted,
    onRemoved: opts.onRemoved,
    onUnreadable: opts.onUnreadable,
    onProgress: opts.onProgress,
    progressEvery: opts.progressEvery ?? 10_000,
    listing: (task) => (pool === null ? here(task) : pool.listing(task)),
    settling: opts.settling,
  });
  try {
    const rootRow = trie?.node(ROOT_NODE_ID);
    const fp = fingerprintOf('d', rootStat);
    const verdict: Verdict = judge(rootRow, fp);
    const rootId = trie === null ? null : ROOT_NODE_ID;
    const rootListing = here({ abs: rootPath, rel: '', id: rootId, names: rootNames, only: listed });
    // A change list looks at few paths: this thread alone, no pool.
    if (listed === undefined && threads > 1 && subdirTasks(rootListing, rootPath).length > 0) {
      // Started only when there is a subdirectory to hand out: an empty tree costs no threads.
      pool = ScanPool.start({
        threads: threads - 1,
        dbFile,
        exclude: opts.exclude ?? [],
        cutoffNs,
        workerFile: opts.workerFile,
        local: here,
        compareAhead: opts.compareAhead,
      });
      pool?.discovered(rootListing, rootPath);
    }
    const rootInflight = rootRow !== undefined && rootRow.inflight !== 0n;
    recorder.root(rootId, fp, verdict, rootRow?.seen_kind != null, rootInflight, rootListing, rootPath, listed);
    recorder.finish();
  } catch (err) {
    if (write) trie!.rollbackIfOpen();
    throw err;
  } finally {
    try {
      pool?.close();
    } finally {
      cwd?.restore();
    }
  }
  opts.onStats?.({
    workers: pool === null ? 0 : threads - 1,
    dirsFromWorkers: pool?.dirsFromWorkers ?? 0,
    dirsHere,
    peakAhead: pool?.peakWaiting ?? 0,
    rowsWritten: recorder.written,
    lateReplies: pool?.lateReplies ?? 0,
  });
  return counts;
}

/** The configured source directory itself may be a symlink (followed); anything wrong with it is a config problem. */
function openSourceDir(fsx: ScanFs, root: string, read: boolean): { st: BigIntStats; names: string[] } {
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
  if (!read) return { st, names: [] };
  try {
    return { st, names: fsx.readdir(root) };
  } catch (err) {
    throw problem(err);
  }
}
