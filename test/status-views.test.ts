import { describe, expect, it } from 'vitest';
import { renderStatusText, type StatusView } from '../src/report/render-status.js';
import { fillFromState, fillLiveStatus, newStatusView, wantsLiveStatus, type StatusRemote } from '../src/report/status-view.js';
import { openExistingState } from '../src/state/open.js';
import { memoryJob } from './helpers/memory-job.js';
import { writeTree } from './server-support.js';
import { MemoryRemote } from './support/memory-remote.js';

/** `gsync status`'s views (src/report/status-view.ts) over the in-memory remote: no server, no login. */
function statusJob() {
  const { src, config, remote, run: runWaiting } = memoryJob('status-views');
  const run = () => runWaiting({ wait: false });
  /** What status would show, the live part asked of `live` (the in-memory remote unless a test gives another). */
  const view = async (live: StatusRemote = remote): Promise<StatusView> => {
    const v = newStatusView(config);
    const state = openExistingState(config.state.path)!;
    try {
      fillFromState(v, state, config.hooks);
    } finally {
      state.close();
    }
    if (wantsLiveStatus(v)) await fillLiveStatus(v, live);
    return v;
  };
  return { src, remote, run, view };
}

describe('status views on the in-memory remote', () => {
  it("a submitted task: its recorded status from the state, its live status from the remote's getTask", async () => {
    const job = statusJob();
    writeTree(job.src, { 'a.txt': 'aaa', 'd/b.txt': 'bb' });
    job.remote.endNextTask({ status: 'ACTIVE' });
    const r = await job.run();
    expect(r.outcome).toBe('submitted');

    job.remote.calls.length = 0;
    const active = await job.view();
    expect(job.remote.calls).toEqual(['getTask']);
    expect(active.runs).toHaveLength(1);
    expect(active.runs[0]).toMatchObject({ result: 'submitted', taskId: r.taskId, files: 2 });
    expect(active.pending).toEqual([expect.objectContaining({ taskId: r.taskId, recordedStatus: 'SUBMITTED', liveStatus: 'ACTIVE', files: 2, bytes: 5 })]);
    expect(active.paths).toMatchObject({ inflight: 4 }); // '', a.txt, d, d/b.txt
    expect(active.notes).toEqual([]);
    expect(wantsLiveStatus(active)).toBe(true);

    job.remote.complete(r.taskId!);
    const done = await job.view();
    expect(done.pending[0]).toMatchObject({ recordedStatus: 'SUBMITTED', liveStatus: 'SUCCEEDED' });
    expect(renderStatusText(done)).toContain(r.taskId!);
  });

  it('a task the remote does not know: the recorded status stays, and one note says why', async () => {
    const job = statusJob();
    writeTree(job.src, { 'a.txt': 'a' });
    job.remote.endNextTask({ status: 'ACTIVE' });
    const r = await job.run();
    // Another remote's memory: it answers 404 for this task, as Globus does for one it no longer knows.
    const v = await job.view(new MemoryRemote({}));
    expect(v.pending[0]).toMatchObject({ taskId: r.taskId, recordedStatus: 'SUBMITTED', liveStatus: null });
    expect(v.notes).toHaveLength(1);
    expect(v.notes[0]).toMatch(/^live task state not available, showing the recorded status: .*not found/);
  });

  it('nothing pending: the remote is not asked', async () => {
    const job = statusJob();
    writeTree(job.src, { 'a.txt': 'a' });
    await job.run(); // the memory remote's task ends SUCCEEDED; without --wait it stays pending until the next run settles it
    await job.run();
    job.remote.calls.length = 0;
    const v = await job.view();
    expect(v.pending).toEqual([]);
    expect(wantsLiveStatus(v)).toBe(false); // so the command opens no client, and no token is refreshed
    expect(job.remote.calls).toEqual([]);
    expect(v.runs.map((x) => x.result)).toEqual(['nothing-to-do', 'submitted']);
  });
});
