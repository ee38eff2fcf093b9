import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from './server-support.js';
import { memoryJob } from './helpers/memory-job.js';
import { sqliteDatabase } from '../src/state/sqlite-driver.js';

/** better-sqlite3 as gsync loads it on this Node (13, or 12 on Node 20). */
const Database = sqliteDatabase();

/** `gsync run --changes` as runJob sees it: `only` holds the resolved, source-relative paths. */
function changesJob() {
  const { base, src, config, remote, run } = memoryJob('changes-run', { exclude: ['**/*.tmp'] });
  /** The last transfer's items as `source_path` (with a trailing R for recursive ones). */
  const lastItems = () => remote.submitted.at(-1)!.DATA.map((i) => `${i.source_path}${i.recursive ? ' R' : ''}`).sort();
  /** Each recorded path's gone flag, by relative path. */
  const gone = (): Record<string, number> => {
    const db = new Database(config.state.path, { readonly: true });
    try {
      const rows = db
        .prepare(
          `WITH RECURSIVE p(id, rel, gone) AS (SELECT id, '', gone FROM node WHERE id = 1
             UNION ALL SELECT n.id, CASE p.rel WHEN '' THEN n.name ELSE p.rel || '/' || n.name END, n.gone FROM node n JOIN p ON n.parent = p.id)
           SELECT rel, gone FROM p WHERE rel <> ''`,
        )
        .all() as Array<{ rel: string; gone: number }>;
      return Object.fromEntries(rows.map((r) => [r.rel, r.gone]));
    } finally {
      db.close();
    }
  };
  return { base, src, remote, run, lastItems, gone };
}

let job: ReturnType<typeof changesJob> | undefined;

/** Writes a file with new contents (a new size and ctime, so the change rule cannot miss it). */
function touch(root: string, rel: string, text: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
}

describe('run with a change list', () => {
  it('only listed paths ship; unlisted changes wait for the next full run', async () => {
    job = changesJob();
    writeTree(job.src, { 'a.txt': 'a', 'b.txt': 'b', 'd/x.txt': 'x' });
    expect((await job.run()).outcome).toBe('shipped');
    touch(job.src, 'a.txt', 'a2');
    touch(job.src, 'b.txt', 'b2');
    touch(job.src, 'c.txt', 'c');
    const listed = await job.run({ only: ['a.txt', 'c.txt'] });
    expect(listed.outcome).toBe('shipped');
    expect(job.lastItems()).toEqual(['/a.txt', '/c.txt']);
    expect(listed.plan.scanned).toEqual({ files: 2, dirs: 0 });
    // Listing them again finds nothing: they are recorded shipped.
    expect((await job.run({ only: ['a.txt', 'c.txt'] })).outcome).toBe('nothing-to-do');
    const full = await job.run();
    expect(full.outcome).toBe('shipped');
    expect(job.lastItems()).toEqual(['/b.txt']);
  });

  it('a listed directory ships its changes, a never-shipped subdirectory of it as one recursive item', async () => {
    job = changesJob();
    writeTree(job.src, { 'd/x.txt': 'x', 'd/y.txt': 'y', 'other.txt': 'o' });
    await job.run();
    touch(job.src, 'd/x.txt', 'x2');
    touch(job.src, 'd/new/n1.txt', 'n1');
    touch(job.src, 'd/new/n2.txt', 'n2');
    touch(job.src, 'other.txt', 'o2');
    await job.run({ only: ['d'] });
    expect(job.lastItems()).toEqual(['/d/new/ R', '/d/x.txt']);
  });

  it('never a recursive item for a new directory passed through: only its listed file ships, its siblings wait', async () => {
    job = changesJob();
    writeTree(job.src, { 'old.txt': 'o' });
    await job.run();
    writeTree(job.src, { 'n/a.txt': 'a', 'n/b.txt': 'b', 'n/deep/c.txt': 'c' });
    await job.run({ only: ['n/deep/c.txt'] });
    expect(job.lastItems()).toEqual(['/n/deep/c.txt']);
    // Its ancestors exist as trie nodes now, and were recorded shipped as directories on the way.
    expect(job.gone()).toMatchObject({ n: 0, 'n/deep': 0, 'n/deep/c.txt': 0 });
    await job.run();
    expect(job.lastItems()).toEqual(['/n/a.txt', '/n/b.txt']);
  });

  it('a listed vanished path is recorded gone with its subtree; an unlisted vanished one is left for the full run', async () => {
    job = changesJob();
    writeTree(job.src, { 'd/x.txt': 'x', 'd/e/y.txt': 'y', 'f.txt': 'f', 'keep.txt': 'k' });
    await job.run();
    fs.rmSync(path.join(job.src, 'd'), { recursive: true });
    fs.rmSync(path.join(job.src, 'f.txt'));
    const r = await job.run({ only: ['d', 'missing-never-recorded.txt'] });
    expect(r.outcome).toBe('nothing-to-do');
    expect(r.plan.gone).toBe(1);
    expect(job.gone()).toEqual({ d: 1, 'd/x.txt': 1, 'd/e': 1, 'd/e/y.txt': 1, 'f.txt': 0, 'keep.txt': 0 });
    // A path below a vanished directory: the directory is the vanished path.
    writeTree(job.src, { 'g/h/i.txt': 'i' });
    await job.run();
    fs.rmSync(path.join(job.src, 'g'), { recursive: true });
    await job.run({ only: ['g/h/i.txt'] });
    expect(job.gone()).toMatchObject({ g: 1, 'g/h': 1, 'g/h/i.txt': 1, 'f.txt': 1 });
  });

  it('holds back listed paths that are excluded or below a symlink; the symlink is not recorded', async () => {
    job = changesJob();
    const outside = path.join(job.base, 'outside');
    writeTree(outside, { 'secret.txt': 's' });
    writeTree(job.src, { 'ok.txt': 'o' });
    await job.run();
    fs.symlinkSync(outside, path.join(job.src, 'link'));
    touch(job.src, 'scratch.tmp', 't');
    const r = await job.run({ only: ['link/secret.txt', 'scratch.tmp'] });
    expect(r.outcome).toBe('nothing-to-do');
    expect(r.plan.skipped).toBe(1);
    expect(r.plan.excluded).toBe(1);
    expect(job.remote.submitted).toHaveLength(1);
    expect(Object.keys(job.gone())).not.toContain('link');
  });

  it('a file where a listed path\'s directory was ships as that file, its old subtree recorded gone', async () => {
    job = changesJob();
    writeTree(job.src, { 'p/q.txt': 'q' });
    await job.run();
    fs.rmSync(path.join(job.src, 'p'), { recursive: true });
    touch(job.src, 'p', 'now a file');
    await job.run({ only: ['p/q.txt'] });
    expect(job.lastItems()).toEqual(['/p']);
    expect(job.gone()).toMatchObject({ p: 0, 'p/q.txt': 1 });
  });
});
