import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/run/outcome.js';
import { HookRecorder } from './helpers/hook-recorder.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';
import { tempDir } from './helpers/temp.js';

let w: JobWorld;
let hook: HookRecorder;
afterEach(async () => {
  await w?.cleanup();
});

async function hooked(): Promise<void> {
  const dir = tempDir('gsync-hook-');
  hook = new HookRecorder(dir);
  w = await jobWorld({}, { hooks: { onSucceeded: hook.argv } });
  const cleanup = w.cleanup;
  w.cleanup = async () => {
    await cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

const manifests = () => (fs.existsSync(w.config.hooks.manifestDir) ? fs.readdirSync(w.config.hooks.manifestDir) : []);

describe('a success means delivered (issue 26)', () => {
  it('a directory item lists what successful_transfers names, never a file the scan saw that Globus did not copy', async () => {
    await hooked();
    writeTree(w.src, { 'a.txt': 'a', 'n/x.txt': 'x', 'n/y.txt': 'y' });
    // Removed after the scan planned it, before Globus copies the folder: asked for, never delivered.
    const r = await w.run({ crashPoint: (point) => point === 'after-record' && fs.rmSync(path.join(w.src, 'n', 'y.txt'), { force: true }) });
    expect(exitCodeForRun(r)).toBe(0);
    expect(w.srv.tasks.get(r.taskId!)!.items.map((i) => i.recursive)).toEqual([true]);
    expect(fs.existsSync(path.join(w.dst, 'n', 'y.txt'))).toBe(false);
    const [call] = hook.calls();
    expect(call!.manifest!.map((l) => l.source_path).sort()).toEqual(['/a.txt', '/n/x.txt']);
    expect(call!.env).toMatchObject({ GSYNC_FILES: '2', GSYNC_BYTES: '2' });
  });

  it('a task that copied nothing (every file already up to date) gets no manifest and no hook', async () => {
    await hooked();
    writeTree(w.src, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    expect(exitCodeForRun(await w.run())).toBe(0);
    expect(hook.calls()).toHaveLength(1);
    expect(manifests()).toHaveLength(1);
    // A new ctime ships the files again as file items; their mtime is unchanged, so sync_level mtime copies none.
    for (const f of ['a.txt', 'b.txt']) fs.chmodSync(path.join(w.src, f), 0o600);
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(0);
    const task = w.srv.tasks.get(r.taskId!)!;
    expect(task.items.map((i) => i.recursive)).toEqual([false, false]);
    expect(r.delivery).toMatchObject({ filesTransferred: 0, filesUpToDate: 2 });
    expect(hook.calls()).toHaveLength(1);
    expect(manifests()).toHaveLength(1);
  });

  it('file items: every one not skipped with an error is listed, up to date or not, once anything was copied', async () => {
    await hooked();
    writeTree(w.src, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    expect(exitCodeForRun(await w.run())).toBe(0);
    fs.chmodSync(path.join(w.src, 'a.txt'), 0o600); // up to date at the destination
    fs.writeFileSync(path.join(w.src, 'b.txt'), 'b2'); // copied
    fs.writeFileSync(path.join(w.src, 'c.txt'), 'c2'); // removed before Globus reads it: a skipped error
    const r = await w.run({ crashPoint: (point) => point === 'after-record' && fs.rmSync(path.join(w.src, 'c.txt'), { force: true }) });
    expect(w.srv.tasks.get(r.taskId!)!.items).toHaveLength(3);
    expect(r.delivery).toMatchObject({ filesTransferred: 1, filesUpToDate: 1, skippedErrors: 1 });
    expect(hook.calls()[1]!.manifest!.map((l) => l.source_path).sort()).toEqual(['/a.txt', '/b.txt']);
  });
});
