import type { Logger } from '../log/logger.js';
import type { HoldReason, ScanCounts, ScanWarning } from '../scan/events.js';
import { scan, type ScanOptions } from '../scan/scanner.js';
import { hasEntries } from '../changes/has-entries.js';
import { Coalescer, type TransferItem } from './coalescer.js';
import { tapHolds } from './itemize.js';
import type { PathMapping } from './paths.js';

export interface PlanTotals {
  items: number;
  /** Files the items cover, and their bytes. */
  files: number;
  bytes: bigint;
  deferred: number;
  /** Changed files whose mtime is not newer than the shipped one: sync_level mtime would skip them. */
  mtimeNotNewer: number;
  excluded: number;
  skipped: number;
  /**
   * Of those, entries that can never ship as they are: unreadable, or named in bytes that
   * are not UTF-8 (no Globus request can name them). Owed until a person fixes them.
   */
  unshippable: number;
  inflight: number;
  gone: number;
  /** What the scan looked at. */
  scanned: { files: number; dirs: number };
  /**
   * A change-list scan (`only`) sees too little to tell an empty source from a quiet
   * one, so it reads whether source.path holds any entry at all (the deletes'
   * empty-source guard); absent for a full walk, whose counts already say.
   */
  sourceHasEntries?: boolean;
}

export interface PlanOptions extends Omit<ScanOptions, 'visitor'> {
  mapping: PathMapping;
  /** Called for each item as soon as it is known. */
  onItem(item: TransferItem): void;
  /** Each entry the scan held back, and why (`-v` lists the in-flight and deferred ones, src/plan/itemize.ts). */
  onHeld?(relPath: string, hold: HoldReason): void;
}

/** Skips a person must fix; symlinks and special files are left out by design, and a vanished entry is gone (rsync's 24). */
const UNSHIPPABLE: ReadonlySet<ScanWarning['reason']> = new Set(['unreadable', 'non-utf8']);

/** Scan and coalesce in one pass: items stream out through onItem, totals come back. */
export function planScan(opts: PlanOptions): PlanTotals {
  let items = 0;
  let files = 0;
  let bytes = 0n;
  const coalescer = new Coalescer(opts.mapping, (item) => {
    items++;
    files += item.files;
    bytes += item.bytes;
    opts.onItem(item);
  });
  let unshippable = 0;
  const onWarning = (w: ScanWarning) => {
    if (UNSHIPPABLE.has(w.reason)) unshippable++;
    opts.onWarning?.(w);
  };
  const visitor = opts.onHeld ? tapHolds(coalescer, opts.onHeld) : coalescer;
  const counts: ScanCounts = scan({ ...opts, visitor, onWarning });
  return {
    items,
    files,
    bytes,
    deferred: counts.deferred,
    mtimeNotNewer: counts.mtimeNotNewer,
    excluded: counts.excluded,
    skipped: counts.skipped,
    unshippable,
    inflight: counts.inflight,
    gone: counts.gone,
    scanned: { files: counts.files, dirs: counts.dirs },
    ...(opts.only === undefined ? {} : { sourceHasEntries: hasEntries(opts.root) }),
  };
}

/** How plan and run report a skipped entry: a symlink is expected (never followed), anything else deserves a warning. */
export function logSkipped(logger: Logger): (w: ScanWarning) => void {
  return (w) => (w.reason === 'symlink' ? logger.info : logger.warn).call(logger, { path: w.path, reason: w.reason }, `skipped: ${w.message}`);
}
