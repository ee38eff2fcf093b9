import { describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/run/outcome.js';
import { writeTree } from './server-support.js';
import { memoryJob, type MemoryJob } from './helpers/memory-job.js';

/** runJob over the in-memory remote: no server, no network, a story per test. */
let job: MemoryJob | undefined;

describe('runJob against the in-memory remote', () => {
  it('a new tree goes as one recursive item; an unchanged tree asks Globus for nothing', async () => {
    job = memoryJob('sync-memory');
    writeTree(job.src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    const first = await job.run();
    expect(first.outcome).toBe('shipped');
    expect(job.remote.submitted.map((d) => d.DATA.map((i) => [i.source_path, i.destination_path, i.recursive]))).toEqual([[['/', '/dst/', true]]]);
    job.remote.calls.length = 0;
    const second = await job.run();
    expect(second.outcome).toBe('nothing-to-do');
    expect(exitCodeForRun(second)).toBe(0);
    expect(job.remote.calls).not.toContain('submitTransfer');
    expect(job.remote.submitted).toHaveLength(1);
  });

  it('a FAILED task: outcome task-failed, exit 1, and the next run sends its file again', async () => {
    job = memoryJob('sync-memory');
    writeTree(job.src, { 'a.txt': 'a' });
    job.remote.endNextTask({ status: 'FAILED', code: 'PERMISSION_DENIED', description: 'no' });
    const failed = await job.run();
    expect(failed.outcome).toBe('task-failed');
    expect(exitCodeForRun(failed)).toBe(1);
    const retry = await job.run();
    expect(retry.outcome).toBe('shipped');
    expect(job.remote.submitted).toHaveLength(2);
    expect(job.remote.submitted[1]!.DATA.map((i) => i.source_path)).toEqual(job.remote.submitted[0]!.DATA.map((i) => i.source_path));
  });

  it('a task still ACTIVE keeps its paths out of the next transfer; once it succeeds they count as shipped', async () => {
    job = memoryJob('sync-memory');
    writeTree(job.src, { 'a.txt': 'a', 'b.txt': 'b' });
    job.remote.endNextTask({ status: 'ACTIVE' });
    const sent = await job.run({ wait: false });
    expect(sent.outcome).toBe('submitted');
    writeTree(job.src, { 'c.txt': 'c' });
    const held = await job.run({ wait: false });
    expect(held.settled.active).toBe(1);
    expect(job.remote.submitted[1]!.DATA.map((i) => i.source_path)).toEqual(['/c.txt']);
    job.remote.complete(sent.taskId!);
    const idle = await job.run();
    expect(idle.settled.succeeded).toBe(2);
    expect(idle.outcome).toBe('nothing-to-do');
    expect(job.remote.submitted).toHaveLength(2);
  });
});
