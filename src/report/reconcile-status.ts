import { lastSucceededReconcile, openReconciles } from '../ledger/reconcile-rows.js';
import type { State } from '../state/open.js';

/** What `gsync status` shows of reconcile runs (issue 27). */
export interface ReconcileView {
  /** When the last reconcile task that SUCCEEDED was submitted, and what it restored; null when none has. */
  lastSucceeded: { submitted: string; restored: number } | null;
  /** Reconcile tasks not yet settled, as recorded. */
  open: Array<{ taskId: string | null; recordedStatus: string }>;
  intervalHours: number | null;
  /** When a run next sends one by itself: null without reconcile.intervalHours; the last one's time plus the interval. */
  nextDue: string | null;
}

const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** null when the job neither reconciles on a schedule nor ever did. */
export function reconcileView(state: State, intervalHours: number | undefined): ReconcileView | null {
  const last = lastSucceededReconcile(state);
  const open = openReconciles(state).map((r) => ({ taskId: r.taskId, recordedStatus: r.status }));
  if (intervalHours === undefined && last === null && open.length === 0) return null;
  const nextDue =
    intervalHours === undefined ? null : last === null ? 'the next run' : iso(last.createdNs + BigInt(Math.round(intervalHours * 3_600_000)) * 1_000_000n);
  return { lastSucceeded: last && { submitted: iso(last.createdNs), restored: last.restored }, open, intervalHours: intervalHours ?? null, nextDue };
}

/** "reconcile last SUCCEEDED 2026-12-05T10:10:13Z: 1 file restored; next due 2026-12-12T10:10:13Z (every 168 h)", and a line per open task. */
export function reconcileStatusLines(v: ReconcileView): string[] {
  const last = v.lastSucceeded ? `last SUCCEEDED ${v.lastSucceeded.submitted}: ${v.lastSucceeded.restored} file${v.lastSucceeded.restored === 1 ? '' : 's'} restored` : 'none SUCCEEDED yet';
  const next = v.nextDue === null ? 'only with gsync run --reconcile' : `next due ${v.nextDue} (every ${v.intervalHours} h)`;
  return [`reconcile ${last}; ${next}`, ...v.open.map((o) => `reconcile task ${o.taskId ?? '(not yet submitted)'}: ${o.recordedStatus} (recorded)`)];
}
