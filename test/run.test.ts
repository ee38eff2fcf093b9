import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openState } from '../src/state/open.js';
import { openSubmissions } from '../src/ledger/transfer-rows.js';
import { stateSummary } from '../src/state/summary.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';
import { exitCodeForRun } from '../src/run/outcome.js';

let w: JobWorld;
afterEach(async () => {
  await w?.cleanup();
});

const transfers = () => w.srv.requests.count('/transfer', 'POST');
/** Files Globus was asked to consider, per task, newest last. */
const taskFiles = () => w.srv.tasks.list().map((t) => t.filesSeen.size);

/** Files as a sync job meets them: written an hour ago. */
function seed(tree: Record<string, string>) {
  writeTree(w.src, tree);
  for (const rel of Object.keys(tree)) if (!rel.endsWith('/')) setMtime(rel, -3600);
}

function setMtime(rel: string, secondsFromNow: number) {
  const t = new Date(Date.now() + secondsFromNow * 1000);
  fs.utimesSync(path.join(w.src, rel), t, t);
}

/** An edit some seconds ago: newer than the seeded version in whole seconds, as Globus compares. */
function edit(rel: string, content: string) {
  fs.writeFileSync(path.join(w.src, rel), content);
  setMtime(rel, -10);
}

describe('gsync run against the local Globus server', () => {
  it('ships everything first, then only what changed', async () => {
    w = await jobWorld();
    seed({ 'a.txt': 'a', 'd/b.txt': 'b', 'd/e/c.txt': 'c', 'empty/': '' });
    const first = await w.run();
    expect(first.result).toBe('succeeded');
    expect(exitCodeForRun(first)).toBe(0);
    expect(first.files).toBe(3);
    expect(w.diff()).toBe('');

    const idle = await w.run();
    expect(idle.result).toBe('nothing-to-do');
    expect(transfers()).toBe(1);

    edit('d/e/c.txt', 'c2');
    seed({ 'new/x.txt': 'x' });
    const second = await w.run();
    expect(second.result).toBe('succeeded');
    expect(second.files).toBe(2);
    expect(taskFiles().at(-1)).toBe(2);
    expect(w.diff()).toBe('');
  });

  it('without --wait records the task, and the next run commits it', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    const r = await w.run({ wait: false });
    expect(r.result).toBe('submitted');
    await w.srv.tasks.waitFor(r.taskId!);
    const state = openState(w.config.state.path);
    expect(openSubmissions(state)).toHaveLength(1);
    state.close();
    const next = await w.run({ wait: false });
    expect(next.settled.succeeded).toBe(1);
    expect(next.result).toBe('nothing-to-do');
    expect(w.diff()).toBe('');
  });

  it("ships a FAILED task's files again", async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    w.srv.faults.failNextTask({ code: 'PERMISSION_DENIED', description: 'denied by test' });
    const failed = await w.run();
    expect(failed.result).toBe('failed');
    expect(exitCodeForRun(failed)).toBe(1);
    const retry = await w.run();
    expect(retry.result).toBe('succeeded');
    expect(retry.files).toBe(2);
    expect(w.diff()).toBe('');
  });

  it('keeps an ACTIVE task out of the next submission and reports INACTIVE as an error', async () => {
    w = await jobWorld({ taskStartDelayMs: 300 });
    writeTree(w.src, { 'a.txt': 'a' });
    const r = await w.run({ wait: false });
    writeTree(w.src, { 'b.txt': 'b' });
    const overlap = await w.run({ wait: false });
    expect(overlap.settled.active).toBe(1);
    expect(overlap.files).toBe(1); // b.txt only: a.txt is in flight
    await w.srv.tasks.waitFor(r.taskId!);
    await w.srv.tasks.waitFor(overlap.taskId!);
    expect((await w.run()).result).toBe('nothing-to-do');
    expect(w.diff()).toBe('');

    w.srv.faults.inactivateNextTask({ description: 'credentials expired' });
    writeTree(w.src, { 'c.txt': 'c' });
    const inactive = await w.run({ wait: false });
    await w.srv.tasks.waitFor(inactive.taskId!, ['INACTIVE']);
    const seen = await w.run({ wait: false });
    expect(seen.settled.inactive).toBe(1);
    expect(exitCodeForRun(seen)).toBe(1);
    expect(seen.settled.problems.join()).toContain(inactive.taskId!);
  });

  it('--wait stops at an INACTIVE task: exit 1 naming it, its paths held until it ends', async () => {
    w = await jobWorld();
    seed({ 'a.txt': 'a' });
    w.srv.faults.inactivateNextTask({ description: 'credentials expired' });
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.result).toBe('problems');
    expect(r.settled.problems.join()).toContain(`task ${r.taskId} is INACTIVE`);
    const state = openState(w.config.state.path);
    expect(openSubmissions(state).map((s) => s.status)).toEqual(['INACTIVE']);
    state.close();
  });

  it('with no login at all, exits 77 before it scans', async () => {
    w = await jobWorld();
    seed({ 'a.txt': 'a' });
    const err = await w.run({ env: w.srv.env }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'auth', message: expect.stringContaining('no Globus login for this job') });
    const state = openState(w.config.state.path);
    expect(stateSummary(state).dirty).toBe(0); // nothing scanned: a.txt has no node yet
    state.close();
    expect(w.srv.requests.count('/v0.10/', 'GET')).toBe(0);
  });

  it('caps a transfer at transfer.maxItems; the rest stays owed and goes with the next run', async () => {
    w = await jobWorld({}, { transfer: { maxItems: 2 } });
    seed({ 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    await w.run();
    for (const f of ['a.txt', 'b.txt', 'c.txt']) edit(f, `${f} again`);
    const capped = await w.run();
    expect([capped.items, capped.files, capped.plan.items]).toEqual([2, 2, 3]);
    expect(w.diff()).not.toBe('');
    const rest = await w.run();
    expect([rest.items, rest.files]).toEqual([1, 1]);
    expect(w.diff()).toBe('');
  });

  it('ships again a file changed while its transfer ran', async () => {
    w = await jobWorld({ taskStartDelayMs: 200 });
    seed({ 'a.txt': 'one' });
    const r = await w.run({ wait: false });
    edit('a.txt', 'two, longer');
    await w.srv.tasks.waitFor(r.taskId!);
    const next = await w.run();
    expect(next.settled.succeeded).toBe(1);
    expect(next.files).toBe(1);
    expect(w.diff()).toBe('');
  });

  it('recovers from a storm of 429 and 503 answers', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a', 'b/c.txt': 'c' });
    w.srv.faults.tooManyRequests(2, { retryAfterSeconds: 0 });
    w.srv.faults.unavailable(2);
    w.srv.faults.unavailable(1, { path: /\/transfer$/, method: 'POST' });
    w.srv.faults.unavailable(1, { path: /\/transfer$/, method: 'POST', after: true });
    const r = await w.run();
    expect(r.result).toBe('succeeded');
    expect(w.srv.tasks.list()).toHaveLength(1);
    expect(w.diff()).toBe('');
  });

  it('lost answer to the POST: the next run re-POSTs the same submission_id and Globus runs it once', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    // Every retry of the POST loses its answer, so this run gives up with the task created at Globus.
    w.srv.faults.resetConnection(10, { path: /\/transfer$/, method: 'POST', after: true });
    await expect(w.run()).rejects.toThrow();
    w.srv.faults.clear();
    expect(w.srv.tasks.list()).toHaveLength(1);
    const next = await w.run();
    expect(next.settled.succeeded).toBe(1);
    expect(w.srv.tasks.list()).toHaveLength(1);
    expect(w.diff()).toBe('');
  });

  it('two overlapping runs submit once; the other is refused with the lock', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    const results = await Promise.allSettled([w.run(), w.run()]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason.kind).toBe('locked');
    expect(transfers()).toBe(1);
    expect(w.diff()).toBe('');
  });

  it('leaves a file Globus skipped owed, and ships it on a later run', async () => {
    w = await jobWorld({ taskStartDelayMs: 200 });
    seed({ 'keep.txt': 'k', 'gone.txt': 'g' });
    await w.run();
    edit('keep.txt', 'k2');
    edit('gone.txt', 'g2');
    // Slow start, so the file can vanish between the scan and the copy.
    const r = await w.run({ wait: false });
    fs.rmSync(path.join(w.src, 'gone.txt'));
    await w.srv.tasks.waitFor(r.taskId!);
    const next = await w.run();
    expect(next.settled.succeeded).toBe(1);
    expect(next.settled.skippedPaths).toBe(1);
    seed({ 'gone.txt': 'back' });
    const again = await w.run();
    expect(again.files).toBe(1);
    expect(w.diff()).toBe('');
  });
});

describe('sync_level', () => {
  it('a file whose mtime moved backwards (cp -p) still reaches the destination', async () => {
    w = await jobWorld();
    seed({ 'a.txt': 'new contents' });
    await w.run();
    fs.writeFileSync(path.join(w.src, 'a.txt'), 'restored from an older copy');
    setMtime('a.txt', -7200);
    const r = await w.run();
    expect(r.plan.mtimeNotNewer).toBe(1);
    expect(w.srv.tasks.list().at(-1)?.options.syncLevel).toBe(3);
    expect(w.diff()).toBe('');
  });
});
