/**
 * The guards that keep a delete task from doing more harm than the user
 * allowed, checked before anything is submitted. Pure: every input is an argument.
 */
export interface GuardInput {
  /** Shipped paths the planned deletes would remove (a directory counts with everything under it). */
  deletes: number;
  /**
   * Paths recorded as shipped before this run, also those gone from the source since: what
   * the destination holds by gsync's account. Printed as "shipped paths", not "tracked",
   * which status uses for the shipped paths still in the source (issue 31.7).
   */
  tracked: number;
  /** The scan found no entry at all under the source directory. */
  sourceEmpty: boolean;
  /** deletes.maxPercent: a run deletes at most this share of the shipped paths. */
  maxPercent: number;
  /** deletes.maxCount: an absolute cap, when set. */
  maxCount?: number;
  /** `gsync run --allow-deletes N`: a person checked, and up to N deletes may pass the guards this once. */
  allow?: number;
}

export type GuardName = 'empty-source' | 'maxPercent' | 'maxCount';

export type GuardVerdict =
  | { pass: true; overridden: GuardName | null }
  | { pass: false; guard: GuardName; limit: number; message: string };

/** The first guard a plan trips, or a pass (possibly only thanks to --allow-deletes). */
export function checkGuards(g: GuardInput): GuardVerdict {
  const tripped = firstTripped(g);
  if (tripped === null) return { pass: true, overridden: null };
  if (g.allow !== undefined && g.deletes <= g.allow) return { pass: true, overridden: tripped.guard };
  const allowed = g.allow === undefined ? '' : `, --allow-deletes ${g.allow}`;
  const why =
    tripped.guard === 'empty-source'
      ? `the source directory is empty (emptied or not mounted?) while ${g.tracked} shipped paths are recorded`
      : tripped.guard === 'maxPercent'
        ? `${g.deletes} of ${g.tracked} shipped paths is more than deletes.maxPercent ${g.maxPercent}% (${tripped.limit})`
        : `${g.deletes} is more than deletes.maxCount ${tripped.limit}`;
  return {
    pass: false,
    guard: tripped.guard,
    limit: tripped.limit,
    message: `deletes stopped by the ${tripped.guard} guard: ${why}${allowed}; nothing was deleted. If these deletes are wanted, run gsync run --allow-deletes ${g.deletes}`,
  };
}

function firstTripped(g: GuardInput): { guard: GuardName; limit: number } | null {
  if (g.deletes === 0) return null;
  if (g.sourceEmpty && g.tracked > 0) return { guard: 'empty-source', limit: 0 };
  const byPercent = Math.floor((g.tracked * g.maxPercent) / 100);
  if (g.deletes > byPercent) return { guard: 'maxPercent', limit: byPercent };
  if (g.maxCount !== undefined && g.deletes > g.maxCount) return { guard: 'maxCount', limit: g.maxCount };
  return null;
}
