import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/run/outcome.js';
import { openState } from '../src/state/open.js';
import { repairCount } from '../src/state/repair.js';
import { stateSummary } from '../src/state/summary.js';
import { writeAged } from './helpers/aged-tree.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { readTree, writeTree } from './server-support.js';

/**
 * What a task that did not succeed leaves, and the paths whose fate Globus
 * reports late or never: none may be recorded as shipped, and each must reach
 * the destination whole on a later run.
 */
let w: JobWorld;
afterEach(async () => {
  await w?.cleanup();
});

const HOUR = 3600;
const at = (tree: Record<string, string>, secondsAgo: number) => writeAged(w.src, tree, secondsAgo);
const repairsOwed = () => {
  const s = openState(w.config.state.path);
  try {
    return repairCount(s);
  } finally {
    s.close();
  }
};
const summary = () => {
  const s = openState(w.config.state.path);
  try {
    return stateSummary(s);
  } finally {
    s.close();
  }
};
const lastTask = () => w.srv.tasks.list().at(-1)!;

describe('partial copies after a task that did not succeed', () => {
  it('a FAILED task left truncated copies dated now: the next run repairs exactly those paths with checksum, the rest goes with mtime', async () => {
    w = await jobWorld();
    at({ 'keep.txt': 'kept as it was', 'edit.txt': 'version one' }, HOUR);
    expect((await w.run()).result).toBe('succeeded');
    at({ 'edit.txt': 'version two, longer', 'new/n.txt': 'brand new file' }, 10);
    w.srv.faults.failNextTask({ code: 'CONNECTION_RESET', description: 'cut off' });
    expect((await w.run()).result).toBe('failed');
    // The server wrote in place: truncated copies, newer than the source.
    expect(readTree(w.dst)['edit.txt']).toBe('version t');
    expect(readTree(w.dst)['new/n.txt']).toBe('brand n');
    expect(fs.statSync(path.join(w.dst, 'edit.txt')).mtimeMs).toBeGreaterThan(fs.statSync(path.join(w.src, 'edit.txt')).mtimeMs);
    expect(repairsOwed()).toBeGreaterThan(0);

    at({ 'other.txt': 'unrelated change' }, 10);
    const r = await w.run();
    expect(r.result, r.settled.problems.join()).toBe('succeeded');
    expect(r.tasks.map((t) => [t.repair, t.syncLevel, t.files])).toEqual([
      [true, 'checksum', 2],
      [false, 'mtime', 1],
    ]);
    const [repair, normal] = r.tasks.map((t) => w.srv.tasks.get(t.taskId)!);
    expect(repair!.options.syncLevel).toBe(3);
    expect(normal!.options.syncLevel).toBe(2);
    expect(w.diff()).toBe(''); // byte for byte
    expect(repairsOwed()).toBe(0);
    expect((await w.run()).result).toBe('nothing-to-do');
  });

  it('repair is remembered until a task carrying the paths SUCCEEDED: a failed repair task keeps them owed for repair', async () => {
    w = await jobWorld();
    at({ 'a.txt': 'aaaaaaaaaaaa', 'd/b.txt': 'bbbbbbbbbbbb' }, HOUR);
    w.srv.faults.failNextTask();
    expect((await w.run()).result).toBe('failed');
    w.srv.faults.failNextTask();
    const second = await w.run();
    expect(second.result).toBe('failed');
    expect(second.tasks.map((t) => t.repair)).toEqual([true]);
    expect(repairsOwed()).toBeGreaterThan(0);
    expect(readTree(w.dst)['a.txt']).toBe('aaaaaa');
    const third = await w.run();
    expect(third.result).toBe('succeeded');
    expect(third.tasks.map((t) => [t.repair, t.syncLevel])).toEqual([[true, 'checksum']]);
    expect(w.diff()).toBe('');
    expect(repairsOwed()).toBe(0);
  });

  it('a task cut off at its deadline: its paths ship again and are repaired', async () => {
    // Long enough that the POST reaches the server before the deadline on a loaded machine (the server refuses a past one).
    w = await jobWorld({ faultRetryMs: 50 }, { transfer: { deadlineSeconds: 5 } });
    at({ 'x.txt': 'xxxxxxxxxxxx' }, HOUR);
    w.srv.faults.faultNextTask({ code: 'CONNECTION_RESET' });
    const r = await w.run();
    expect(r.result).toBe('failed');
    expect(w.srv.tasks.get(r.taskId!)!.subtasksExpired).toBe(1);
    expect(readTree(w.dst)['x.txt']).toBe('xxxxxx');
    expect((await w.run()).result).toBe('succeeded');
    expect(w.diff()).toBe('');
  });
});

describe('sync_level mtime, read literally', () => {
  it('a same-second edit of different size still reaches the destination (checksum, since mtime cannot tell)', async () => {
    w = await jobWorld();
    const second = Math.floor(Date.now() / 1000) - HOUR;
    writeTree(w.src, { 'a.txt': 'first' });
    fs.utimesSync(path.join(w.src, 'a.txt'), second, second);
    expect((await w.run()).result).toBe('succeeded');
    fs.writeFileSync(path.join(w.src, 'a.txt'), 'second, and longer');
    fs.utimesSync(path.join(w.src, 'a.txt'), second + 0.5, second + 0.5);
    const r = await w.run();
    expect(r.plan.mtimeNotNewer).toBe(1);
    expect(lastTask().options.syncLevel).toBe(3);
    expect(w.diff()).toBe('');
  });
});

describe('paths whose outcome Globus reports late or never', () => {
  it('a file Globus skipped (unreadable to the server) and that does not change stays owed, and ships once readable', async () => {
    w = await jobWorld();
    at({ 'keep.txt': 'k', 'secret.txt': 'locked away' }, HOUR);
    w.srv.faults.denySource('/secret.txt');
    const first = await w.run();
    // The task SUCCEEDED, but Globus skipped a path that still exists locally: a person must look (issue 20: exit 1).
    expect(first.result).toBe('problems');
    expect(first.delivery).toMatchObject({ filesTransferred: 1, owed: 1 });
    expect(lastTask().skipped.map((s) => [s.source_path, s.error_code])).toEqual([['/secret.txt', 'PERMISSION_DENIED']]);
    expect(readTree(w.dst)).toEqual({ 'keep.txt': 'k' });
    // Unchanged, still unreadable: every run offers it again.
    const again = await w.run();
    expect([again.result, again.files]).toEqual(['problems', 1]);
    expect(again.settled.skippedPaths).toBe(0);
    w.srv.faults.denySource('/secret.txt', false);
    const fixed = await w.run();
    expect([fixed.result, fixed.files]).toEqual(['succeeded', 1]);
    expect(w.diff()).toBe('');
  });

  it('a task ACTIVE for several runs (paths held, nothing committed) that then FAILS: its paths ship again', async () => {
    w = await jobWorld({ taskStartDelayMs: 60_000 });
    at({ 'a.txt': 'aaaa', 'b.txt': 'bbbb' }, HOUR);
    const r = await w.run({ wait: false });
    const task = w.srv.tasks.get(r.taskId!)!;
    for (let i = 0; i < 3; i++) {
      const held = await w.run({ wait: false });
      expect([held.result, held.settled.active, held.files]).toEqual(['nothing-to-do', 1, 0]);
      expect(task.status).toBe('ACTIVE');
      expect(task.faults).toBe(0);
      expect(summary()).toMatchObject({ tracked: 0, inflight: 3 });
    }
    // It ends FAILED (cancelled here: what a person or Globus support does to a stuck task).
    task.abort.abort(new Error('canceled'));
    task.finish('FAILED', { code: 'CANCELED', description: 'canceled' });
    const next = await w.run({ wait: false });
    expect(next.settled.failed).toBe(1);
    expect(next.files).toBe(2);
    expect(summary().tracked).toBe(0);
  });

  it('a SUCCEEDED task whose history Globus deleted (history_deleted): nothing is committed unread, its paths ship again', async () => {
    w = await jobWorld();
    at({ 'keep.txt': 'k', 'secret.txt': 'locked away' }, HOUR);
    w.srv.faults.denySource('/secret.txt');
    const r = await w.run({ wait: false });
    const task = await w.srv.tasks.waitFor(r.taskId!);
    expect(task.status).toBe('SUCCEEDED');
    task.deleteHistory(); // 30 days later: skipped_errors answers an empty list
    w.srv.faults.denySource('/secret.txt', false);
    const next = await w.run();
    expect(next.settled.historyDeleted).toBe(1);
    expect(next.settled.succeeded).toBe(0);
    expect(next.result).toBe('succeeded');
    expect(w.diff()).toBe('');
  });
});

describe('requests Globus refuses', () => {
  it('a label template with outer spaces ships (the label is trimmed), where Globus would refuse it on every run', async () => {
    w = await jobWorld({}, { transfer: { label: '  gsync {name}  ' } });
    at({ 'a.txt': 'a' }, HOUR);
    const r = await w.run();
    expect(r.result).toBe('succeeded');
    expect(lastTask().options.label).toBe('gsync e2e');
  });
});

describe('transfer.maxOpenTasks', () => {
  it('with that many tasks still open, a run records what it scanned, submits nothing, exits 0; the paths stay owed', async () => {
    w = await jobWorld({ taskStartDelayMs: 60_000 }, { transfer: { maxOpenTasks: 2 } });
    at({ 'a.txt': 'a' }, HOUR);
    await w.run({ wait: false });
    at({ 'b.txt': 'b' }, HOUR);
    await w.run({ wait: false });
    expect(w.srv.tasks.list()).toHaveLength(2);
    at({ 'c.txt': 'c' }, HOUR);
    const held = await w.run({ wait: false });
    expect([held.outcome, held.result, exitCodeForRun(held), held.taskId, held.files]).toEqual(['held', 'held', 0, null, 1]);
    expect(w.srv.tasks.list()).toHaveLength(2);
    expect(summary()).toMatchObject({ dirty: 3, inflight: 3 }); // a and b in flight (with the root), c owed
    // Once one ends, the owed file goes.
    const first = w.srv.tasks.list()[0]!;
    first.abort.abort(new Error('canceled'));
    first.finish('FAILED', { code: 'CANCELED', description: 'canceled' });
    const next = await w.run({ wait: false });
    expect(next.result).toBe('problems'); // the cancelled task is reported
    // The cancelled task carried the whole (then new) source directory as one recursive item, so
    // a.txt and c.txt, never shipped since, both go in one repair task (checksum).
    expect(next.tasks.map((t) => [t.repair, t.files])).toEqual([[true, 2]]);
    expect(w.srv.tasks.list()).toHaveLength(3);
  });

  it('defaults to 2', async () => {
    w = await jobWorld();
    expect(w.config.transfer.maxOpenTasks).toBe(2);
  });
});
