import { exitCodeForRun } from '../src/run/outcome.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

const cli = (...args: string[]) => gsync([...args, '--config', w.configFile], { env: { ...process.env, ...w.env } });
const json = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

async function shippedWorld(deletes: Record<string, unknown>): Promise<void> {
  w = await jobWorld({}, { deletes });
  writeTree(w.src, { 'a.txt': 'a', 'b.txt': 'b', 'd/1.txt': '1', 'd/2.txt': '2', 'keep/k.txt': 'k' });
  expect(exitCodeForRun(await w.run())).toBe(0);
}

describe('deletes through the CLI', () => {
  it('gsync plan --json lists one delete_item per line and says when a guard would stop them', async () => {
    await shippedWorld({ enabled: true, maxPercent: 20 }); // 7 tracked: at most 1 delete
    fs.rmSync(path.join(w.src, 'd'), { recursive: true });
    fs.rmSync(path.join(w.src, 'a.txt'));
    const r = await cli('plan', '--json');
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.filter((o) => o.DATA_TYPE === 'delete_item')).toEqual([
      { DATA_TYPE: 'delete_item', path: '/a.txt' },
      { DATA_TYPE: 'delete_item', path: '/d/' },
    ]);
    expect(out.at(-1)).toMatchObject({ DATA_TYPE: 'gsync_plan_deletes', items: 2, paths: 4, tracked: 7, recursive: true, stopped_by: 'maxPercent', limit: 1 });
    const text = await cli('plan');
    expect(text.stdout).toContain('delete /d/  (dir, 3 paths)');
    expect(text.stdout).toMatch(/deletes: 2 item\(s\), 4 of 7 shipped paths; STOPPED by the maxPercent guard/);
    // plan changed nothing: the next run still sees the same deletes, and Globus saw none.
    expect(w.srv.requests.count('/delete', 'POST')).toBe(0);
  });

  it('gsync run exits 1 with one error line naming the guard and the counts; --allow-deletes needs deletes on', async () => {
    await shippedWorld({ enabled: true, maxPercent: 20 });
    fs.rmSync(path.join(w.src, 'd'), { recursive: true });
    const r = await cli('run', '--wait', '--log-json');
    expect(r.code).toBe(1);
    const guardLines = r.stderr.split('\n').filter((l) => l.includes('deletes stopped by'));
    expect(guardLines).toHaveLength(1);
    expect(JSON.parse(guardLines[0]!)).toMatchObject({ guard: 'maxPercent', deletes: 3, tracked: 7, limit: 1 });
    expect(fs.existsSync(path.join(w.dst, 'd/1.txt'))).toBe(true);
    const allowed = await cli('run', '--wait', '--allow-deletes', '3');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/3 paths deleted at the destination/);
    expect(fs.existsSync(path.join(w.dst, 'd'))).toBe(false);
  });

  it('--allow-deletes without deletes.enabled is a usage error (exit 2)', async () => {
    await shippedWorld({});
    const r = await cli('run', '--allow-deletes', '5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--allow-deletes needs deletes.enabled/);
  });

  it('gsync status shows a pending delete task; metrics count deleted paths', async () => {
    await shippedWorld({ enabled: true, maxPercent: 50 });
    const prom = path.join(w.base, 'gsync.prom');
    const cfg = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
    fs.writeFileSync(w.configFile, JSON.stringify({ ...cfg, metrics: { textfile: prom } }));
    fs.rmSync(path.join(w.src, 'b.txt'));
    w.srv.faults.faultNextTask({ recoverAfter: 1 });
    expect((await cli('run')).code).toBe(0);
    const status = await cli('status', '--json');
    const view = JSON.parse(status.stdout);
    expect(view.pendingDeletes).toHaveLength(1);
    expect(view.pendingDeletes[0]).toMatchObject({ items: 1, paths: 1 });
    expect((await cli('status')).stdout).toMatch(/deleting task [0-9a-f-]+: (ACTIVE|SUCCEEDED)/);
    await Promise.all(w.srv.tasks.list().map((t) => w.srv.tasks.waitFor(t.id)));
    expect((await cli('run')).code).toBe(0);
    expect(fs.readFileSync(prom, 'utf8')).toMatch(/^gsync_last_run_deleted_paths\{job="e2e"\} 1$/m);
    expect(JSON.parse((await cli('status', '--json')).stdout).pendingDeletes).toEqual([]);
  });
});
