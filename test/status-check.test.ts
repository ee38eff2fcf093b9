import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthFacts } from '../src/health/facts.js';
import { DEFAULT_TASK_AGES, evaluateHealth, parseDuration, scheduleThresholds } from '../src/health/verdict.js';
import { gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';
import { tempDir } from './helpers/temp.js';

const NOW = 1_800_000_000;
const MIN = 60;

/** A job run by cron every 5 minutes, each run a success, the last one 1 minute ago. */
function healthy(patch: Partial<HealthFacts> = {}): HealthFacts {
  const runs = Array.from({ length: 10 }, (_, i) => ({ startedSeconds: NOW - MIN - i * 5 * MIN, exitCode: 0, result: 'nothing-to-do' }));
  return {
    nowSeconds: NOW,
    runs,
    lastSuccessSeconds: NOW - MIN,
    dirtyPaths: 0,
    openTasks: 0,
    inactiveTasks: 0,
    openTaskAgeSeconds: 0,
    hooksOwed: 0,
    persistentSkips: 0,
    ...patch,
  };
}
const defaults = { ...DEFAULT_TASK_AGES };

describe('gsync status --check verdicts (Monitoring Plugins: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)', () => {
  it('OK for a job whose runs succeed on schedule, with performance data', () => {
    const r = evaluateHealth(healthy(), defaults);
    expect(r.code).toBe(0);
    expect(r.line).toBe(
      'GSYNC OK - last success 60 s ago, 0 owed | age=60s;900;1800;0 owed=0;;;0 open_tasks=0;;;0 task_age=0s;86400;259200;0 hooks_owed=0;;;0 persistent_skips=0;;;0',
    );
  });

  it('reads the schedule from the runs: every 5 min gives 15 and 30 min, hourly 3 h and 6 h', () => {
    expect(scheduleThresholds(healthy())).toMatchObject({ intervalSeconds: 300, warningAge: 900, criticalAge: 1800 });
    const hourly = healthy({ runs: Array.from({ length: 5 }, (_, i) => ({ startedSeconds: NOW - i * 3600, exitCode: 0, result: 'succeeded' })) });
    expect(scheduleThresholds(hourly)).toMatchObject({ intervalSeconds: 3600, warningAge: 3 * 3600, criticalAge: 6 * 3600 });
    // Two runs are no schedule yet.
    expect(scheduleThresholds(healthy({ runs: healthy().runs.slice(0, 2) }))).toMatchObject({ intervalSeconds: null, warningAge: 7200 });
  });

  it('WARNING past the warning age, CRITICAL past the critical age, from the schedule or the flags', () => {
    expect(evaluateHealth(healthy({ lastSuccessSeconds: NOW - 901 }), defaults)).toMatchObject({ state: 'warning', code: 1 });
    expect(evaluateHealth(healthy({ lastSuccessSeconds: NOW - 899 }), defaults).code).toBe(0);
    const crit = evaluateHealth(healthy({ lastSuccessSeconds: NOW - 1801, dirtyPaths: 7 }), defaults);
    expect(crit.code).toBe(2);
    expect(crit.line).toMatch(/^GSYNC CRITICAL - no successful run for 30 min; last success 30 min ago, 7 owed \| age=1801s;900;1800;0 owed=7/);
    // Flags win over the schedule.
    expect(evaluateHealth(healthy({ lastSuccessSeconds: NOW - 1801 }), { ...defaults, warningAge: 3600, criticalAge: 7200 }).code).toBe(0);
    expect(evaluateHealth(healthy({ lastSuccessSeconds: NOW - 4000 }), { ...defaults, warningAge: 3600, criticalAge: 7200 }).code).toBe(1);
    expect(evaluateHealth(healthy({ lastSuccessSeconds: NOW - 8000 }), { ...defaults, warningAge: 3600, criticalAge: 7200 }).code).toBe(2);
  });

  it('a job that never succeeded is judged from its oldest run', () => {
    const never = healthy({ lastSuccessSeconds: null, runs: healthy().runs.map((r) => ({ ...r, exitCode: 1, result: 'failed' })) });
    const r = evaluateHealth(never, defaults);
    expect(r.code).toBe(2);
    expect(r.line).toContain('never succeeded');
  });

  it('CRITICAL when the last run needs a login (77) or refused its config (2); WARNING when it exited 1; a lock (75) is no news', () => {
    const lastExit = (code: number) => healthy({ runs: [{ startedSeconds: NOW - 30, exitCode: code, result: 'x' }, ...healthy().runs] });
    expect(evaluateHealth(lastExit(77), defaults)).toMatchObject({ code: 2 });
    expect(evaluateHealth(lastExit(77), defaults).line).toContain('gsync login');
    expect(evaluateHealth(lastExit(2), defaults).code).toBe(2);
    expect(evaluateHealth(lastExit(1), defaults).code).toBe(1);
    expect(evaluateHealth(lastExit(75), defaults).code).toBe(0);
    // A run still going (no exit code yet) is judged by the one before it.
    const going = healthy({ runs: [{ startedSeconds: NOW - 5, exitCode: null, result: 'unfinished' }, { startedSeconds: NOW - 300, exitCode: 1, result: 'failed' }, ...healthy().runs] });
    expect(evaluateHealth(going, defaults).code).toBe(1);
  });

  it('open tasks: WARNING after a day, CRITICAL after Globus\'s 72 h deadline, or the flags', () => {
    expect(evaluateHealth(healthy({ openTasks: 1, openTaskAgeSeconds: 86_401 }), defaults).code).toBe(1);
    expect(evaluateHealth(healthy({ openTasks: 1, openTaskAgeSeconds: 259_201 }), defaults).code).toBe(2);
    expect(evaluateHealth(healthy({ openTasks: 1, openTaskAgeSeconds: 3_601 }), { ...defaults, taskWarningAge: 3600 }).code).toBe(1);
    expect(evaluateHealth(healthy({ openTasks: 1, openTaskAgeSeconds: 3_599 }), { ...defaults, taskWarningAge: 3600 }).code).toBe(0);
  });

  it('WARNING for INACTIVE tasks, owed hooks and persistent skips, each named', () => {
    expect(evaluateHealth(healthy({ inactiveTasks: 1, openTasks: 1 }), defaults).line).toMatch(/^GSYNC WARNING - 1 task\(s\) INACTIVE/);
    expect(evaluateHealth(healthy({ hooksOwed: 2 }), defaults).line).toMatch(/^GSYNC WARNING - 2 hook\(s\) owed/);
    expect(evaluateHealth(healthy({ persistentSkips: 3 }), defaults).line).toMatch(/^GSYNC WARNING - 3 path\(s\) skipped/);
  });

  it('UNKNOWN with no runs', () => {
    expect(evaluateHealth(healthy({ runs: [], lastSuccessSeconds: null }), defaults)).toMatchObject({ state: 'unknown', code: 3, line: 'GSYNC UNKNOWN - no runs yet' });
  });

  it('parses threshold durations', () => {
    expect(parseDuration('900')).toBe(900);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1.5d')).toBe(129_600);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('gsync status --check, the built CLI', () => {
  let w: JobWorld | undefined;
  afterEach(async () => {
    await w?.cleanup();
    w = undefined;
  });

  it('OK after a run, UNKNOWN (exit 3) before any run, for a bad flag and for a bad config, and it writes nothing', async () => {
    w = await jobWorld();
    const env = { ...w.env, GSYNC_CONFIG: w.configFile };
    const before = await gsync(['status', '--check'], { env });
    expect(before.code).toBe(3);
    expect(before.stdout).toMatch(/^GSYNC UNKNOWN - job e2e: no runs yet \(no state database at .*\)\n$/);
    expect(fs.existsSync(w.config.state.path)).toBe(false);

    writeTree(w.src, { 'a.txt': 'a' });
    expect((await w.run()).result).toBe('succeeded');
    const ok = await gsync(['status', '--check'], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^GSYNC OK - e2e: last success \d+ s ago, 0 owed \| age=\d+s;7200;21600;0 owed=0;;;0 open_tasks=0;;;0 /);
    expect(ok.stderr).toBe('');

    const flagged = await gsync(['status', '--check', '--warning', '1h', '--critical', '2h', '--task-critical', '3d'], { env });
    expect(flagged.stdout).toMatch(/ \| age=\d+s;3600;7200;0 .* task_age=0s;86400;259200;0 /);
    const bad = await gsync(['status', '--check', '--warning', 'soon'], { env });
    expect(bad.code).toBe(3);
    expect(bad.stdout).toBe('GSYNC UNKNOWN - --warning "soon" is not a duration (e.g. 900, 15m, 2h, 1d)\n');

    const dir = tempDir('gsync-check-');
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"name": 1}');
    const broken = await gsync(['status', '--check'], { env: { ...env, GSYNC_CONFIG: path.join(dir, 'bad.json') } });
    expect(broken.code).toBe(3);
    expect(broken.stdout).toMatch(/^GSYNC UNKNOWN - /);
  });
});
