import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { checkGuards } from '../src/deletes/guard.js';
import { collectRemovals, planDeletes } from '../src/deletes/plan-deletes.js';
import { nodeScanFs, type ScanFs } from '../src/scan/scan-fs.js';
import { openState, type State } from '../src/state/open.js';
import { LATER_NS, planOf, ship } from './helpers/ship.js';
import { makeTree } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';

const config = (deletes: Record<string, unknown> = { enabled: true, maxPercent: 100 }) => {
  const parsed = parseConfig(
    {
      name: 'plan',
      source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: '/src', collectionPath: '/src' },
      destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/dst' },
      auth: { clientId: '0e4a77f8-b778-4d5c-abaa-e1254e71427f' },
      state: { path: '/tmp/unused.db' },
      deletes,
    },
    '<inline>',
    {},
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.config;
};

function shipped(spec: Parameters<typeof makeTree>[0]): { root: string; state: State } {
  const root = makeTree(spec);
  const state = openState(path.join(tempDir('gsync-deletes-'), 'job.db'));
  ship(root, state, { nowNs: LATER_NS });
  return { root, state };
}

/** A write-mode scan as a run does it, then the delete plan. */
function planAfterScan(root: string, state: State, opts: { fs?: ScanFs; deletes?: Record<string, unknown>; allow?: number } = {}) {
  const removals = collectRemovals();
  const { totals } = planOf(root, state, { write: true, fs: opts.fs, onRemoved: removals.onRemoved, onUnreadable: removals.onUnreadable });
  return planDeletes({ state, config: config(opts.deletes), removals, totals, allow: opts.allow });
}

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('planning deletes', () => {
  it('a vanished directory is one recursive item counting every shipped path under it; a vanished file is one item', () => {
    const { root, state } = shipped({ 'keep.txt': 'k', 'x.txt': 'x', 'd/1.txt': '1', 'd/e/2.txt': '2' });
    fs.rmSync(path.join(root, 'd'), { recursive: true });
    fs.rmSync(path.join(root, 'x.txt'));
    const p = planAfterScan(root, state);
    expect(p.targets.map((t) => `${t.path} ${t.shippedKind} ${t.paths}`)).toEqual(['/dst/d/ d 4', '/dst/x.txt f 1']);
    expect(p.paths).toBe(5);
    expect(p.tracked).toBe(6);
  });

  it('never deletes under a directory the scan could not read, not even paths an earlier scan recorded gone', () => {
    const { root, state } = shipped({ 'g/6.txt': '6', 'g/7.txt': '7', 'h/8.txt': '8', 'other.txt': 'o' });
    fs.rmSync(path.join(root, 'g/6.txt'));
    planOf(root, state, { write: true }); // an earlier run saw it go (and, say, a guard stopped the delete)
    fs.rmSync(path.join(root, 'g/7.txt'));
    fs.rmSync(path.join(root, 'other.txt'));
    const denying: ScanFs = { ...nodeScanFs, readdir: (d) => (path.basename(d) === 'g' ? (() => { throw errno('EACCES'); })() : nodeScanFs.readdir(d)) };
    const p = planAfterScan(root, state, { fs: denying });
    expect(p.targets.map((t) => t.relPath)).toEqual(['other.txt']);
  });

  it('a directory whose raw listing fails (a non-UTF-8 name, then EACCES) keeps everything in it from being deleted', () => {
    const { root, state } = shipped({ 'g/6.txt': '6', 'g/7.txt': '7', 'other.txt': 'o' });
    fs.rmSync(path.join(root, 'other.txt'));
    // readdir shows a name with invalid bytes, so the scan asks for raw names, and that fails:
    // every recorded child of g looks missing, but the scan could not read g.
    const failing: ScanFs = {
      ...nodeScanFs,
      readdir: (d) => (path.basename(d) === 'g' ? ['6.txt', '7.txt', 'bad\uFFFD'] : nodeScanFs.readdir(d)),
      readdirRaw: (d) => (path.basename(d) === 'g' ? (() => { throw errno('EACCES'); })() : nodeScanFs.readdirRaw(d)),
    };
    const p = planAfterScan(root, state, { fs: failing });
    expect(p.targets.map((t) => t.relPath)).toEqual(['other.txt']);
    expect(p.protectedByErrors).toBe(2);
  });

  it('a directory replaced by a file is a recursive delete of the old directory', () => {
    const { root, state } = shipped({ 'd/1.txt': '1', 'd/2.txt': '2', 'z.txt': 'z' });
    fs.rmSync(path.join(root, 'd'), { recursive: true });
    fs.writeFileSync(path.join(root, 'd'), 'file now');
    const p = planAfterScan(root, state);
    expect(p.targets.map((t) => `${t.path} ${t.change} ${t.paths}`)).toEqual(['/dst/d/ type 3']);
    expect(p.held).toEqual(['d']);
  });

  it('an emptied source trips the empty-source guard whatever the percentage', () => {
    const { root, state } = shipped({ 'a.txt': 'a' });
    fs.rmSync(path.join(root, 'a.txt'));
    const p = planAfterScan(root, state, { deletes: { enabled: true, maxPercent: 100 } });
    expect(p.verdict.pass).toBe(false);
    expect(!p.verdict.pass && p.verdict.guard).toBe('empty-source');
  });
});

describe('the deletes guards', () => {
  const base = { tracked: 100, sourceEmpty: false, maxPercent: 10 };
  it('maxPercent: up to the share passes, one more trips', () => {
    expect(checkGuards({ ...base, deletes: 10 }).pass).toBe(true);
    const v = checkGuards({ ...base, deletes: 11 });
    expect(v.pass).toBe(false);
    expect(!v.pass && [v.guard, v.limit]).toEqual(['maxPercent', 10]);
  });
  it('maxCount trips on its own', () => {
    const v = checkGuards({ ...base, deletes: 5, maxCount: 4 });
    expect(!v.pass && v.guard).toBe('maxCount');
    expect(checkGuards({ ...base, deletes: 4, maxCount: 4 }).pass).toBe(true);
  });
  it('an empty source trips even one delete, and no delete never trips', () => {
    expect(checkGuards({ ...base, deletes: 1, sourceEmpty: true, maxPercent: 100 }).pass).toBe(false);
    expect(checkGuards({ ...base, deletes: 0, sourceEmpty: true }).pass).toBe(true);
  });
  it('--allow-deletes N lets exactly N through, not N+1', () => {
    expect(checkGuards({ ...base, deletes: 50, allow: 50 })).toEqual({ pass: true, overridden: 'maxPercent' });
    expect(checkGuards({ ...base, deletes: 51, allow: 50 }).pass).toBe(false);
    expect(checkGuards({ ...base, deletes: 3, sourceEmpty: true, allow: 3 }).pass).toBe(true);
  });
});
