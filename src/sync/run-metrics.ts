import { writeMetricsFile } from '../metrics/textfile.js';
import { persistentSkipCount } from '../state/deliveries.js';
import { hookFailuresSince, owedHookCount } from '../state/hooks.js';
import { lastSuccessNs } from '../state/runs.js';
import { openSubmissions } from '../ledger/transfer-rows.js';
import { stateSummary } from '../state/summary.js';
import type { Delivery } from './delivery.js';
import type { SyncContext } from './sync-context.js';

const seconds = (ns: bigint) => Number(ns / 1_000_000n) / 1000;

/** The slice of a run's outcome the metrics read (a run that failed before its cycle ended has none). */
export interface RunMetricsInput {
  delivery: Delivery | null;
  reconciled: { deliveries: readonly Delivery[] };
  plan: { deferred: number };
  deletes: { deletedPaths: number; stoppedBy: string | null };
}

/** After every run that held the lock, successful or not; a metrics failure never fails the run. */
export function writeRunMetrics(sync: SyncContext, startedNs: bigint, exitCode: number, outcome: RunMetricsInput | undefined): void {
  const file = sync.config.metrics.textfile;
  if (file === undefined) return;
  try {
    const now = sync.now();
    const oldest = openSubmissions(sync.state).find((s) => s.submittedNs !== null);
    const success = lastSuccessNs(sync.state);
    // What Globus delivered in every task this run settled SUCCEEDED (its own, and earlier runs' it reconciled).
    const settled = outcome ? [...(outcome.delivery ? [outcome.delivery] : []), ...outcome.reconciled.deliveries] : [];
    const sum = (pick: (d: (typeof settled)[number]) => number) => settled.reduce((n, d) => n + pick(d), 0);
    writeMetricsFile(file, {
      job: sync.config.name,
      ...(success === null ? {} : { lastSuccessSeconds: Math.floor(seconds(success)) }),
      lastExitCode: exitCode,
      runDurationSeconds: seconds(now - startedNs),
      filesShipped: sum((d) => d.filesTransferred),
      bytesShipped: sum((d) => d.bytesTransferred),
      filesUpToDate: sum((d) => d.filesUpToDate),
      skippedErrors: sum((d) => d.skippedErrors),
      persistentSkips: persistentSkipCount(sync.state),
      dirtyPaths: stateSummary(sync.state).dirty,
      deferredPaths: outcome?.plan.deferred ?? 0,
      pendingTaskAgeSeconds: oldest?.submittedNs ? Math.max(0, seconds(now - oldest.submittedNs)) : 0,
      hookFailures: hookFailuresSince(sync.state, startedNs),
      hooksOwed: owedHookCount(sync.state),
      ...(sync.config.deletes.enabled
        ? { deletedPaths: outcome?.deletes.deletedPaths ?? 0, deletesStopped: outcome?.deletes.stoppedBy ? 1 : 0 }
        : {}),
    });
  } catch (err) {
    sync.logger.warn({ file }, `could not write the metrics file: ${(err as Error).message}`);
  }
}
