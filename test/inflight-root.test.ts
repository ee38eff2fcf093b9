import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/errors/exit-codes.js';
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
    expect(exitCodeForRun(meanwhile), meanwhile.reconciled.problems.join('; ')).toBe(0);
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
});
