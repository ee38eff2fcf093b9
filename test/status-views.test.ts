import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log/logger.js';
import { renderStatusText, type StatusView } from '../src/report/render-status.js';
import { fillFromState, fillLiveStatus, wantsLiveStatus, type StatusRemote } from '../src/report/status-view.js';
import { openExistingState } from '../src/state/open.js';
import { runJob } from '../src/sync/run-job.js';
import { tempDir } from './helpers/temp.js';
import { DST_ID, SRC_ID, writeTree } from './server-support.js';
import { MemoryRemote } from './support/memory-remote.js';

/** `gsync status`'s views (src/report/status-view.ts) over the in-memory remote: no server, no login. */
function statusJob() {
  const base = tempDir('gsync-status-views-');
  const src = path.join(base, 'src');
  fs.mkdirSync(src);
  const raw = {
    name: 'stv',
    source: { collection: SRC_ID, path: src, collectionPath: '/' },
    destination: { collection: DST_ID, path: '/dst/' },
    auth: { clientId: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001', tokenFile: path.join(base, 'tokens.json') },
    state: { path: path.join(base, 'state.db') },
    scan: { minAgeSeconds: 0 },
  };
  const parsed = parseConfig(raw, path.join(base, 'job.json'), {});
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const config = parsed.config;
  const remote = new MemoryRemote({ [SRC_ID]: src });
  const run = () => runJob({ config, logger: silentLogger, openRemote: remote.session() });
  /** What status would show, the live part asked of `live` (the in-memory remote unless a test gives another). */
  const view = async (live: StatusRemote = remote): Promise<StatusView> => {
    const v: StatusView = { job: config.name, state: config.state.path, runs: [], pending: [], pendingDeletes: [], hooks: [], paths: null, credentials: null, notes: [] };
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
