import type { ChangeReason, Verdict } from './change-rule.js';

/*
 * What a scan reports to whoever walks with it (the planner, deletes, the progress
 * line): its events, counts and warnings. Kept apart from the scanner itself so
 * that a reader of events does not depend on how the walk is done.
 */

/** Entries the scan saw but will not let ship: each also keeps its directory from being sent as one recursive item. */
export type SkipReason = 'symlink' | 'special' | 'non-utf8' | 'unreadable' | 'vanished';
export type HoldReason = 'excluded' | 'deferred' | 'inflight' | SkipReason;

export interface DirEvent {
  relPath: string;
  nodeId: number | null;
  /** This directory itself was shipped before (as a directory). */
  shipped: boolean;
  /** Only some of its entries are visited (a change-list scan passing through): never one recursive item. */
  partial?: boolean;
  /**
   * Covered by a submission still in flight: never sent again as one recursive item
   * (its entries in flight are held; new ones ship one by one). Only the source
   * directory is entered in this state: any other directory in flight is held whole.
   */
  inflight?: boolean;
  /** Why it is new or changed (a directory changes only by type); absent when it was shipped as it is. */
  reason?: ChangeReason;
}

export interface FileEvent {
  relPath: string;
  nodeId: number | null;
  size: bigint;
  verdict: Verdict;
  /** Why it ships (`-v`, issue 31.13); absent when clean. */
  reason?: ChangeReason;
}

/**
 * What the walk reports, in depth-first order with sorted names: enterDir and
 * leaveDir bracket a directory's entries, the source directory included ('').
 * Clean files are reported too: they decide whether a directory is fresh.
 */
export interface ScanVisitor {
  enterDir(dir: DirEvent): void;
  file(file: FileEvent): void;
  held(relPath: string, reason: HoldReason): void;
  leaveDir(): void;
}

export interface ScanCounts {
  dirs: number;
  files: number;
  /** Files that are new or changed (not deferred). */
  changed: number;
  /** Changed files whose mtime is not newer than the shipped one (see change-rule's mtimeNotNewer). */
  mtimeNotNewer: number;
  deferred: number;
  excluded: number;
  /** Symlinks, special files, non-UTF-8 names, unreadable and vanished entries. */
  skipped: number;
  inflight: number;
  /** Recorded paths no longer in the source. */
  gone: number;
}

/**
 * A recorded path the scan did not find as it was recorded: vanished ('gone',
 * reported at the topmost vanished path only, whether or not an earlier scan
 * saw it go) or now of the other type ('type'). For deletes.
 */
export interface RemovedEntry {
  relPath: string;
  nodeId: number;
  change: 'gone' | 'type';
}

export interface ScanWarning {
  /** Relative path, escaped so it prints on one line whatever bytes it holds. */
  path: string;
  reason: SkipReason;
  message: string;
}
