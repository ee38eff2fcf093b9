import type { HealthFacts } from './facts.js';

/** Monitoring Plugins return codes (monitoring-plugins.org, "Plugin Return Codes"). */
export const CHECK = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;
export type CheckState = keyof typeof CHECK;

export interface CheckThresholds {
  /** Seconds since the last successful run; unset: from the job's schedule (scheduleThresholds). */
  warningAge?: number;
  criticalAge?: number;
  /** Seconds a submitted task may stay open; Globus's own deadline is 24 h, extendable to 72 h. */
  taskWarningAge: number;
  taskCriticalAge: number;
}

export const DEFAULT_TASK_AGES = { taskWarningAge: 24 * 3600, taskCriticalAge: 72 * 3600 } as const;

/**
 * The job's schedule, seen in its own runs: the median gap between the starts
 * of the last runs (cron every 5 min, a timer every hour, watch's rescans).
 * WARNING after three missed successes, CRITICAL after six, never tighter than
 * 15 and 30 minutes; 2 h and 6 h until there are three runs to go by.
 */
export function scheduleThresholds(facts: HealthFacts): { warningAge: number; criticalAge: number; intervalSeconds: number | null } {
  const starts = facts.runs.map((r) => r.startedSeconds);
  const gaps = starts.slice(1).map((s, i) => starts[i]! - s).filter((g) => g > 0).sort((a, b) => a - b);
  if (gaps.length < 2) return { warningAge: 2 * 3600, criticalAge: 6 * 3600, intervalSeconds: null };
  const interval = gaps[Math.floor(gaps.length / 2)]!;
  return { warningAge: Math.max(3 * interval, 15 * 60), criticalAge: Math.max(6 * interval, 30 * 60), intervalSeconds: interval };
}

export interface CheckResult {
  state: CheckState;
  code: number;
  /** The one line: `GSYNC OK - last success 12 min ago, 0 owed | age=720s;3600;7200 ...`. */
  line: string;
}

export function evaluateHealth(facts: HealthFacts, given: CheckThresholds): CheckResult {
  if (facts.runs.length === 0) return result('unknown', ['no runs yet'], '');
  const schedule = scheduleThresholds(facts);
  const warnAge = given.warningAge ?? schedule.warningAge;
  const critAge = given.criticalAge ?? Math.max(schedule.criticalAge, warnAge);
  const oldestRun = facts.runs[facts.runs.length - 1]!.startedSeconds;
  // Never succeeded: the clock starts at the oldest run we know of.
  const age = Math.max(0, Math.round(facts.nowSeconds - (facts.lastSuccessSeconds ?? oldestRun)));
  const problems: Array<[CheckState, string]> = [];
  const last = facts.runs.find((r) => r.exitCode !== null);

  if (age > critAge) problems.push(['critical', `no successful run for ${ago(age)}`]);
  else if (age > warnAge) problems.push(['warning', `no successful run for ${ago(age)}`]);
  if (last?.exitCode === 77) problems.push(['critical', 'the last run needs a login or consent (exit 77): run gsync login or gsync test-config']);
  else if (last?.exitCode === 2) problems.push(['critical', 'the last run refused its config or state (exit 2): run gsync test-config']);
  else if (last && last.exitCode !== 0 && last.exitCode !== 75) problems.push(['warning', `the last run exited ${last.exitCode} (${last.result}): see gsync status`]);
  const taskAge = Math.round(facts.openTaskAgeSeconds);
  if (taskAge > given.taskCriticalAge) problems.push(['critical', `a task has been open for ${ago(taskAge)}`]);
  else if (taskAge > given.taskWarningAge) problems.push(['warning', `a task has been open for ${ago(taskAge)}`]);
  if (facts.inactiveTasks > 0) problems.push(['warning', `${facts.inactiveTasks} task(s) INACTIVE: reactivate the collection's credentials`]);
  if (facts.hooksOwed > 0) problems.push(['warning', `${facts.hooksOwed} hook(s) owed`]);
  if (facts.persistentSkips > 0) problems.push(['warning', `${facts.persistentSkips} path(s) skipped by Globus task after task`]);
  if ((facts.fileHooksGivenUp ?? 0) > 0) problems.push(['warning', `${facts.fileHooksGivenUp} file hook(s) given up after hooks.maxAttempts: see gsync status`]);

  const worst: CheckState = problems.some(([s]) => s === 'critical') ? 'critical' : problems.length > 0 ? 'warning' : 'ok';
  const summary = `${facts.lastSuccessSeconds === null ? 'never succeeded' : `last success ${ago(age)} ago`}, ${facts.dirtyPaths} owed`;
  const perf = [
    `age=${age}s;${warnAge};${critAge};0`,
    `owed=${facts.dirtyPaths};;;0`,
    `open_tasks=${facts.openTasks};;;0`,
    `task_age=${taskAge}s;${given.taskWarningAge};${given.taskCriticalAge};0`,
    `hooks_owed=${facts.hooksOwed};;;0`,
    `persistent_skips=${facts.persistentSkips};;;0`,
  ].join(' ');
  return result(worst, [...problems.filter(([s]) => s === worst).map(([, m]) => m), summary], perf);
}

function result(state: CheckState, parts: string[], perf: string): CheckResult {
  const line = `GSYNC ${state.toUpperCase()} - ${parts.join('; ')}${perf ? ` | ${perf}` : ''}`;
  return { state, code: CHECK[state], line };
}

/** "45 s", "12 min", "3.5 h", "2.1 d": what a person reads in a pager. */
export function ago(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** `90`, `90s`, `15m`, `2h`, `7d`: a threshold flag's value in seconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}
