import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { exitCodeForRun } from '../src/run/outcome.js';
import { openState } from '../src/state/open.js';
import { owedHooks } from '../src/state/hooks.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { alive, HookRecorder } from './helpers/hook-recorder.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { integrityCheck } from './helpers/reliability.js';
import { writeTree } from './server-support.js';
import { tempDir } from './helpers/temp.js';

let w: JobWorld;
let hook: HookRecorder;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

/** A job whose onSucceeded and onFailed both run the recording hook. */
async function hookedWorld(server: Parameters<typeof jobWorld>[0] = {}, hooks: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<JobWorld> {
  const dir = tempDir('gsync-hook-');
  hook = new HookRecorder(dir);
  w = await jobWorld(server, { hooks: { onSucceeded: hook.argv, onFailed: hook.argv, ...hooks }, ...extra });
  return w;
}

const manifestDir = () => w.config.hooks.manifestDir;
const manifests = () => (fs.existsSync(manifestDir()) ? fs.readdirSync(manifestDir()).sort() : []);
const sortByPath = (m: Array<Record<string, unknown>>) => [...m].sort((a, b) => String(a.source_path).localeCompare(String(b.source_path)));

/** Files written an hour ago, with known mtimes. */
function seed(tree: Record<string, string>, mtime = new Date(Date.now() - 3_600_000)): void {
  writeTree(w.src, tree);
  for (const rel of Object.keys(tree)) if (!rel.endsWith('/')) fs.utimesSync(path.join(w.src, rel), mtime, mtime);
}

describe('manifest and onSucceeded', () => {
  it('first run: one recursive item expanded to its files; then an incremental run lists only what it shipped', async () => {
    await hookedWorld();
    seed({ 'a.txt': 'aaa', 'd/b.txt': 'bb', 'd/e/c.txt': 'c', 'empty/': '' }, new Date('2026-01-02T03:04:05.678Z'));
    // To the nanosecond, as stat reports it (utimes goes through a double, so the digits after the millisecond vary).
    const ns = fs.statSync(path.join(w.src, 'a.txt'), { bigint: true }).mtimeNs;
    const t = `2026-01-02T03:04:05.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
    expect(t).toMatch(/^2026-01-02T03:04:05\.67\d{7}Z$/);
    const first = await w.run();
    expect(first.result).toBe('succeeded');
    const task = w.srv.tasks.get(first.taskId!)!;
    expect(task.items.map((i) => i.recursive)).toEqual([true]);

    const [call] = hook.calls();
    expect(hook.calls()).toHaveLength(1);
    expect(call!.env).toMatchObject({ GSYNC_JOB: 'e2e', GSYNC_TASK_ID: first.taskId, GSYNC_STATUS: 'SUCCEEDED', GSYNC_FILES: '3', GSYNC_BYTES: '6' });
    expect(call!.env.GSYNC_MANIFEST).toBe(path.join(manifestDir(), manifests()[0]!));
    expect(sortByPath(call!.manifest!)).toEqual([
      { source_path: '/a.txt', destination_path: '/a.txt', size: 3, mtime: t, task_id: first.taskId },
      { source_path: '/d/b.txt', destination_path: '/d/b.txt', size: 2, mtime: t, task_id: first.taskId },
      { source_path: '/d/e/c.txt', destination_path: '/d/e/c.txt', size: 1, mtime: t, task_id: first.taskId },
    ]);
    expect(call!.sawSecret).toBe(false);

    seed({ 'd/b.txt': 'bbbb', 'new/x.txt': 'x' }, new Date('2026-01-03T00:00:00.000Z'));
    const t2 = '2026-01-03T00:00:00.000000000Z';
    const second = await w.run();
    expect(second.result).toBe('succeeded');
    expect(hook.calls()).toHaveLength(2);
    const c2 = hook.calls()[1]!;
    expect(c2.env).toMatchObject({ GSYNC_TASK_ID: second.taskId, GSYNC_FILES: '2', GSYNC_BYTES: '5' });
    expect(sortByPath(c2.manifest!)).toEqual([
      { source_path: '/d/b.txt', destination_path: '/d/b.txt', size: 4, mtime: t2, task_id: second.taskId },
      { source_path: '/new/x.txt', destination_path: '/new/x.txt', size: 1, mtime: t2, task_id: second.taskId },
    ]);
    expect(manifests()).toHaveLength(2);

    // Nothing changed: no task, no hook.
    expect((await w.run()).result).toBe('nothing-to-do');
    expect(hook.calls()).toHaveLength(2);
  });

  it('destination paths are the transfer items\' own; a destination.path changed before the task settled is refused until it is put back', async () => {
    await hookedWorld({}, {}, { destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/archive/' } });
    seed({ 'd/b.txt': 'bb' });
    await w.run();
    expect(hook.calls()[0]!.manifest).toMatchObject([{ source_path: '/d/b.txt', destination_path: '/archive/d/b.txt' }]);
    // One file item and one new directory (a recursive item), submitted under /archive/ and settled after the config moved.
    seed({ 'd/b.txt': 'b2', 'n/x.txt': 'x' }, new Date(Date.now() - 10_000));
    const r = await w.run({ wait: false });
    await w.srv.tasks.waitFor(r.taskId!);
    w.config.destination.path = '/elsewhere/';
    // The state describes /archive/ (issue 26): a run against another destination refuses before settling anything.
    await expect(w.run()).rejects.toMatchObject({ kind: 'config', message: expect.stringContaining('destination.path /archive -> /elsewhere') });
    expect(hook.calls()).toHaveLength(1);
    w.config.destination.path = '/archive/';
    await w.run();
    expect(sortByPath(hook.calls()[1]!.manifest!).map((l) => [l.source_path, l.destination_path])).toEqual([
      ['/d/b.txt', '/archive/d/b.txt'],
      ['/n/x.txt', '/archive/n/x.txt'],
    ]);
  });

  it('never prunes the manifest of a hook still owed', async () => {
    await hookedWorld({}, { keepManifests: 1 });
    hook.exitWith(1);
    seed({ 'a.txt': 'a' });
    const first = await w.run();
    hook.exitWith(0);
    w.config.hooks.onSucceeded = [process.execPath, '-e', 'process.exit(process.env.GSYNC_TASK_ID === process.argv[1] ? 1 : 0)', first.taskId!];
    seed({ 'b.txt': 'b' });
    await w.run();
    seed({ 'c.txt': 'c' });
    await w.run();
    // keep 1: the newest, plus the first task's, whose hook still fails.
    const names = manifests();
    expect(names).toHaveLength(2);
    expect(names[0]).toContain(first.taskId!);
  });

  it('no manifest and no hook for a task that delivered nothing: only an empty directory, or every file skipped', async () => {
    await hookedWorld({ taskStartDelayMs: 200 });
    seed({ 'a.txt': 'a' });
    await w.run();
    expect(hook.calls()).toHaveLength(1);

    fs.mkdirSync(path.join(w.src, 'empty'));
    const dirOnly = await w.run();
    expect(dirOnly.result).toBe('succeeded');
    expect(dirOnly.items).toBe(1);
    expect(dirOnly.files).toBe(0);
    expect(hook.calls()).toHaveLength(1);

    seed({ 'a.txt': 'a2' }, new Date(Date.now() - 10_000));
    const r = await w.run({ wait: false });
    fs.rmSync(path.join(w.src, 'a.txt'));
    await w.srv.tasks.waitFor(r.taskId!);
    const next = await w.run();
    expect(next.settled).toMatchObject({ succeeded: 1, skippedPaths: 1 });
    expect(hook.calls()).toHaveLength(1);
    expect(manifests()).toHaveLength(1);
    const state = openState(w.config.state.path);
    expect(owedHooks(state)).toEqual([]);
    state.close();
  });

  it('the manifest leaves out paths Globus skipped', async () => {
    await hookedWorld({ taskStartDelayMs: 200 });
    seed({ 'keep.txt': 'k', 'gone.txt': 'g' });
    await w.run();
    seed({ 'keep.txt': 'k2', 'gone.txt': 'g2' }, new Date(Date.now() - 10_000));
    const r = await w.run({ wait: false });
    fs.rmSync(path.join(w.src, 'gone.txt'));
    await w.srv.tasks.waitFor(r.taskId!);
    const next = await w.run();
    expect(next.settled.skippedPaths).toBe(1);
    const last = hook.calls().at(-1)!;
    expect(last.env).toMatchObject({ GSYNC_TASK_ID: r.taskId, GSYNC_FILES: '1', GSYNC_BYTES: '2' });
    expect(last.manifest!.map((l) => l.source_path)).toEqual(['/keep.txt']);
  });

  it('writes manifests without any hook, and keeps only the newest hooks.keepManifests', async () => {
    w = await jobWorld({}, { hooks: { keepManifests: 2 } });
    for (let i = 0; i < 3; i++) {
      seed({ [`f${i}.txt`]: 'x'.repeat(i + 1) });
      await w.run();
    }
    const names = manifests();
    expect(names).toHaveLength(2);
    const lines = names.map((n) => fs.readFileSync(path.join(manifestDir(), n), 'utf8').trim().split('\n').map((l) => JSON.parse(l).source_path));
    expect(lines).toEqual([['/f1.txt'], ['/f2.txt']]);
    expect(names.every((n) => /^e2e-\d{8}T\d{6}\.\d{3}Z-[0-9a-f-]{36}\.jsonl$/.test(n))).toBe(true);
    // Someone else's file in the directory is never touched.
    fs.writeFileSync(path.join(manifestDir(), 'notes.txt'), 'mine');
    seed({ 'f3.txt': 'y' });
    await w.run();
    expect(manifests()).toContain('notes.txt');
    expect(manifests()).toHaveLength(3);
  });

  it('hooks.keepManifests 0 writes no manifest', async () => {
    w = await jobWorld({}, { hooks: { keepManifests: 0 } });
    seed({ 'a.txt': 'a' });
    expect((await w.run()).result).toBe('succeeded');
    // Not written and pruned: never written at all, and nothing recorded for one.
    expect(fs.existsSync(manifestDir())).toBe(false);
    const state = openState(w.config.state.path);
    expect(state.db.prepare('SELECT count(*) AS n FROM task_hook').get()).toEqual({ n: 0 });
    state.close();
  });
});

describe('at least once, never lost', () => {
  it('a hook that fails makes the run exit 1, runs again on the next run, and not again after exit 0; transfers go on meanwhile', async () => {
    await hookedWorld();
    seed({ 'a.txt': 'a' });
    hook.exitWith(3);
    const first = await w.run();
    expect(exitCodeForRun(first)).toBe(1);
    expect(first.result).toBe('problems');
    expect(first.settled.problems.join()).toContain(`hooks.onSucceeded for task ${first.taskId} failed (exit 3)`);
    expect(w.diff()).toBe(''); // the transfer itself went through
    let state = openState(w.config.state.path);
    expect(owedHooks(state).map((h) => [h.taskId, h.attempts, h.lastResult])).toEqual([[first.taskId, 1, 'exit 3']]);
    state.close();

    // Still failing: the next run tries once more, before anything else, and still ships what changed.
    seed({ 'b.txt': 'b' });
    const second = await w.run({ env: { ...w.env, HOOK_LIST_DIR: w.dst } });
    expect(exitCodeForRun(second)).toBe(1);
    expect(second.files).toBe(1);
    expect(w.diff()).toBe('');
    const tasksOf = () => hook.calls().map((c) => c.env.GSYNC_TASK_ID);
    expect(tasksOf()).toEqual([first.taskId, first.taskId, second.taskId]);
    // The owed hook ran before this run's transfer (b.txt not there yet); the new task's hook after it.
    expect(hook.calls().slice(1).map((c) => c.listed)).toEqual([['a.txt'], ['a.txt', 'b.txt']]);

    hook.exitWith(0);
    const third = await w.run();
    expect(exitCodeForRun(third)).toBe(0);
    expect(tasksOf()).toEqual([first.taskId, first.taskId, second.taskId, first.taskId, second.taskId]);
    expect(hook.calls().at(-2)!.env.GSYNC_ATTEMPT).toBe('3');
    expect(exitCodeForRun(await w.run())).toBe(0);
    expect(hook.calls()).toHaveLength(5);
    state = openState(w.config.state.path);
    expect(owedHooks(state)).toEqual([]);
    expect(state.db.prepare('SELECT count(*) AS n FROM manifest_file').get()).toEqual({ n: 0 });
    state.close();
  });

  it('a hook over hooks.timeoutSeconds has its process group killed and counts as a failure in the metrics', async () => {
    // 5 s, not less: on a loaded machine the hook must have started its grandchild and written both pids before it is killed.
    await hookedWorld({}, { timeoutSeconds: 5 });
    const metrics = path.join(w.base, 'metrics', 'job.prom');
    w.config.metrics.textfile = metrics;
    seed({ 'a.txt': 'a' });
    hook.hang();
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.settled.problems.join()).toContain('timed out after 5 s');
    const pids = hook.pids();
    expect(pids).toHaveLength(2);
    // Both the hook and the grandchild that ignores SIGTERM are gone (SIGKILL to the group); wait for it, do not sleep.
    for (let i = 0; pids.some(alive); i++) {
      expect(i, `still alive: ${pids.filter(alive)}`).toBeLessThan(200);
      await new Promise((res) => setTimeout(res, 25));
    }
    const text = fs.readFileSync(metrics, 'utf8');
    expect(text).toContain('gsync_last_run_hook_failures{job="e2e"} 1\n');
    expect(text).toContain('gsync_hooks_owed{job="e2e"} 1\n');

    hook.hang(false);
    expect(exitCodeForRun(await w.run())).toBe(0);
    const after = fs.readFileSync(metrics, 'utf8');
    expect(after).toContain('gsync_last_run_hook_failures{job="e2e"} 0\n');
    expect(after).toContain('gsync_hooks_owed{job="e2e"} 0\n');
  });

  it('onSucceeded never runs for a FAILED task; onFailed runs once with its status and error', async () => {
    await hookedWorld();
    seed({ 'a.txt': 'a' });
    w.srv.faults.failNextTask({ code: 'PERMISSION_DENIED', description: 'denied by test' });
    const failed = await w.run();
    expect(failed.result).toBe('failed');
    expect(hook.calls()).toHaveLength(1);
    expect(hook.calls()[0]!.env).toMatchObject({ GSYNC_STATUS: 'FAILED', GSYNC_TASK_ID: failed.taskId, GSYNC_ERROR: 'PERMISSION_DENIED: denied by test' });
    expect(hook.calls()[0]!.env.GSYNC_MANIFEST).toBeUndefined();
    expect(hook.calls()[0]!.manifest).toBeNull();

    const again = await w.run();
    expect(again.result).toBe('succeeded');
    expect(hook.calls().map((c) => [c.env.GSYNC_STATUS, c.env.GSYNC_TASK_ID])).toEqual([
      ['FAILED', failed.taskId],
      ['SUCCEEDED', again.taskId],
    ]);
  });

  it('onFailed runs once for a task that stays INACTIVE over several runs', async () => {
    await hookedWorld();
    seed({ 'a.txt': 'a' });
    w.srv.faults.inactivateNextTask({ description: 'credentials expired' });
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    for (let i = 0; i < 2; i++) expect((await w.run({ wait: false })).settled.inactive).toBe(1);
    expect(hook.calls().map((c) => [c.env.GSYNC_STATUS, c.env.GSYNC_TASK_ID, c.env.GSYNC_ERROR])).toEqual([['INACTIVE', r.taskId, 'credentials expired']]);
  });

  it('a hook removed from the config is no longer owed; the manifest still is', async () => {
    await hookedWorld();
    seed({ 'a.txt': 'a' });
    hook.exitWith(1);
    expect(exitCodeForRun(await w.run())).toBe(1);
    delete w.config.hooks.onSucceeded;
    expect(exitCodeForRun(await w.run())).toBe(0);
    expect(hook.calls()).toHaveLength(1);
    const state = openState(w.config.state.path);
    expect(owedHooks(state)).toEqual([]);
    state.close();
  });

  it('a manifest that cannot be written stays owed, fails the run, and is written by a later run', async () => {
    await hookedWorld();
    fs.writeFileSync(path.join(w.base, 'not-a-dir'), '');
    const good = w.config.hooks.manifestDir;
    w.config.hooks.manifestDir = path.join(w.base, 'not-a-dir', 'manifests');
    seed({ 'a.txt': 'a' });
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.settled.problems.join()).toContain('manifest not written');
    expect(hook.calls()).toHaveLength(0);
    w.config.hooks.manifestDir = good;
    expect(exitCodeForRun(await w.run())).toBe(0);
    expect(hook.calls().map((c) => c.manifest!.map((l) => l.source_path))).toEqual([['/a.txt']]);
  });
});

describe('SIGKILL between the commit and the hook\'s completion (gsync run as a child process)', () => {
  const cases: Array<[string, number]> = [
    ['before-hook', 0], // owed and about to start: killed before the hook ran
    ['after-hook', 1], // the hook exited 0, its completion not yet recorded
  ];
  for (const [point, ranBeforeKill] of cases) {
    it(`at ${point}: exactly one more run of the hook, then none`, async () => {
      await hookedWorld();
      seed({ 'a.txt': 'a', 'd/b.txt': 'b' });
      const env = { ...process.env, ...w.env };
      const killed = await gsync(['run', '--wait', '--config', w.configFile], { env: { ...env, GSYNC_CRASH_AT: point } });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect(integrityCheck(w.config.state.path)).toBe('ok');
      expect(hook.calls()).toHaveLength(ranBeforeKill);
      expect(w.diff()).toBe('');

      const next = await gsync(['run', '--wait', '--config', w.configFile], { env });
      expect(next.code, next.stderr).toBe(0);
      expect(hook.calls()).toHaveLength(ranBeforeKill + 1);
      const call = hook.calls().at(-1)!;
      expect(sortByPath(call.manifest!).map((l) => l.source_path)).toEqual(['/a.txt', '/d/b.txt']);
      // The hook's output went to the log on stderr, never to gsync's stdout.
      expect(next.stdout).not.toContain('hook stdout line');
      expect(next.stdout.trim().split('\n')).toHaveLength(1);
      expect(next.stderr).toContain(`hook stdout line for ${call.env.GSYNC_TASK_ID}`);
      expect(next.stderr).toContain(`hook stderr line for ${call.env.GSYNC_TASK_ID}`);

      const idle = await gsync(['run', '--wait', '--config', w.configFile], { env });
      expect(idle.code).toBe(0);
      expect(hook.calls()).toHaveLength(ranBeforeKill + 1);
    }, 30_000);
  }

  it('gsync status shows an owed hook', async () => {
    await hookedWorld();
    seed({ 'a.txt': 'a' });
    hook.exitWith(4);
    const env = { ...process.env, ...w.env };
    const r = await gsync(['run', '--wait', '--config', w.configFile], { env });
    expect(r.code).toBe(1);
    const s = await gsync(['status', '--json', '--config', w.configFile], { env });
    const view = JSON.parse(s.stdout);
    expect(view.hooks).toMatchObject([{ hook: 'onSucceeded', status: 'SUCCEEDED', attempts: 1, failures: 1, lastResult: 'exit 4', files: 1 }]);
    expect(fs.existsSync(view.hooks[0].manifest)).toBe(true);
    const text = await gsync(['status', '--config', w.configFile], { env });
    expect(text.stdout).toMatch(/^hook {5}onSucceeded owed for task [0-9a-f-]+ \(SUCCEEDED\) since \S+: 1 attempt, last exit 4$/m);
  }, 30_000);
});

describe('hooks config', () => {
  const base = {
    name: 'j',
    source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: '/data' },
    destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/archive' },
    auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2' },
    state: { path: '/var/lib/gsync/j.db' },
  };
  it('defaults: manifests beside the state database, 100 kept, 600 s timeout, no hooks', () => {
    const r = parseConfig(base);
    expect(r.ok && r.config.hooks).toEqual({ manifestDir: '/var/lib/gsync/j.manifests', keepManifests: 100, timeoutSeconds: 600, parallel: 1, maxAttempts: 5 });
  });
  it('refuses a hook that is not an argv array, and keepManifests 0 with onSucceeded', () => {
    const errors = (hooks: unknown) => {
      const r = parseConfig({ ...base, hooks });
      return r.ok ? [] : r.errors;
    };
    expect(errors({ onSucceeded: '/bin/true' })[0]).toMatch(/^hooks\.onSucceeded: /);
    expect(errors({ onSucceeded: [] })[0]).toMatch(/^hooks\.onSucceeded: must name a program/);
    expect(errors({ onSucceeded: ['/bin/true'], keepManifests: 0 })).toEqual([
      'hooks.keepManifests: must be at least 1 while hooks.onSucceeded is set: the hook reads the manifest',
    ]);
    expect(errors({ timeoutSeconds: 0 })[0]).toMatch(/^hooks\.timeoutSeconds: /);
    expect(errors({ onSucess: ['/bin/true'] })[0]).toMatch(/unknown key hooks\.onSucess/);
  });
});
