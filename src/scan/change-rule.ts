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
