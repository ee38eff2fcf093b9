import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { exitCodeForRun } from '../src/run/outcome.js';
import { silentLogger } from '../src/log/logger.js';
import { runJob, type RunJobOptions } from '../src/sync/run-job.js';
import { DST_ID, SRC_ID, writeTree } from './server-support.js';
import { tempDir } from './helpers/temp.js';
import { MemoryRemote } from './support/memory-remote.js';

/** runJob over the in-memory remote: no server, no network, a story per test. */
function memoryJob() {
  const base = tempDir('gsync-sync-memory-');
  const src = path.join(base, 'src');
  fs.mkdirSync(src);
  const raw = {
    name: 'mem',
    source: { collection: SRC_ID, path: src, collectionPath: '/' },
    destination: { collection: DST_ID, path: '/dst/' },
    auth: { clientId: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001', tokenFile: path.join(base, 'tokens.json') },
    state: { path: path.join(base, 'state.db') },
    scan: { minAgeSeconds: 0 },
  };
  const parsed = parseConfig(raw, path.join(base, 'job.json'), {});
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const remote = new MemoryRemote({ [SRC_ID]: src });
  const run = (opts: Partial<RunJobOptions> = {}) => runJob({ config: parsed.config, logger: silentLogger, openRemote: remote.session(), wait: true, pollIntervalMs: 1, ...opts });
  return { base, src, remote, run };
}

let job: ReturnType<typeof memoryJob> | undefined;

describe('runJob against the in-memory remote', () => {
  it('a new tree goes as one recursive item; an unchanged tree asks Globus for nothing', async () => {
    job = memoryJob();
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
    job = memoryJob();
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
    job = memoryJob();
    writeTree(job.src, { 'a.txt': 'a', 'b.txt': 'b' });
    job.remote.endNextTask({ status: 'ACTIVE' });
    const sent = await job.run({ wait: false });
    expect(sent.outcome).toBe('submitted');
    writeTree(job.src, { 'c.txt': 'c' });
    const held = await job.run({ wait: false });
    expect(held.reconciled.active).toBe(1);
    expect(job.remote.submitted[1]!.DATA.map((i) => i.source_path)).toEqual(['/c.txt']);
    job.remote.complete(sent.taskId!);
    const idle = await job.run();
    expect(idle.reconciled.succeeded).toBe(2);
    expect(idle.outcome).toBe('nothing-to-do');
    expect(job.remote.submitted).toHaveLength(2);
  });
});
