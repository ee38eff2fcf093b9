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
