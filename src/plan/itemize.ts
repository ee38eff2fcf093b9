import type { ChangeReason } from '../scan/change-rule.js';
import type { HoldReason, ScanVisitor } from '../scan/events.js';
import type { TransferItem } from './coalescer.js';
import { mapPath, type PathMapping } from './paths.js';

/**
 * `gsync run -v` / `gsync plan -v` (`--itemize`, issue 31.13): each path with
 * why it ships, or why it waits. rsync's --itemize-changes is the model; the
 * words are gsync's: the scan's change reasons (src/scan/change-rule.ts), then
 * repair (released from a task that did not SUCCEED: ships with checksum),
 * delete (deletes.enabled), held (a task in flight holds it) and deferred
 * (modified within scan.minAgeSeconds).
 */
export type ItemizeReason = ChangeReason | 'repair' | 'delete' | 'held' | 'deferred';

/** One listed path: a transfer item that ships, or a path that waits (source_path only) or is deleted (destination_path only). */
export interface Itemized {
  reason: ItemizeReason;
  source_path?: string;
  destination_path?: string;
  /** Present for a transfer item. */
  item?: TransferItem;
}

export const itemized = (item: TransferItem, repair = false): Itemized => ({
  reason: repair ? 'repair' : (item.reason ?? 'new'),
  source_path: item.source_path,
  destination_path: item.destination_path,
  item,
});

/** The scan's holds that -v lists: in flight and too recent. Excluded and skipped entries are never shipped, so they are not listed. */
const LISTED_HOLDS: Partial<Record<HoldReason, ItemizeReason>> = { inflight: 'held', deferred: 'deferred' };

/** A path the scan held back, as -v lists it; null for holds -v leaves out. */
export function heldPath(relPath: string, hold: HoldReason, mapping: PathMapping): Itemized | null {
  const reason = LISTED_HOLDS[hold];
  return reason === undefined ? null : { reason, source_path: mapPath(relPath, false, mapping).source_path };
}

/** The visitor with its holds also reported to onHeld (only when -v asks: the plain scan keeps its one visitor). */
export function tapHolds(visitor: ScanVisitor, onHeld: (relPath: string, hold: HoldReason) => void): ScanVisitor {
  return {
    enterDir: (d) => visitor.enterDir(d),
    file: (f) => visitor.file(f),
    held: (p, r) => {
      visitor.held(p, r);
      onHeld(p, r);
    },
    leaveDir: () => visitor.leaveDir(),
  };
}
