import type { Config } from '../config/schema.js';
import type { PlanTotals } from '../plan/plan-scan.js';
import { mapPath, ownedPath } from '../plan/paths.js';
import type { RemovedEntry } from '../scan/events.js';
import { excluder } from '../scan/compare.js';
import { removalFacts, trackedPaths } from '../state/delete-candidates.js';
import { goneTops } from '../state/gone-paths.js';
import { heldByOpenDeletes, type DeleteTarget } from '../ledger/delete-rows.js';
import type { State } from '../state/open.js';
import { checkGuards, type GuardVerdict } from './guard.js';

/** What the scan reports for deletes; hand `onRemoved` and `onUnreadable` to planScan. */
export interface RemovalCollector {
  readonly removed: RemovedEntry[];
  readonly unreadable: string[];
  onRemoved(e: RemovedEntry): void;
  onUnreadable(relPath: string): void;
}

/** Kept until the deletes are planned, so each path is the collector's own copy, not a slice of a scan listing (see ownedPath). */
export function collectRemovals(): RemovalCollector {
  const removed: RemovedEntry[] = [];
  const unreadable: string[] = [];
  return {
    removed,
    unreadable,
    onRemoved: (e) => removed.push({ ...e, relPath: ownedPath(e.relPath) }),
    onUnreadable: (p) => unreadable.push(ownedPath(p)),
  };
}

export interface PlannedDelete extends DeleteTarget {
  change: RemovedEntry['change'];
  /** The delete_item path on the destination collection (directories end in '/'). */
  path: string;
}

export interface DeletePlan {
  targets: PlannedDelete[];
  /** Shipped paths the targets remove. */
  paths: number;
  tracked: number;
  /** Removals left for a later run: a transfer in flight covers them, or the document is full. */
  waiting: number;
  /** Removals under a part of the tree the scan could not read: never deleted (rsync's rule after I/O errors). */
  protectedByErrors: number;
  verdict: GuardVerdict;
  /** Paths no transfer of this run may write at or under: this plan's targets and open delete tasks. */
  held: string[];
}

export interface PlanDeletesInput {
  state: State;
  config: Config;
  removals: RemovalCollector;
  totals: PlanTotals;
  allow?: number;
}

/**
 * From what the scan found removed to the delete items of one task, and whether
 * the guards let them through. Reads the trie only; nothing is recorded here.
 */
export function planDeletes({ state, config, removals, totals, allow }: PlanDeletesInput): DeletePlan {
  const openHeld = heldByOpenDeletes(state);
  const unreadable = new Set(removals.unreadable);
  const beingDeleted = new Set(openHeld);
  const targets: PlannedDelete[] = [];
  let waiting = 0;
  let protectedByErrors = 0;
  const mapping = { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path };
  for (const r of withEarlierGone(state, config, removals.removed)) {
    if (atOrUnder(r.relPath, unreadable)) {
      protectedByErrors++;
      continue;
    }
    if (atOrUnder(r.relPath, beingDeleted)) continue;
    const facts = removalFacts(state, r.nodeId);
    if (facts.shippedKind === null || facts.beingDeleted) continue;
    if (facts.inFlight || targets.length >= config.transfer.maxItems) {
      waiting++;
      continue;
    }
    const isDir = facts.shippedKind === 'd';
    targets.push({
      nodeId: r.nodeId,
      relPath: r.relPath,
      shippedKind: facts.shippedKind,
      paths: facts.shippedPaths,
      change: r.change,
      path: mapPath(r.relPath, isDir, mapping).destination_path,
    });
  }
  const paths = targets.reduce((n, t) => n + t.paths, 0);
  const tracked = trackedPaths(state);
  const sourceEmpty = totals.sourceHasEntries !== undefined ? !totals.sourceHasEntries : totals.scanned.files + totals.scanned.dirs + totals.excluded + totals.skipped + totals.deferred + totals.inflight === 0;
  const verdict = checkGuards({ deletes: paths, tracked, sourceEmpty, maxPercent: config.deletes.maxPercent, maxCount: config.deletes.maxCount, allow });
  return { targets, paths, tracked, waiting, protectedByErrors, verdict, held: [...openHeld, ...targets.map((t) => t.relPath)] };
}

/**
 * The scan's removals, then every path the trie already records as gone that
 * the scan did not report (issue 26): deletes owe what went missing while they
 * were off, or outside a --changes list, too. None at or under a path already
 * listed (a directory is one item), and none excluded (excluded paths are never
 * deleted); the guards count them all, and the submit-time check on disk drops
 * any that came back.
 */
function withEarlierGone(state: State, config: Config, removed: readonly RemovedEntry[]): readonly RemovedEntry[] {
  const listed = new Set(removed.map((r) => r.relPath));
  const excluded = excluder(config.scan.exclude);
  const earlier = goneTops(state)
    .filter((g) => !atOrUnder(g.relPath, listed) && !excluded(g.relPath))
    .map((g): RemovedEntry => ({ nodeId: g.nodeId, relPath: g.relPath, change: 'gone' }));
  return earlier.length === 0 ? removed : [...removed, ...earlier];
}

/** Whether a relative path is one of `roots` or lies under one. */
export function atOrUnder(relPath: string, roots: ReadonlySet<string>): boolean {
  if (roots.size === 0) return false;
  if (roots.has(relPath)) return true;
  for (let i = relPath.indexOf('/'); i >= 0; i = relPath.indexOf('/', i + 1)) {
    if (roots.has(relPath.slice(0, i))) return true;
  }
  return false;
}
