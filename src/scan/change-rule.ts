import type { Fingerprint, NodeKind } from '../state/fingerprint.js';

import type { ShippedRecord } from '../state/trie.js';

export type { ShippedRecord };

/** new: never shipped; changed: shipped, but not this version; clean: this version was shipped. */
export type Verdict = 'new' | 'changed' | 'clean';

/**
 * Any differing field means changed, never "newer": an mtime moving backwards
 * (cp -p, tar x) or an inode swap (editors that write a new file and rename) is
 * a different file. A directory's own size and times change with its entries,
 * which the walk judges one by one, so a directory compares by kind only.
 */
export function judge(row: ShippedRecord | undefined, now: Fingerprint): Verdict {
  if (row === undefined) return 'new';
  if (row.shipped_kind === null) {
    if (row.last_transfer_ns === null) return 'new';
    // Only a set-time boundary is known for this path.
    return now.kind === 'f' && now.mtimeNs > row.last_transfer_ns ? 'changed' : 'clean';
  }
  if (row.shipped_kind !== now.kind) return 'changed';
  if (now.kind === 'd') return 'clean';
  return row.shipped_size === now.size &&
    row.shipped_mtime_ns === now.mtimeNs &&
    row.shipped_ctime_ns === now.ctimeNs &&
    row.shipped_ino === now.ino
    ? 'clean'
    : 'changed';
}

/**
 * Why a path ships, in the words of `gsync run/plan -v` (issue 31.13; rsync's
 * --itemize-changes is the model): new, or which difference made judge() say
 * 'changed'. 'inode': same size and mtime, but the ctime or the inode differ
 * (replaced by a rename, rewritten in place with its mtime put back, chmod).
 */
export type ChangeReason = 'new' | 'type' | 'mtime-back' | 'size' | 'mtime' | 'inode';

/**
 * For a path judge() found 'changed' only (so the no-change scan never pays
 * for it): one word, the first that holds of type, mtime-back, size, mtime,
 * inode. mtime-back comes before size because it is why such a file ships
 * with sync_level checksum.
 */
export function changeReason(row: ShippedRecord, now: Fingerprint): Exclude<ChangeReason, 'new'> {
  // Only a set-time boundary is known: judge() said changed because the mtime is after it.
  if (row.shipped_kind === null) return 'mtime';
  if (row.shipped_kind !== now.kind) return 'type';
  if (row.shipped_mtime_ns !== null && now.mtimeNs < row.shipped_mtime_ns) return 'mtime-back';
  if (row.shipped_size !== now.size) return 'size';
  if (row.shipped_mtime_ns !== now.mtimeNs) return 'mtime';
  return 'inode';
}

const NS_PER_S = 1_000_000_000n;

/**
 * A changed file whose mtime is not newer, in whole seconds, than the version
 * shipped: Globus's sync_level "mtime" compares mtimes at that precision and
 * would skip it, leaving the old contents at the destination.
 */
export function mtimeNotNewer(row: ShippedRecord | undefined, now: Fingerprint): boolean {
  if (row === undefined || row.shipped_mtime_ns === null) return false;
  return now.mtimeNs / NS_PER_S <= row.shipped_mtime_ns / NS_PER_S;
}
