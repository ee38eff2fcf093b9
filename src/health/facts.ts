import { fileHookCounts } from '../state/file-hooks.js';
import type { State } from '../state/open.js';
import { lastRuns } from '../state/runs.js';
import { ageSeconds, jobGauges, nsToSeconds } from '../state/totals.js';

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

export function readHealthFacts(state: State, nowNs: bigint): HealthFacts {
  const g = jobGauges(state);
  return {
    nowSeconds: nsToSeconds(nowNs),
    runs: lastRuns(state, SCHEDULE_RUNS).map((r) => ({
      startedSeconds: nsToSeconds(r.startedNs),
      exitCode: r.finishedNs === null ? null : r.exitCode,
      result: r.result,
    })),
    lastSuccessSeconds: g.lastSuccessNs === null ? null : nsToSeconds(g.lastSuccessNs),
    dirtyPaths: g.dirtyPaths,
    openTasks: g.open,
    inactiveTasks: g.inactive,
    openTaskAgeSeconds: ageSeconds(nowNs, g.oldestSubmittedNs),
    hooksOwed: g.hooksOwed,
    persistentSkips: g.persistentSkips,
    fileHooksGivenUp: fileHookCounts(state).givenUp,
  };
}
