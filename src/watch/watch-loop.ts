import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Logger } from '../log/logger.js';
import { metricsTempPrefix } from '../metrics/textfile.js';
import { needsAttention } from '../run/outcome.js';
import { summaryLine } from '../report/run-summary.js';
import type { RunJobResult } from '../sync/run-job.js';
import { systemClock, type WatchClock } from './clock.js';
import { watchSource, type SourceWatcher } from './source-watcher.js';

export type CycleReason = 'start' | 'change' | 'rescan' | 'retry' | 'pending';

export interface WatchLoopOptions {
  config: Config;
  logger: Logger;
  /** Aborting stops the watcher, lets a cycle in progress finish, and resolves with exit 0. */
  signal: AbortSignal;
  /** One sync cycle: runJob without waiting for the task, wired by the command (src/commands/watch.ts). */
  runCycle: (signal: AbortSignal, reason: CycleReason) => Promise<RunJobResult>;
  /** Quiet time after the last change before a cycle; default scan.minAgeSeconds, at least 1 s. */
  settleMs?: number;
  /** A tree that never goes quiet (a log appended every few seconds) still gets a cycle this long after its first unsynced change; default 10 × settleMs, at least 5 min. */
  maxWaitMs?: number;
  /** Default watch.rescanIntervalSeconds. */
  rescanIntervalMs?: number;
  /** After a locked or failed cycle; failures back off from here up to the rescan interval. */
  retryMs?: number;
  /** While a task is in flight, cycle this often so it is settled soon rather than at the next rescan. */
  pendingCheckMs?: number;
  /** Default: chokidar on source.path. */
  watchSource?: typeof watchSource;
  /** The time and the waiting; default the system clock and timers. */
  clock?: WatchClock;
}

export interface WatchLoopResult {
  exitCode: number;
  cycles: number;
}

/**
 * Keeps the destination up to date until `signal` aborts: a cycle at start,
 * one when changes have settled, one every rescan interval (inotify sees
 * nothing on NFS, Lustre or GPFS), and retries. One cycle at a time; each is a
 * whole `gsync run`, so stopping between or during cycles loses nothing.
 */
export async function watchLoop(opts: WatchLoopOptions): Promise<WatchLoopResult> {
  const { config, logger, signal } = opts;
  const settleMs = opts.settleMs ?? Math.max(config.scan.minAgeSeconds, 1) * 1000;
  const rescanMs = opts.rescanIntervalMs ?? config.watch.rescanIntervalSeconds * 1000;
  const maxWaitMs = opts.maxWaitMs ?? Math.max(settleMs * 10, 300_000);
  const retryMs = opts.retryMs ?? 30_000;
  const pendingMs = opts.pendingCheckMs ?? 60_000;
  const clock = opts.clock ?? systemClock;
  const runCycle = opts.runCycle;

  let dirty = false;
  let firstChange = 0;
  let lastChange = 0;
  let nextRescan = 0; // the start cycle
  let retryAt = Infinity;
  let pendingAt = Infinity;
  let failures = 0;
  let cycles = 0;
  let wake: (() => void) | null = null;
  const poke = () => wake?.();

  const markChanged = () => {
    lastChange = clock.now();
    if (!dirty) {
      dirty = true;
      firstChange = lastChange;
      poke(); // only the first change can bring the next cycle forward
    }
  };

  let watcher: SourceWatcher | null = null;
  const stopWatcher = () => {
    const w = watcher;
    watcher = null;
    return w?.close();
  };
  const onAbort = () => {
    void stopWatcher();
    poke();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (!signal.aborted) {
      watcher = (opts.watchSource ?? watchSource)({
        root: config.source.path,
        exclude: config.scan.exclude,
        ownPrefixes: ownFiles(config),
        logger,
        change: markChanged,
        // Whatever changed while the watches were being set up went unseen: look once more.
        ready: () => cycles > 0 && markChanged(),
      });
    }
    logger.info({ source: config.source.path, settleMs, rescanSeconds: rescanMs / 1000 }, 'watching for changes');

    while (!signal.aborted) {
      const now = clock.now();
      // The scan defers files younger than minAgeSeconds anyway, so a forced cycle ships only what has settled.
      const dueChange = dirty ? Math.min(lastChange + settleMs, firstChange + maxWaitMs) : Infinity;
      const due = Math.min(dueChange, nextRescan, retryAt, pendingAt);
      if (due > now) {
        await clock.sleep(due - now, (w) => (wake = w));
        wake = null;
        continue;
      }
      const reason: CycleReason = cycles === 0 ? 'start' : due === retryAt ? 'retry' : due === dueChange ? 'change' : due === pendingAt ? 'pending' : 'rescan';
      dirty = false;
      retryAt = pendingAt = Infinity;
      cycles++;
      try {
        logger.debug({ reason }, `sync cycle (${reason})`);
        const r = await runCycle(signal, reason);
        failures = 0;
        // A FAILED or INACTIVE task is news for whoever reads the journal; the loop goes on and its files ship again.
        (needsAttention(r) ? logger.warn : logger.info).call(logger, { reason, result: r.result, taskId: r.taskId, files: r.files, deferred: r.plan.deferred }, summaryLine(r));
        // A reconcile task in flight too (issue 27): it holds a task slot until it is settled.
        const reconciling = r.reconcile !== undefined && (r.reconcile.submitted !== null || r.reconcile.active > 0);
        if (r.outcome === 'submitted' || r.outcome === 'still-active' || r.settled.active > 0 || reconciling) pendingAt = clock.now() + pendingMs;
        // Files too young to ship were left for later; no event may come for them again.
        if (r.plan.deferred > 0) markChanged();
      } catch (err) {
        const kind = err instanceof GsyncError ? err.kind : 'failure';
        if (kind === 'auth') {
          logger.error({ hint: (err as GsyncError).hint }, `${(err as Error).message}; stopping: nothing can ship without a login`);
          return { exitCode: EXIT.auth, cycles };
        }
        if (kind === 'locked') {
          logger.info(`${(err as Error).message}; trying again in ${Math.round(retryMs / 1000)} s`);
          retryAt = clock.now() + retryMs;
        } else {
          const wait = Math.min(retryMs * 2 ** failures++, Math.max(rescanMs, retryMs));
          logger.error({ err: (err as Error).message, hint: (err as GsyncError).hint }, `sync cycle failed; trying again in ${Math.round(wait / 1000)} s`);
          retryAt = clock.now() + wait;
        }
      }
      nextRescan = clock.now() + rescanMs;
    }
    logger.info({ cycles }, 'watch stopped');
    return { exitCode: EXIT.ok, cycles };
  } finally {
    signal.removeEventListener('abort', onAbort);
    await stopWatcher();
  }
}

/** Path prefixes of what a cycle writes: the state database with its -wal, -shm and .lock, the metrics file and its temporary, the log. */
function ownFiles(config: Config): string[] {
  const out = [config.state.path];
  const m = config.metrics.textfile;
  if (m) out.push(m, metricsTempPrefix(m));
  if (config.log.file) out.push(config.log.file);
  return out;
}
