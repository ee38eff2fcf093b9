import type { Config } from '../config/schema.js';
import type { TransferItem } from '../plan/coalescer.js';
import { repairJudge } from '../state/repair.js';
import type { State } from '../state/open.js';

type SyncLevel = Config['transfer']['syncLevel'];

/** One transfer document's worth of planned items. */
export interface Batch {
  items: TransferItem[];
  files: number;
  bytes: bigint;
  syncLevel: SyncLevel;
  /** True for the items released from a task that did not SUCCEED. */
  repair: boolean;
}

/**
 * Splits a plan into at most two transfers. Paths released from a task that
 * did not SUCCEED may hold a truncated copy at the destination, dated when it
 * was written: sync_level mtime would see it as newer and skip it for ever, so
 * they go in their own task with sync_level checksum (only they pay for it).
 * Everything else keeps `syncLevel`. When `syncLevel` is checksum already (or
 * the configured level is below mtime, where checksum is still the only
 * repair), there is nothing to split unless repair items exist. The repair
 * batch comes first: it is the one Globus must not be kept from.
 */
export function splitBatches(state: State, items: readonly TransferItem[], syncLevel: SyncLevel): Batch[] {
  const judge = syncLevel === 'checksum' ? null : repairJudge(state);
  const repair: TransferItem[] = [];
  const rest: TransferItem[] = [];
  for (const item of items) (judge?.(item) ? repair : rest).push(item);
  return [batch(repair, 'checksum', true), batch(rest, syncLevel, false)].filter((b) => b.items.length > 0);
}

function batch(items: TransferItem[], syncLevel: SyncLevel, repair: boolean): Batch {
  let files = 0;
  let bytes = 0n;
  for (const i of items) {
    files += i.files;
    bytes += i.bytes;
  }
  return { items, files, bytes, syncLevel, repair };
}
