import { persistentSkipCount } from '../state/deliveries.js';
import { fileHookCounts } from '../state/file-hooks.js';
import { owedHookCount } from '../state/hooks.js';
import type { State } from '../state/open.js';
import { lastRuns, lastSuccessNs } from '../state/runs.js';
import { openSubmissions } from '../ledger/transfer-rows.js';
import { stateSummary } from '../state/summary.js';
import { openTasks } from '../state/totals.js';

/** How many recent runs tell the job's schedule (the median gap between their starts). */
const SCHEDULE_RUNS = 20;

/** What `gsync status --check` judges: read from the state database alone, no Globus call. */
export interface HealthFacts {
  nowSeconds: number;
  /** Newest first. */
  runs: ReadonlyArray<{ startedSeconds: number; exitCode: number | null; result: string }>;
  lastSuccessSeconds: number | null;
  dirtyPaths: number;
  openTasks: number;
  inactiveTasks: number;
  /** Age of the oldest submitted task not yet ended; 0 when none is open. */
  openTaskAgeSeconds: number;
  hooksOwed: number;
  persistentSkips: number;
  /** hooks.onFile given up after hooks.maxAttempts (issue 29): data that arrived and was not processed. */
  fileHooksGivenUp?: number;
}

const sec = (ns: bigint) => Number(ns / 1_000_000n) / 1000;

export function readHealthFacts(state: State, nowNs: bigint): HealthFacts {
  const success = lastSuccessNs(state);
  const oldest = openSubmissions(state).find((s) => s.submittedNs !== null);
  const open = openTasks(state);
  return {
    nowSeconds: sec(nowNs),
    runs: lastRuns(state, SCHEDULE_RUNS).map((r) => ({
      startedSeconds: sec(r.startedNs),
      exitCode: r.finishedNs === null ? null : r.exitCode,
      result: r.result,
    })),
    lastSuccessSeconds: success === null ? null : sec(success),
    dirtyPaths: stateSummary(state).dirty,
    openTasks: open.open,
    inactiveTasks: open.inactive,
    openTaskAgeSeconds: oldest?.submittedNs ? Math.max(0, sec(nowNs - oldest.submittedNs)) : 0,
    hooksOwed: owedHookCount(state),
    persistentSkips: persistentSkipCount(state),
    fileHooksGivenUp: fileHookCounts(state).givenUp,
  };
}
