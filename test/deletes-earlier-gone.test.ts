import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/run/outcome.js';
import { DeleteTask } from '../src/server/delete-task.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

const TEN = { 'a.txt': 'a', 'b.txt': 'b', 'c/d.txt': 'd', 'e.txt': 'e', 'f.txt': 'f', 'g.txt': 'g', 'h.txt': 'h', 'i.txt': 'i', 'j.txt': 'j', 'k.txt': 'k' };
const atDestination = (rel: string) => fs.existsSync(path.join(w.dst, rel));
const deletedPaths = () => w.srv.tasks.list().filter((t): t is DeleteTask => t instanceof DeleteTask).flatMap((t) => t.paths);

/** Shipped with deletes off, then `gone` removed and recorded gone by a full run (deletes still off). */
async function goneWhileOff(gone: string[]): Promise<void> {
  w = await jobWorld();
  writeTree(w.src, TEN);
  expect(exitCodeForRun(await w.run())).toBe(0);
  for (const rel of gone) fs.rmSync(path.join(w.src, rel), { recursive: true });
  const r = await w.run();
  expect(r.plan.gone).toBe(gone.length);
  expect(deletedPaths()).toEqual([]);
}

describe('deletes owe what went missing before they were enabled', { timeout: 60_000 }, () => {
  it('through the CLI, as the issue tells it: plan lists the delete, run makes it', async () => {
    await goneWhileOff(['a.txt']);
    const raw = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
    fs.writeFileSync(w.configFile, JSON.stringify({ ...raw, deletes: { enabled: true, maxPercent: 50 } }));
    const plan = await gsync(['--config', w.configFile, 'plan'], { env: w.env });
    expect(plan.stdout).toContain('delete /a.txt  (file)');
    const run = await gsync(['--config', w.configFile, 'run', '--wait'], { env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(atDestination('a.txt')).toBe(false);
    expect(atDestination('b.txt')).toBe(true);
  });

  it('a run that does not walk past them (--changes listing something else) deletes them too, once', async () => {
    await goneWhileOff(['c']);
    w.config.deletes = { enabled: true, maxPercent: 50 };
    fs.writeFileSync(path.join(w.src, 'b.txt'), 'b2');
    const r = await w.run({ only: ['b.txt'] });
    expect(exitCodeForRun(r)).toBe(0);
    expect(deletedPaths()).toEqual(['/c/']);
    expect(atDestination('c')).toBe(false);
    expect(fs.readFileSync(path.join(w.dst, 'b.txt'), 'utf8')).toBe('b2');
    await w.run({ only: ['b.txt'] });
    await w.run();
    expect(deletedPaths()).toEqual(['/c/']);
  });

  it('the guard counts them: 3 of 11 tracked is over 10%, so nothing is deleted until --allow-deletes 3', async () => {
    await goneWhileOff(['a.txt', 'e.txt', 'f.txt']);
    w.config.deletes = { enabled: true, maxPercent: 10 };
    const stopped = await w.run({ only: ['b.txt'] });
    expect(exitCodeForRun(stopped)).toBe(1);
    expect(stopped.deletes.stoppedBy).toContain('deletes stopped by the maxPercent guard: 3 of 11 shipped paths is more than deletes.maxPercent 10% (1)');
    expect(deletedPaths()).toEqual([]);
    expect(atDestination('a.txt')).toBe(true);
    const allowed = await w.run({ only: ['b.txt'], allowDeletes: 3 });
    expect(exitCodeForRun(allowed)).toBe(0);
    expect(deletedPaths().sort()).toEqual(['/a.txt', '/e.txt', '/f.txt']);
    expect(w.diff()).toBe('');
  });

  it('a path that came back since it was recorded gone is not deleted', async () => {
    await goneWhileOff(['a.txt']);
    w.config.deletes = { enabled: true, maxPercent: 50 };
    fs.writeFileSync(path.join(w.src, 'a.txt'), 'a again');
    await w.run({ only: ['b.txt'] });
    expect(deletedPaths()).toEqual([]);
    expect(atDestination('a.txt')).toBe(true);
  });
});
