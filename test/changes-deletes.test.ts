import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/run/outcome.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

let w: JobWorld;
afterEach(async () => {
  await w?.cleanup();
});

const dst = (rel: string) => fs.existsSync(path.join(w.dst, rel));
const rm = (rel: string) => fs.rmSync(path.join(w.src, rel), { recursive: true, force: true });

async function shipped(deletes: Record<string, unknown>): Promise<void> {
  w = await jobWorld({}, { deletes });
  writeTree(w.src, { 'a.txt': 'a', 'b.txt': 'b', 'd/1.txt': '1', 'd/e/2.txt': '2', 'f/3.txt': '3', 'g/4.txt': '4' });
  expect((await w.run()).result).toBe('succeeded');
}

describe('a change list with deletes enabled', () => {
  it('a listed vanished path is deleted at the destination; an unlisted vanished one waits for the full run', async () => {
    await shipped({ enabled: true, maxPercent: 60 });
    rm('d');
    rm('a.txt');
    const r = await w.run({ only: ['d'] });
    expect(exitCodeForRun(r)).toBe(0);
    expect(r.deletes.submitted?.paths).toBe(4); // d/, d/1.txt, d/e/, d/e/2.txt
    expect(dst('d')).toBe(false);
    expect(dst('a.txt')).toBe(true);
    const full = await w.run();
    expect(full.deletes.submitted?.paths).toBe(1);
    expect(dst('a.txt')).toBe(false);
  });

  it('under the same guards: a listed removal past maxPercent deletes nothing and fails the run', async () => {
    await shipped({ enabled: true, maxPercent: 10 });
    rm('d');
    const r = await w.run({ only: ['d'] });
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.deletes.stoppedBy).toMatch(/maxPercent guard/);
    expect(dst('d/1.txt')).toBe(true);
  });

  it('the empty-source guard still holds: an emptied source with a listed path deletes nothing', async () => {
    await shipped({ enabled: true, maxPercent: 100 });
    for (const name of fs.readdirSync(w.src)) rm(name);
    const r = await w.run({ only: ['d'] });
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.deletes.stoppedBy).toMatch(/empty-source guard/);
    expect(dst('d/1.txt')).toBe(true);
  });
});
