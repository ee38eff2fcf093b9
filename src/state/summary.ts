import type { State } from './open.js';

export interface StateSummary {
  /** Paths present in the source and recorded as shipped (files and directories). */
  tracked: number;
  trackedFiles: number;
  /** Paths the last write-mode scan found changed and not yet shipped. */
  dirty: number;
  /** Paths that vanished from the source (still at the destination). */
  gone: number;
  /** Paths covered by a submission still in flight. */
  inflight: number;
}

export function stateSummary(state: State): StateSummary {
  const row = state.db
    .prepare(
      `SELECT
         count(*) FILTER (WHERE gone = 0 AND (shipped_kind IS NOT NULL OR last_transfer_ns IS NOT NULL)) AS tracked,
         count(*) FILTER (WHERE gone = 0 AND shipped_kind = 'f') AS trackedFiles,
         count(*) FILTER (WHERE gone = 0 AND seen_kind IS NOT NULL) AS dirty,
         count(*) FILTER (WHERE gone = 1) AS gone,
         (SELECT count(*) FROM pending) AS inflight
       FROM node WHERE parent IS NOT NULL`,
    )
    .get() as StateSummary;
  return row;
}
