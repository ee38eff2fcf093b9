import type { VerifyCounts } from '../state/verify-runs.js';

/** What `gsync verify` reports, one per drifted, extra or unverifiable path. */
export type FindingKind = 'missing' | 'differs' | 'extra' | 'unverified';

export interface Finding {
  kind: FindingKind;
  /** Relative to the source directory and destination.path; a directory ends in "/". */
  path: string;
  /** For differs: what is there and what was expected, e.g. "size 0, expected 7". */
  detail?: string;
  /** The trie node, for drift (missing, differs): what --repair marks. */
  nodeId?: number;
  /** Files recorded shipped under a missing directory (1 for a file). */
  files?: number;
  /** differs: the destination holds something of this path, so mtime could skip it; repair goes by checksum. */
  exists?: boolean;
}

export type { VerifyCounts };

export const emptyCounts = (): VerifyCounts => ({ files: 0, dirs: 0, listings: 0, missing: 0, differs: 0, extra: 0, unverified: 0 });

/** True when the destination drifted from what the trie records shipped, or part of it could not be looked at. */
export const needsAttention = (c: VerifyCounts): boolean => c.missing + c.differs + c.unverified > 0;
