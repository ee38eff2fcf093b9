import { writeMetricsFile } from '../metrics/textfile.js';
import { hookFailuresSince } from '../state/hooks.js';
import { ageSeconds, jobGauges, ledgerTotals, nsToSeconds } from '../state/totals.js';
import { lastSucceededReconcile } from '../ledger/reconcile-rows.js';
import { fileHookCounts } from '../state/file-hooks.js';
import type { Delivery } from './delivery.js';
import type { SyncContext } from '../run/sync-context.js';

/** The slice of a run's outcome the metrics read (a run that failed before its cycle ended has none). */
export interface RunMetricsInput {
  delivery: Delivery | null;
  settled: { deliveries: readonly Delivery[] };
  plan: { deferred: number; unshippable?: number };
  deletes: { deletedPaths: number; stoppedBy: string | null };
}

/** After every run that held the lock, successful or not; a metrics failure never fails the run. */
export function writeRunMetrics(sync: SyncContext, startedNs: bigint, exitCode: number, outcome: RunMetricsInput | undefined): void {
  const file = sync.config.metrics.textfile;
  if (file === undefined) return;
  try {
    const now = sync.now();
    const gauges = jobGauges(sync.state);
    // What Globus delivered in every task this run settled SUCCEEDED (its own, and earlier runs' it settled).
    const settled = outcome ? [...(outcome.delivery ? [outcome.delivery] : []), ...outcome.settled.deliveries] : [];
    const sum = (pick: (d: (typeof settled)[number]) => number) => settled.reduce((n, d) => n + pick(d), 0);
    const totals = ledgerTotals(sync.state);
    const loginExpires = sync.auth.loginExpiresAt?.();
    const lastReconcile = lastSucceededReconcile(sync.state);
    const fileHooks = sync.config.hooks.onFile === undefined ? null : fileHookCounts(sync.state);
    writeMetricsFile(file, {
      job: sync.config.name,
      lastRunExitCode: exitCode,
      lastRunTimestampSeconds: Math.floor(nsToSeconds(now)),
      lastRunDurationSeconds: nsToSeconds(now - startedNs),
      lastRunTransferredFiles: sum((d) => d.filesTransferred),
      lastRunTransferredBytes: sum((d) => d.bytesTransferred),
      lastRunUpToDateFiles: sum((d) => d.filesUpToDate),
      lastRunSkippedErrors: sum((d) => d.skippedErrors),
      lastRunDeferredPaths: outcome?.plan.deferred ?? 0,
      lastRunHookFailures: hookFailuresSince(sync.state, startedNs),
      unreadablePaths: outcome?.plan.unshippable ?? 0,
      ...(sync.config.deletes.enabled
        ? { lastRunDeletedPaths: outcome?.deletes.deletedPaths ?? 0, lastRunDeletesStopped: outcome?.deletes.stoppedBy ? 1 : 0 }
        : {}),
      ...(gauges.lastSuccessNs === null ? {} : { lastSuccessSeconds: Math.floor(nsToSeconds(gauges.lastSuccessNs)) }),
      dirtyPaths: gauges.dirtyPaths,
      openTaskAgeSeconds: ageSeconds(now, gauges.oldestSubmittedNs),
      openTasks: gauges.open,
      inactiveTasks: gauges.inactive,
      hooksOwed: gauges.hooksOwed,
      persistentSkips: gauges.persistentSkips,
      ...(lastReconcile ? { reconcileRestoredFiles: lastReconcile.restored } : {}),
      ...(loginExpires ? { credentialsExpirySeconds: Math.floor(loginExpires.getTime() / 1000) } : {}),
      runsTotal: totals.runs,
      transferredFilesTotal: totals.transferredFiles,
      transferredBytesTotal: totals.transferredBytes,
      upToDateFilesTotal: totals.upToDateFiles,
      skippedErrorsTotal: totals.skippedErrors,
      tasksSucceededTotal: totals.tasksSucceeded,
      tasksFailedTotal: totals.tasksFailed,
      deletedPathsTotal: totals.deletedPaths,
      hookFailuresTotal: totals.hookFailures,
      ...(fileHooks ? { fileHooksOwed: fileHooks.owed, fileHooksGivenUp: fileHooks.givenUp, fileHookFailuresTotal: fileHooks.failures } : {}),
    });
  } catch (err) {
    sync.logger.warn({ file }, `could not write the metrics file: ${(err as Error).message}`);
  }
}
