import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseChangeList } from '../src/changes/formats.js';
import { resolveChanges } from '../src/changes/resolve.js';
import { tempDir } from './helpers/temp.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const texts = (bufs: Buffer[]) => bufs.map((x) => x.toString('utf8'));

describe('change-list formats', () => {
  it('lines: one path per line, empty lines ignored, a carriage return kept as part of the name', () => {
    const { paths, bad } = parseChangeList(b('/src/a.txt\n\nrel/b c.txt\nwin\r\n'), 'lines');
    expect(bad).toEqual([]);
    expect(texts(paths)).toEqual(['/src/a.txt', 'rel/b c.txt', 'win\r']);
  });

  it('nul: NUL-separated, so a name may hold a newline', () => {
    const { paths } = parseChangeList(b('/src/two\nlines.txt\0/src/b\0\0'), 'nul');
    expect(texts(paths)).toEqual(['/src/two\nlines.txt', '/src/b']);
  });

  it('gpfs: the path after " -- ", with show fields, %XX decoded to bytes, non-UTF-8 bytes kept as they are', () => {
    const list = [
      '17410 65538 0   -- /gpfs/fs1/proj/plain.dat',
      '17411 65539 0 4096 2026-01-02 -- /gpfs/fs1/proj/with%20space%0Anewline',
      '17412 1 0 -- %2Fgpfs%2Ffs1%2Fproj%2Fbad%FFname',
      '17413 1 0 -- /gpfs/fs1/proj/caf%C3%A9 -- x',
      '',
    ].join('\n');
    const { paths, bad } = parseChangeList(b(list), 'gpfs');
    expect(bad).toEqual([]);
    expect(texts(paths.slice(0, 2))).toEqual(['/gpfs/fs1/proj/plain.dat', '/gpfs/fs1/proj/with space\nnewline']);
    expect(paths[2]).toEqual(Buffer.concat([b('/gpfs/fs1/proj/bad'), Buffer.from([0xff]), b('name')]));
    expect(paths[3]!.toString('utf8')).toBe('/gpfs/fs1/proj/café -- x');
  });

  it('gpfs: a line that is not a LIST record, or a bad escape, is reported with its record number', () => {
    const { paths, bad } = parseChangeList(b('1 2 0 -- /ok\n/just/a/path\nx y z -- /p\n1 2 0 -- /bad%G1\n'), 'gpfs');
    expect(texts(paths)).toEqual(['/ok']);
    expect(bad.map((x) => x.record)).toEqual([2, 3, 4]);
    expect(bad[2]!.message).toMatch(/two hex digits/);
  });
});

describe('resolving listed paths against source.path', () => {
  const src = '/data/src';

  it('absolute under the source or relative to it; duplicates and nested entries collapse to the outermost', () => {
    const r = resolveChanges([b('/data/src/a/b.txt'), b('a/b.txt'), b('/data/src//d/./x/'), b('d'), b('d/x/y'), b('e.txt')], src, null);
    expect(r.refused).toEqual([]);
    expect(r.relPaths).toEqual(['a/b.txt', 'd', 'e.txt']);
  });

  it('refuses, naming them, paths outside the source, a sibling sharing its prefix, .. components and non-UTF-8 names', () => {
    const r = resolveChanges([b('/data/other/x'), b('/data/srcx/y'), b('/data/src/../etc/passwd'), b('a/../../b'), Buffer.from([0x61, 0xff]), b('ok')], src, null);
    expect(r.relPaths).toEqual(['ok']);
    expect(r.refused.map((x) => x.path)).toEqual(['/data/other/x', '/data/srcx/y', '/data/src/../etc/passwd', 'a/../../b', 'a\\xff']);
    expect(r.refused[0]!.message).toMatch(/outside source\.path/);
    expect(r.refused[2]!.message).toMatch(/\.\./);
    expect(r.refused[4]!.message).toMatch(/UTF-8/);
  });

  it('the source directory itself listed means a full walk', () => {
    expect(resolveChanges([b('/data/src/'), b('a')], src, null).relPaths).toEqual(['']);
  });

  it('accepts paths under the real path of a symlinked source.path (GPFS and Lustre print real mount paths)', () => {
    const base = tempDir('gsync-changes-');
    fs.mkdirSync(path.join(base, 'real'));
    fs.symlinkSync(path.join(base, 'real'), path.join(base, 'link'));
    const real = fs.realpathSync(path.join(base, 'real'));
    const r = resolveChanges([b(`${real}/f.txt`), b(`${path.join(base, 'link')}/g.txt`)], path.join(base, 'link'));
    expect(r).toEqual({ relPaths: ['f.txt', 'g.txt'], refused: [], missing: 0 });
  });
});
