import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authError, failure } from '../src/errors/errors.js';
import { acquireJobLock, lockPathFor } from '../src/lock/job-lock.js';
import { silentLogger } from '../src/log/logger.js';
import { openState } from '../src/state/open.js';
import { openSubmissions } from '../src/ledger/transfer-rows.js';
import { runJob, type RunJobResult } from '../src/sync/run-job.js';
import { watchLoop, type CycleReason, type WatchLoopOptions } from '../src/watch/watch-loop.js';
import { watchSource, type WatchSourceOptions } from '../src/watch/source-watcher.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { ManualClock } from './helpers/manual-clock.js';
import { writeTree } from './server-support.js';

let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

const openCount = (world: JobWorld) => {
  const st = openState(world.config.state.path);
  try {
    return openSubmissions(st).length;
  } finally {
    st.close();
  }
};

/** The real cycle (runJob without waiting), recording why each ran. */
function recordingCycle(world: JobWorld, reasons: CycleReason[], extra: Partial<Parameters<typeof runJob>[0]> = {}): NonNullable<WatchLoopOptions['runCycle']> {
  return (signal, reason) => {
    reasons.push(reason);
    return runJob({ config: world.config, logger: silentLogger, ...world.wiring, wait: false, signal, ...extra });
  };
}

describe('gsync watch against the local server', () => {
  it('syncs at start, then ships a new file once changes settle, and stops cleanly on abort', async () => {
    w = await jobWorld({}, { scan: { minAgeSeconds: 0, exclude: ['**/*.tmp'] } });
    const world = w;
    writeTree(world.src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    const stop = new AbortController();
    const reasons: CycleReason[] = [];
    let changesSeen = 0;
    const loop = watchLoop({
      config: world.config,
      logger: silentLogger,
      signal: stop.signal,
      runCycle: recordingCycle(world, reasons),
      // The real watcher, counting the changes it reports.
      watchSource: (o) => watchSource({ ...o, change: () => (changesSeen++, o.change()) }),
      settleMs: 200,
      rescanIntervalMs: 600_000,
      pendingCheckMs: 200,
    });
    await until('the start cycle shipped the tree', () => fs.existsSync(path.join(world.dst, 'd/b.txt')));
    // Let the watcher's ready pass and the pending checks settle the first task.
    await until('the first task is settled', () => reasons.length >= 2 && openCount(world) === 0);
    const before = reasons.length;

    writeTree(world.src, { 'd/new/c.txt': 'c' });
    await until('the new file reached the destination', () => fs.existsSync(path.join(world.dst, 'd/new/c.txt')));
    expect(reasons.slice(before)).toContain('change');
    expect(fs.readFileSync(path.join(world.dst, 'd/new/c.txt'), 'utf8')).toBe('c');

    // An excluded file is not even reported: a file written after it is the only change seen,
    // and the one cycle it brings leaves the excluded file behind.
    await until('quiet again', () => openCount(world) === 0);
    const quiet = reasons.length;
    const seenBefore = changesSeen;
    writeTree(world.src, { 'scratch.tmp': 'x' });
    // Renamed into place from an excluded name, so after.txt itself makes exactly one event.
    writeTree(world.src, { 'after.tmp': 'after' });
    fs.renameSync(path.join(world.src, 'after.tmp'), path.join(world.src, 'after.txt'));
    await until('the file written after it shipped', () => fs.existsSync(path.join(world.dst, 'after.txt')));
    await until('quiet again', () => openCount(world) === 0);
    expect(changesSeen - seenBefore).toBe(1);
    expect(reasons.slice(quiet)).toContain('change');

    stop.abort();
    await expect(loop).resolves.toEqual({ exitCode: 0, cycles: reasons.length });
    expect(world.diff()).toBe('scratch.tmp: src "x" dst undefined');
    // Nothing is owed: the next run finds nothing to do.
    expect((await world.run()).result).toBe('nothing-to-do');
  });

  it('an abort in the middle of a cycle lets it finish; the next run settles the task and ships what is owed', async () => {
    w = await jobWorld({ taskDelayMs: 800 });
    const world = w;
    writeTree(world.src, { 'a.txt': 'a', 'big/b.bin': 'b'.repeat(100_000) });
    const stop = new AbortController();
    const results: RunJobResult[] = [];
    const loop = watchLoop({
      config: world.config,
      logger: silentLogger,
      signal: stop.signal,
      runCycle: async (signal) => {
        // Waits for the task like `run --wait`, so the abort lands mid-wait.
        const p = runJob({ config: world.config, logger: silentLogger, ...world.wiring, wait: true, pollIntervalMs: 20, signal });
        // Abort once the task is submitted, while the cycle waits on it.
        void until('the task is submitted', () => world.srv.tasks.list().length > 0).then(() => stop.abort());
        const r = await p;
        results.push(r);
        return r;
      },
      settleMs: 100,
      rescanIntervalMs: 600_000,
    });
    await expect(loop).resolves.toEqual({ exitCode: 0, cycles: 1 });
    // It stopped waiting at the abort instead of sitting out the task, which is still running.
    expect(results.map((r) => r.result)).toEqual(['still-active']);
    expect(world.srv.tasks.list().map((t) => t.status)).toEqual(['ACTIVE']);
    expect(openCount(world)).toBe(1);

    // More work arrives while nobody watches; the lock was released.
    writeTree(world.src, { 'later.txt': 'l' });
    await world.srv.tasks.waitFor(results[0]!.taskId!);
    const next = await world.run();
    expect(next.settled.succeeded).toBe(1);
    expect(next.result).toBe('succeeded');
    expect(next.files).toBe(1);
    expect(world.diff()).toBe('');
    expect(openCount(world)).toBe(0);
  });

  it('an abort right after a cycle starts still lets it submit and record its task', async () => {
    w = await jobWorld({ taskDelayMs: 300 });
    const world = w;
    writeTree(world.src, { 'a.txt': 'a' });
    const stop = new AbortController();
    const reasons: CycleReason[] = [];
    const cycle = recordingCycle(world, reasons);
    const loop = watchLoop({
      config: world.config,
      logger: silentLogger,
      signal: stop.signal,
      runCycle: (signal, reason) => {
        const p = cycle(signal, reason);
        stop.abort();
        return p;
      },
      rescanIntervalMs: 600_000,
    });
    await expect(loop).resolves.toEqual({ exitCode: 0, cycles: 1 });
    expect(world.srv.tasks.list()).toHaveLength(1);
    expect(openCount(world)).toBe(1);
    await world.srv.tasks.waitFor(world.srv.tasks.list()[0]!.id);
    const next = await world.run();
    expect(next.settled.succeeded).toBe(1);
    expect(next.result).toBe('nothing-to-do');
    expect(world.diff()).toBe('');
  });

  it('a cycle that finds the job locked is retried later, and the loop goes on', async () => {
    w = await jobWorld();
    const world = w;
    writeTree(world.src, { 'a.txt': 'a' });
    const lock = acquireJobLock(lockPathFor(world.config.state.path));
    const stop = new AbortController();
    const reasons: CycleReason[] = [];
    const loop = watchLoop({
      config: world.config,
      logger: silentLogger,
      signal: stop.signal,
      runCycle: recordingCycle(world, reasons),
      retryMs: 150,
      rescanIntervalMs: 600_000,
    });
    // A second retry starts only once the first has found the lock held and finished.
    await until('a retry found the job locked', () => reasons.filter((r) => r === 'retry').length >= 2);
    expect(fs.existsSync(path.join(world.dst, 'a.txt'))).toBe(false);
    lock.release();
    await until('the retry shipped the file', () => fs.existsSync(path.join(world.dst, 'a.txt')));
    stop.abort();
    expect((await loop).exitCode).toBe(0);
  });
});

describe('gsync watch, the command', () => {
  it('ships a change, and on SIGTERM stops cleanly with exit 0', async () => {
    assertBuilt();
    w = await jobWorld();
    const world = w;
    writeTree(world.src, { 'a.txt': 'a' });
    let pid = 0;
    const done = gsync(['--config', world.configFile, 'watch'], { env: { ...process.env, ...world.env }, onSpawn: (p) => (pid = p) });
    await until('the start cycle shipped a.txt', () => fs.existsSync(path.join(world.dst, 'a.txt')));
    writeTree(world.src, { 'sub/b.txt': 'b' });
    await until('b.txt shipped after the change settled', () => fs.existsSync(path.join(world.dst, 'sub/b.txt')));
    process.kill(pid, 'SIGTERM');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('SIGTERM: stopping after the cycle in progress');
    expect(r.stderr).toContain('watch stopped');
    // The lock is free and nothing is lost: a run settles what watch left and finds the trees equal.
    const next = await world.run();
    expect(['nothing-to-do', 'succeeded']).toContain(next.result);
    expect(world.diff()).toBe('');
  });
});

/** A watcher the test fires by hand; records whether it was closed. */
function fakeWatcher() {
  const w = { opts: null as WatchSourceOptions | null, closed: false };
  const factory: typeof watchSource = (opts) => {
    w.opts = opts;
    return { close: async () => void (w.closed = true) };
  };
  return { w, factory, change: () => w.opts!.change() };
}

/** The loop on a fake watcher with a fake cycle: only its scheduling is under test. */
function scheduled(config: WatchLoopOptions['config'], fw: ReturnType<typeof fakeWatcher>, signal: AbortSignal, opts: Partial<WatchLoopOptions>) {
  return watchLoop({ config, logger: silentLogger, runCycle: async () => fakeResult(), signal, watchSource: fw.factory, ...opts });
}

function fakeResult(over: Partial<RunJobResult> = {}): RunJobResult {
  return {
    outcome: 'nothing-to-do',
    result: 'nothing-to-do',
    taskId: null,
    submissionRowId: null,
    tasks: [],
    items: 0,
    files: 0,
    bytes: 0n,
    plan: { items: 0, files: 0, bytes: 0n, deferred: 0, mtimeNotNewer: 0, excluded: 0, skipped: 0, inflight: 0, gone: 0, unshippable: 0, scanned: { files: 0, dirs: 0 } },
    settled: { succeeded: 0, failed: 0, active: 0, inactive: 0, skippedPaths: 0, historyDeleted: 0, problems: [], deliveries: [] },
    delivery: null,
    deletes: { deletedPaths: 0, succeeded: 0, failed: 0, active: 0, submitted: null, stoppedBy: null, planned: 0, stillOpen: false },
    ...over,
  };
}

describe('watch loop scheduling', () => {
  const config = async () => {
    w = await jobWorld();
    return w.config;
  };

  it('a burst of changes makes one cycle, after the changes have settled', async () => {
    const cfg = await config();
    const fw = fakeWatcher();
    const clock = new ManualClock();
    const stop = new AbortController();
    const at: Array<[CycleReason, number]> = [];
    const loop = scheduled(cfg, fw, stop.signal, {
      clock,
      settleMs: 200,
      rescanIntervalMs: 600_000,
      runCycle: async (_s, reason) => {
        at.push([reason, clock.now()]);
        return fakeResult();
      },
    });
    await clock.idle();
    const t0 = clock.now();
    expect(at).toEqual([['start', t0]]);
    for (let i = 0; i < 5; i++) {
      fw.change();
      await clock.advance(80);
    }
    // The last change came at t0 + 320: the cycle runs 200 ms after it, not after the first.
    await clock.advance(1_000);
    expect(at).toEqual([['start', t0], ['change', t0 + 320 + 200]]);
    stop.abort();
    expect(await loop).toEqual({ exitCode: 0, cycles: 2 });
    expect(fw.w.closed).toBe(true);
  });

  it('a tree that never goes quiet still gets a cycle after maxWaitMs', async () => {
    const cfg = await config();
    const fw = fakeWatcher();
    const clock = new ManualClock();
    const stop = new AbortController();
    const at: Array<[CycleReason, number]> = [];
    const loop = scheduled(cfg, fw, stop.signal, {
      clock,
      settleMs: 200,
      maxWaitMs: 500,
      rescanIntervalMs: 600_000,
      runCycle: async (_s, reason) => {
        at.push([reason, clock.now()]);
        return fakeResult();
      },
    });
    await clock.idle();
    const first = clock.now();
    // A change every 50 ms for 900 ms: never 200 ms of quiet.
    while (clock.now() - first < 900) {
      fw.change();
      await clock.advance(50);
    }
    stop.abort();
    await loop;
    // Forced 500 ms after the first change; the next burst (from first + 550) is not due before first + 1050.
    expect(at.slice(1)).toEqual([['change', first + 500]]);
  });

  it('rescans on the interval with no events at all (NFS, Lustre, GPFS)', async () => {
    const cfg = await config();
    const fw = fakeWatcher();
    const clock = new ManualClock();
    const stop = new AbortController();
    const at: Array<[CycleReason, number]> = [];
    const loop = scheduled(cfg, fw, stop.signal, {
      clock,
      rescanIntervalMs: 150,
      runCycle: async (_s, reason) => {
        at.push([reason, clock.now()]);
        return fakeResult();
      },
    });
    await clock.idle();
    const t0 = clock.now();
    await clock.advance(449);
    stop.abort();
    await loop;
    expect(at).toEqual([['start', t0], ['rescan', t0 + 150], ['rescan', t0 + 300]]);
  });

  it('a submitted task brings a follow-up cycle to settle it; deferred files one after the settle time', async () => {
    const cfg = await config();
    const fw = fakeWatcher();
    const clock = new ManualClock();
    const stop = new AbortController();
    const at: Array<[CycleReason, number]> = [];
    const queue = [fakeResult({ outcome: 'submitted', result: 'submitted', taskId: 't1', submissionRowId: 1 }), fakeResult({ plan: { ...fakeResult().plan, deferred: 2 } })];
    const loop = scheduled(cfg, fw, stop.signal, {
      clock,
      settleMs: 100,
      pendingCheckMs: 250,
      rescanIntervalMs: 600_000,
      runCycle: async (_s, reason) => {
        at.push([reason, clock.now()]);
        return queue.shift() ?? fakeResult();
      },
    });
    await clock.idle();
    const t0 = clock.now();
    await clock.advance(10_000);
    stop.abort();
    await loop;
    expect(at).toEqual([['start', t0], ['pending', t0 + 250], ['change', t0 + 250 + 100]]);
  });

  it('an auth error stops watch with exit 77 and closes the watcher', async () => {
    const cfg = await config();
    const fw = fakeWatcher();
    const res = await scheduled(cfg, fw, new AbortController().signal, {
      runCycle: async () => {
        throw authError('no tokens', 'run: gsync login');
      },
    });
    expect(res).toEqual({ exitCode: 77, cycles: 1 });
    expect(fw.w.closed).toBe(true);
  });

  it('other errors are logged and retried with backoff; the loop goes on', async () => {
    const cfg = await config();
    const fw = fakeWatcher();
    const clock = new ManualClock();
    const stop = new AbortController();
    const at: number[] = [];
    const loop = scheduled(cfg, fw, stop.signal, {
      clock,
      retryMs: 50,
      rescanIntervalMs: 600_000,
      runCycle: async () => {
        at.push(clock.now());
        if (at.length <= 3) throw failure('Globus answered 503');
        return fakeResult();
      },
    });
    await clock.advance(10_000);
    stop.abort();
    expect((await loop).exitCode).toBe(0);
    // 50, 100, 200 ms apart: each failure waits twice as long; then the next is the rescan.
    expect(at.map((t) => t - at[0]!)).toEqual([0, 50, 150, 350]);
  });
});
