import type { Fingerprint, NodeKind } from '../state/fingerprint.js';
import type { TrieStore } from '../state/trie.js';
import { entryAt, E, TAG, type DirTask, type Entry, type ListedSettling, type Listing } from './compare.js';
import { escapeName } from './names.js';
import type { Listed } from './listed.js';
import type { RemovedEntry, ScanCounts, ScanVisitor, ScanWarning, SkipReason } from './events.js';

/**
 * The recording of what the scan saw: turns each directory's Listing, in walk
 * order, into the trie's writes, the counts, warnings and visitor events. It is
 * the only part of a scan that writes, and it runs on the scan's own thread
 * whatever thread compared the directory, so the plan and the recorded state do
 * not depend on how many threads walked.
 */
export interface RecorderOptions {
  trie: TrieStore | null;
  write: boolean;
  visitor: ScanVisitor;
  warn(w: ScanWarning): void;
  counts: ScanCounts;
  batchSize: number;
  onBatchCommitted?(batches: number): void;
  onRemoved?(removed: RemovedEntry): void;
  onUnreadable?(relPath: string): void;
  onProgress?(counts: Readonly<ScanCounts>): void;
  progressEvery: number;
  /** The listing of a subdirectory, asked for in walk order. */
  listing(task: DirTask): Listing;
  /** A source listed through Globus: its sightings are recorded with the scan's writes. */
  settling?: ListedSettling;
}

export class Recorder {
  /** Write statements run: a scan that found nothing new runs none. */
  written = 0;
  private inBatch = 0;
  private batches = 0;
  private entries = 0;
  private open = false;

  constructor(private readonly o: RecorderOptions) {}

  /** The source directory: its own fingerprint, then everything in it. */
  root(
    rootId: number | null,
    fp: Fingerprint,
    verdict: 'new' | 'changed' | 'clean',
    rowSeen: boolean,
    inflight: boolean,
    listing: Listing,
    abs: string,
    only?: Listed,
  ): void {
    if (this.o.write && (verdict !== 'clean' || rowSeen)) {
      this.w(() => this.o.trie!.setSeen(rootId!, verdict === 'clean' ? null : fp));
    }
    this.o.visitor.enterDir({ relPath: '', nodeId: rootId, shipped: verdict === 'clean', partial: only !== undefined, inflight });
    this.dir(listing, abs, rootId, only);
    this.o.visitor.leaveDir();
  }

  /** Commits what is left; the transaction was opened by the first write, if any. */
  finish(): void {
    if (this.open) this.o.trie!.commit();
    this.open = false;
  }

  /** only: a change-list scan passing through, where l holds just the listed names. */
  private dir(l: Listing, abs: string, nodeId: number | null, only?: Listed): void {
    const { counts, visitor, write } = this.o;
    if (l.rawError !== null) this.skipForCode(l.rel, l.rawError);
    for (const display of l.nonUtf8) {
      this.skip(display, 'non-utf8', 'name is not valid UTF-8, so Globus cannot be asked for it; rename it to ship it', display);
    }
    const names = l.count === 0 ? [] : l.names.split('/');
    const base = abs === '/' ? '' : abs;
    let code = 0;
    for (let i = 0; i < l.count; i++) {
      const name = names[i]!;
      const relPath = l.rel === '' ? name : `${l.rel}/${name}`;
      if (this.o.onProgress && ++this.entries % this.o.progressEvery === 0) this.o.onProgress(counts);
      const tag = Number(l.nums[i * E]) & 15;
      switch (tag) {
        case TAG.excluded:
          counts.excluded++;
          visitor.held(relPath, 'excluded');
          break;
        case TAG.inflight:
          counts.inflight++;
          visitor.held(relPath, 'inflight');
          break;
        case TAG.vanished:
          if (only !== undefined) this.listedGone(relPath, entryAt(l, i));
          else this.skipForCode(relPath, 'ENOENT');
          break;
        case TAG.unreadable:
          this.skipForCode(relPath, l.codes[code++]!);
          break;
        case TAG.symlink:
          this.skip(relPath, 'symlink', 'is a symbolic link; gsync never follows them');
          break;
        case TAG.special:
          this.skip(relPath, 'special', 'is not a regular file or directory');
          break;
        case TAG.file:
          this.file(nodeId, name, relPath, entryAt(l, i));
          break;
        default:
          this.subdir(nodeId, name, `${base}/${name}`, relPath, entryAt(l, i), only?.get(name) ?? undefined);
      }
    }
    // Rows left over were not in the directory: vanished since the last scan.
    for (const [id, name, wasGone] of l.left) {
      this.o.onRemoved?.({ relPath: l.rel === '' ? name : `${l.rel}/${name}`, nodeId: id, change: 'gone' });
      if (wasGone) continue;
      counts.gone++;
      if (write) this.w(() => this.o.trie!.markGone(id));
    }
  }

  private file(parentId: number | null, name: string, relPath: string, e: Entry): void {
    const { counts } = this.o;
    const settling = this.o.write ? this.o.settling : undefined;
    if (e.deferred) {
      if (settling) this.w(() => settling.held(relPath, e.size, e.mtimeNs));
      counts.deferred++;
      this.o.visitor.held(relPath, 'deferred');
      return;
    }
    let id = e.rowId;
    if (e.shippedDir) this.o.onRemoved?.({ relPath, nodeId: e.rowId!, change: 'type' });
    if (this.o.write) {
      id = this.record(parentId!, name, e, 'f');
      if (e.rowWasDir) this.w(() => this.o.trie!.markChildrenGone(id!));
    }
    counts.files++;
    if (e.verdict !== 'clean' && settling) this.w(() => settling.shipping(relPath));
    if (e.verdict !== 'clean') counts.changed++;
    if (e.mtimeNotNewer) counts.mtimeNotNewer++;
    this.o.visitor.file({ relPath, nodeId: id, size: e.size, verdict: e.verdict, reason: e.reason ?? undefined });
  }

  /**
   * A listed path that does not exist: it and its subtree are gone (the leftover-row
   * rule, for one name). Below a vanished directory, that directory is the vanished path.
   */
  private listedGone(relPath: string, e: Entry): void {
    if (e.rowId === null) return;
    this.o.onRemoved?.({ relPath, nodeId: e.rowId, change: 'gone' });
    if (e.rowGone) return;
    this.o.counts.gone++;
    if (this.o.write) this.w(() => this.o.trie!.markGone(e.rowId!));
  }

  private subdir(parentId: number | null, name: string, abs: string, relPath: string, e: Entry, only?: Listed): void {
    const l = this.o.listing({ abs, rel: relPath, id: e.rowId, only });
    if (l.readError !== null) {
      this.skipForCode(relPath, l.readError);
      return;
    }
    let id = e.rowId;
    if (e.shippedFile) this.o.onRemoved?.({ relPath, nodeId: e.rowId!, change: 'type' });
    if (this.o.write) id = this.record(parentId!, name, e, 'd');
    this.o.counts.dirs++;
    this.o.visitor.enterDir({ relPath, nodeId: id, shipped: e.verdict === 'clean', partial: only !== undefined, reason: e.reason ?? undefined });
    this.dir(l, abs, id, only);
    this.o.visitor.leaveDir();
  }

  /**
   * Brings the row's seen_* and gone flag in line with what the scan found; returns
   * the node id. A changed row is rewritten even if seen_* already matches: that
   * costs one write per changed path, which is about to be submitted anyway. A
   * clean row that was never marked seen and is not gone costs no write at all.
   */
  private record(parentId: number, name: string, e: Entry, kind: NodeKind): number {
    const trie = this.o.trie!;
    const seen: Fingerprint | null = e.verdict === 'clean' ? null : { kind, size: e.size, mtimeNs: e.mtimeNs, ctimeNs: e.ctimeNs, ino: e.ino };
    const id = e.rowId;
    if (id === null) return this.w(() => trie.insertNode(parentId, name, seen));
    if (seen !== null || e.rowSeen) this.w(() => trie.setSeen(id, seen));
    if (e.rowGone) this.w(() => trie.unGone(id));
    return id;
  }

  /**
   * One write statement, in the open transaction (begun by the first write, so a scan
   * that finds nothing to record does not even open one); commits a full batch.
   */
  private w<T>(statement: () => T): T {
    if (!this.open) {
      this.o.trie!.begin();
      this.open = true;
    }
    const result = statement();
    this.written++;
    if (++this.inBatch < this.o.batchSize) return result;
    this.o.trie!.commit();
    this.open = false;
    this.inBatch = 0;
    this.o.onBatchCommitted?.(++this.batches);
    return result;
  }

  private skip(relPath: string, reason: SkipReason, message: string, display = escapeName(relPath)): void {
    this.o.counts.skipped++;
    this.o.visitor.held(relPath, reason);
    this.o.warn({ path: display, reason, message });
  }

  private skipForCode(relPath: string, code: string): void {
    if (code === 'ENOENT') this.skip(relPath, 'vanished', 'vanished during the scan');
    else {
      this.o.onUnreadable?.(relPath);
      this.skip(relPath, 'unreadable', `cannot be read (${code}); not shipped`);
    }
  }
}
