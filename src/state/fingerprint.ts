import type { BigIntStats } from 'node:fs';

export type NodeKind = 'f' | 'd';

/** What identifies one version of a path: any field differing means it changed. */
export interface Fingerprint {
  kind: NodeKind;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Stored as signed 64-bit: SQLite has no unsigned integers and some filesystems hand out inodes above 2^63. */
  ino: bigint;
}

export function fingerprintOf(kind: NodeKind, st: BigIntStats): Fingerprint {
  return { kind, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: BigInt.asIntN(64, st.ino) };
}
