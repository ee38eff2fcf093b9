import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../src/commands/context.js';
import { demoCommand } from '../src/commands/demo.js';
import { compareTrees } from '../src/demo/compare-trees.js';
import { GsyncError } from '../src/errors/errors.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

function context(): { ctx: CommandContext; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const ctx: CommandContext = { global: { logLevel: 'error' }, out, env: {}, interactive: false, stdin: new PassThrough() };
  return { ctx, text: () => text };
}

const tmp = (): string => tempDir('gsync-demotest-');

describe('gsync demo', () => {
  it('runs to completion in-process, says what it runs against, what shipped, and that the trees are equal', async () => {
    const { ctx, text } = context();
    const before = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('gsync-demo-')));
    const code = await demoCommand({}, ctx);
    const out = text();
    expect(code, out).toBe(0);
    expect(out).toMatch(/local Globus-compatible server at http:\/\/127\.0\.0\.1:\d+\/, not Globus/);
    expect(out).toMatch(/first sync: +task \S+ SUCCEEDED: 35 of 35 files delivered/);
    expect(out).toMatch(/second sync: +task \S+ SUCCEEDED: 6 of 6 files delivered/);
    // Exactly the edited, added and touched files went in the second task, nothing unchanged.
    const shipped = [...out.matchAll(/shipped {2}(.+)/g)].map((m) => m[1]);
    expect(shipped).toEqual([
      'analysis/summary.csv',
      'notes/new idea.txt',
      'notes/todo list.txt',
      'raw data/run 002/metadata.json',
      'raw data/run 004/frame 0001.dat',
      'raw data/run 004/metadata.json',
    ]);
    expect(out).toMatch(/third sync: +nothing to ship/);
    expect(out).toContain('The destination equals the source: 38 files');
    // Its temporary folder is gone.
    const after = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('gsync-demo-') && !before.has(n));
    expect(after).toEqual([]);
  });

  it('--pull (issue 29): a remote collection listed through Globus, each arrival processed and removed, nothing fetched twice', async () => {
    const work = path.join(tmp(), 'work');
    const { ctx, text } = context();
    const code = await demoCommand({ dir: work, keep: true, pull: true }, ctx);
    const out = text();
    expect(code, out).toBe(0);
    expect(out).toMatch(/first pull: +task \S+ SUCCEEDED: 35 of 35 files delivered/);
    expect(out).toMatch(/second pull: +task \S+ SUCCEEDED: 6 of 6 files delivered/);
    expect(out).toMatch(/third pull: +nothing to ship/);
    const processed = fs.readFileSync(path.join(work, 'processed.txt'), 'utf8').trim().split('\n');
    expect(processed).toHaveLength(41);
    expect(new Set(processed.slice(35).map((l) => l.replace(/ \d+ bytes$/, '')))).toEqual(
      new Set(['analysis/summary.csv', 'notes/new idea.txt', 'notes/todo list.txt', 'raw data/run 002/metadata.json', 'raw data/run 004/frame 0001.dat', 'raw data/run 004/metadata.json']),
    );
    expect(fs.readdirSync(path.join(work, 'destination'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
  });

  it('--dir --keep leaves a source and destination that compare equal, and state to inspect', async () => {
    const work = path.join(tmp(), 'work');
    const { ctx, text } = context();
    expect(await demoCommand({ dir: work, keep: true }, ctx)).toBe(0);
    expect(text()).toContain(`Kept the work folder: ${work}`);
    expect(fs.existsSync(path.join(work, 'state', 'demo.db'))).toBe(true);
    const cmp = compareTrees(path.join(work, 'source'), path.join(work, 'destination'));
    expect(cmp.differences).toEqual([]);
    expect(cmp.files).toBe(38);
  });

  it('refuses a --dir that holds files, and leaves them alone', async () => {
    const work = tmp();
    fs.writeFileSync(path.join(work, 'precious.txt'), 'keep me');
    const err = await demoCommand({ dir: work }, context().ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GsyncError);
    expect((err as GsyncError).kind).toBe('usage');
    expect(fs.readFileSync(path.join(work, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe('npm run demo (the built CLI)', () => {
  it('exits 0 and says the destination equals the source', async () => {
    assertBuilt();
    const r = await gsync(['demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('not Globus');
    expect(r.stdout).toContain('The destination equals the source');
  });
});

describe('compareTrees', () => {
  it('names files missing on either side, differing contents and kind mismatches', () => {
    const a = tmp();
    const b = tmp();
    const put = (root: string, rel: string, data: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), data);
    };
    put(a, 'same.txt', 'x');
    put(b, 'same.txt', 'x');
    put(a, 'd/changed.txt', 'one');
    put(b, 'd/changed.txt', 'two');
    put(a, 'only src.txt', 's');
    put(b, 'only dst.txt', 'd');
    put(a, 'kind', 'file');
    fs.mkdirSync(path.join(b, 'kind'));
    const cmp = compareTrees(a, b);
    expect(cmp.equal).toBe(false);
    expect(cmp.differences.sort()).toEqual(
      [
        'a file in the source but a dir in the destination: kind',
        'contents differ: d/changed.txt',
        'missing in destination: only src.txt',
        'only in destination: only dst.txt',
      ].sort(),
    );
    fs.rmSync(path.join(b, 'kind'), { recursive: true });
    fs.rmSync(path.join(b, 'only dst.txt'));
    put(b, 'kind', 'file');
    put(b, 'only src.txt', 's');
    put(b, 'd/changed.txt', 'one');
    expect(compareTrees(a, b)).toMatchObject({ equal: true, files: 4, differences: [] });
  });
});
