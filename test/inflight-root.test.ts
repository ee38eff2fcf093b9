import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/run/outcome.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

describe('a new tree whose one recursive item is still in flight', () => {
  let w: JobWorld | undefined;
  afterEach(async () => {
    await w?.cleanup();
    w = undefined;
  });

  it('the next run ships only what is new, never the root again, and a failed root ships whole later', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a', 'sub/b.txt': 'b' });
    w.srv.faults.faultNextTask(); // the first task stays ACTIVE, faulting, until we end it
    const first = await w.run({ wait: false });
    expect(first.taskId).not.toBeNull();
    expect(first.items).toBe(1); // the root as one recursive item
    const posts = w.srv.tasks.list().length;
    writeTree(w.src, { 'c.txt': 'new while the root is in flight' });
    const meanwhile = await w.run({ wait: false });
    expect(exitCodeForRun(meanwhile), meanwhile.settled.problems.join('; ')).toBe(0);
    // Only the file the open task cannot be known to carry goes; the in-flight root is not sent again.
    expect(w.srv.tasks.list().length).toBe(posts + 1);
    expect([meanwhile.items, meanwhile.files]).toEqual([1, 1]);
    const t = w.srv.tasks.get(first.taskId!)!;
    t.abort.abort();
    t.finish('FAILED', { code: 'CANCELED', description: 'canceled' });
    await w.run();
    await w.run();
    expect(w.diff()).toBe('');
  });

  it('an empty tree: while its root is in flight the next run submits nothing and succeeds (it once failed on pending.node_id)', async () => {
    w = await jobWorld();
    w.srv.faults.faultNextTask();
    const first = await w.run({ wait: false });
    expect(first.items).toBe(1); // the empty source directory as one recursive item
    const posts = w.srv.tasks.list().length;
    const meanwhile = await w.run({ wait: false });
    expect(exitCodeForRun(meanwhile), meanwhile.settled.problems.join('; ')).toBe(0);
    expect(meanwhile.outcome).toBe('nothing-to-do');
    expect(w.srv.tasks.list().length).toBe(posts);
  });

  it('every entry replaced while the root is in flight: the new ones ship one by one, the root never again', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'old.txt': 'old' });
    w.srv.faults.faultNextTask();
    const first = await w.run({ wait: false });
    expect(first.items).toBe(1);
    fs.rmSync(path.join(w.src, 'old.txt'));
    writeTree(w.src, { 'new.txt': 'new', 'dir/n2.txt': 'n2' });
    const meanwhile = await w.run({ wait: false });
    expect(exitCodeForRun(meanwhile), meanwhile.settled.problems.join('; ')).toBe(0);
    const items = w.srv.tasks.get(meanwhile.taskId!)!.items;
    expect(items.map((i) => `${i.recursive ? 'R' : 'F'} ${i.source_path}`).sort()).toEqual([
      expect.stringMatching(/^F .*\/new\.txt$/),
      expect.stringMatching(/^R .*\/dir\/$/),
    ]);
  });
});

