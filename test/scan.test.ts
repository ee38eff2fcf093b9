import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanWarning } from '../src/scan/events.js';
import { scan } from '../src/scan/scanner.js';
import { nodeScanFs, type ScanFs } from '../src/scan/scan-fs.js';
import { openState, type State } from '../src/state/open.js';
import { commitSubmission } from '../src/ledger/transfer-rows.js';
import { TrieStore } from '../src/state/trie.js';
import { gsync } from './helpers/cli.js';
import { brief, LATER_NS, planOf, ship, submit } from './helpers/ship.js';
import { dir, makeTree, setMtime, symlink } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';

const newState = (): State => openState(path.join(tempDir('gsync-scan-state-'), 'job.db'));
const rows = (state: State, where = '1') => state.db.prepare(`SELECT count(*) FROM node WHERE ${where}`).pluck().get() as number;

/** A tree already shipped once, so the next plan shows only what the test changes. */
function shipped(spec: Parameters<typeof makeTree>[0]): { root: string; state: State } {
  const root = makeTree(spec);
  const state = newState();
  ship(root, state);
  expect(planOf(root, state).items).toEqual([]);
  return { root, state };
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

describe('change rule on a real tree', () => {
  it('a new file in a shipped directory is one file item', () => {
    const { root, state } = shipped({ 'd/a.txt': 'a' });
    fs.writeFileSync(path.join(root, 'd/b.txt'), 'b');
    expect(brief(planOf(root, state).items)).toEqual(['F d/b.txt']);
  });

  it('a size change ships', () => {
    const { root, state } = shipped({ 'a.txt': { content: 'a', mtime: 1_000 } });
    fs.writeFileSync(path.join(root, 'a.txt'), 'aa');
    setMtime(path.join(root, 'a.txt'), 1_000);
    expect(brief(planOf(root, state).items)).toEqual(['F a.txt']);
  });

  it.each([
    ['forward', 2_000],
    ['backwards', 500],
  ])('an mtime moved %s ships', (_dir, mtime) => {
    const { root, state } = shipped({ 'a.txt': { content: 'a', mtime: 1_000 } });
    setMtime(path.join(root, 'a.txt'), mtime);
    expect(brief(planOf(root, state).items)).toEqual(['F a.txt']);
  });

  it('a ctime-only change ships (chmod; content and mtime untouched)', () => {
    const { root, state } = shipped({ 'a.txt': { content: 'a', mtime: 1_000 } });
    const file = path.join(root, 'a.txt');
    const before = fs.statSync(file, { bigint: true });
    let mode = 0o600;
    // ctime granularity is the kernel's clock tick; change the mode until the ctime moves.
    while (fs.statSync(file, { bigint: true }).ctimeNs === before.ctimeNs) fs.chmodSync(file, (mode ^= 0o040));
    const after = fs.statSync(file, { bigint: true });
    expect([after.mtimeNs, after.size, after.ino]).toEqual([before.mtimeNs, before.size, before.ino]);
    expect(brief(planOf(root, state).items)).toEqual(['F a.txt']);
  });

  it('the same bytes and mtime under a new inode ship (written elsewhere and renamed over)', () => {
    const { root, state } = shipped({ 'a.txt': { content: 'same', mtime: 1_000 } });
    const file = path.join(root, 'a.txt');
    const before = fs.statSync(file);
    fs.writeFileSync(path.join(root, '.a.txt.tmp'), 'same');
    fs.renameSync(path.join(root, '.a.txt.tmp'), file);
    setMtime(file, 1_000);
    expect(fs.statSync(file).ino).not.toBe(before.ino);
    expect(brief(planOf(root, state).items)).toEqual(['F a.txt']);
  });

  it('a directory replaced by a file of the same name ships, and its old contents are marked gone', () => {
    const { root, state } = shipped({ 'x/inner.txt': 'i', 'keep.txt': 'k' });
    fs.rmSync(path.join(root, 'x'), { recursive: true });
    fs.writeFileSync(path.join(root, 'x'), 'now a file');
    expect(brief(planOf(root, state).items)).toEqual(['F x']);
    ship(root, state);
    expect(rows(state, `name = 'inner.txt' AND gone = 1`)).toBe(1);
    expect(planOf(root, state).items).toEqual([]);
  });

  it('a file replaced by a directory ships as a recursive item', () => {
    const { root, state } = shipped({ x: 'a file', 'keep.txt': 'k' });
    fs.rmSync(path.join(root, 'x'));
    makeTree({ 'x/inner.txt': 'i' }, root);
    expect(brief(planOf(root, state).items)).toEqual(['R x/']);
    ship(root, state);
    expect(planOf(root, state).items).toEqual([]);
  });

  it('nothing changed means no item and no write', () => {
    const { root, state } = shipped({ 'a/b/c.txt': 'c', 'a/d.txt': 'd', 'e/': dir() });
    const before = state.db.prepare(`SELECT * FROM node ORDER BY id`).all();
    const counts = scan({ root, trie: new TrieStore(state), write: true, nowNs: LATER_NS });
    expect(counts).toMatchObject({ files: 2, dirs: 3, changed: 0, gone: 0 });
    expect(state.db.prepare(`SELECT * FROM node ORDER BY id`).all()).toEqual(before);
  });
});

describe('coalescing on a real tree', () => {
  it('the first run of a fresh tree is one recursive item for the whole source', () => {
    const root = makeTree({ 'a/b/c.txt': 'c', 'a/d.txt': 'dd', 'e.txt': 'eee', 'empty/': dir() });
    const { items, totals } = planOf(root, null);
    expect(items).toEqual([{ nodeId: null, relPath: '', source_path: '/src/', destination_path: '/dst/', recursive: true, files: 3, bytes: 6n, reason: 'new' }]);
    expect(totals).toMatchObject({ items: 1, files: 3, bytes: 6n });
  });

  it('a new subdirectory in a shipped tree is one recursive item', () => {
    const { root, state } = shipped({ 'old/a.txt': 'a' });
    makeTree({ 'old/new/x.txt': 'x', 'old/new/deeper/y.txt': 'y' }, root);
    expect(brief(planOf(root, state).items)).toEqual(['R old/new/']);
  });

  it('a new empty directory is a recursive item', () => {
    const { root, state } = shipped({ 'a.txt': 'a' });
    fs.mkdirSync(path.join(root, 'empty'));
    expect(brief(planOf(root, state).items)).toEqual(['R empty/']);
  });

  it('a fresh directory holding an excluded file goes as file items, its clean subdirectories still recursive', () => {
    const root = makeTree({ 'run/a.dat': 'a', 'run/b.tmp': 'b', 'run/sub/c.dat': 'c' });
    expect(brief(planOf(root, null, { exclude: ['**/*.tmp'] }).items)).toEqual(['F run/a.dat', 'R run/sub/']);
  });
});

describe('scanner', () => {
  it('excludes by glob on the relative path, counts them, and never descends an excluded directory', () => {
    const root = makeTree({ 'scratch/big/x': 'x', 'scratch/y': 'y', 'keep/.DS_Store': 'm', 'keep/a.tmp': 't', 'keep/a.dat': 'd' });
    const readdirs: string[] = [];
    const spy: ScanFs = { ...nodeScanFs, readdir: (d) => (readdirs.push(d), nodeScanFs.readdir(d)) };
    const { items, totals } = planOf(root, null, { exclude: ['**/*.tmp', '**/.DS_Store', 'scratch/**'], fs: spy });
    expect(brief(items)).toEqual(['F keep/a.dat']);
    expect(totals.excluded).toBe(3);
    expect(readdirs.some((d) => d.includes('scratch'))).toBe(false);
  });

  it('defers files modified within min-age, counts them, records nothing for them, and keeps their directory from going recursive', () => {
    const nowS = 1_700_000_000;
    const root = makeTree({ 'd/old.dat': { content: 'o', mtime: nowS - 120 }, 'd/writing.dat': { content: 'w', mtime: nowS - 10 } });
    const state = newState();
    const { items, totals } = planOf(root, state, { write: true, minAgeSeconds: 60, nowNs: BigInt(nowS) * 1_000_000_000n });
    expect(brief(items)).toEqual(['F d/old.dat']);
    expect(totals.deferred).toBe(1);
    expect(rows(state, `name = 'writing.dat'`)).toBe(0);
    // a minute later it is old enough, and nothing holds the (never shipped) tree back from one recursive item
    expect(brief(planOf(root, state, { minAgeSeconds: 60, nowNs: BigInt(nowS + 60) * 1_000_000_000n }).items)).toEqual(['R /']);
  });

  it('keeps hostile names exactly, NFC and NFD spellings as two entries, and finds them clean once shipped', () => {
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    const names = [' lead.txt', 'trail.txt ', 'new\nline.txt', `q"uo'te.txt`, 'sp ace', nfc, nfd, 'a\\b.txt'];
    const spec: Record<string, string> = { 'keep.txt': 'k', 'sub/x': 'x' };
    const { root, state } = shipped(spec);
    for (const n of names) fs.writeFileSync(path.join(root, 'sub', n), n);
    const { items } = planOf(root, state);
    expect(items.map((i) => i.relPath).sort()).toEqual(names.map((n) => `sub/${n}`).sort());
    expect(items.find((i) => i.relPath === `sub/${nfd}`)!.destination_path).toBe(`/dst/sub/${nfd}`);
    ship(root, state);
    expect(planOf(root, state).items).toEqual([]);
  });

  it('skips a name that is not UTF-8 with a warning showing it escaped, counts it, and ships the rest', () => {
    const root = makeTree({ 'd/ok.txt': 'ok', 'd/real\ufffd.txt': 'a genuine replacement character' });
    fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/d/bad`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'x');
    const warnings: ScanWarning[] = [];
    const { items, totals } = planOf(root, null, { onWarning: (w) => warnings.push(w) });
    expect(brief(items).sort()).toEqual(['F d/ok.txt', 'F d/real\ufffd.txt']);
    expect(totals.skipped).toBe(1);
    expect(warnings).toEqual([expect.objectContaining({ reason: 'non-utf8', path: 'd/bad\\xff\\xfe.txt' })]);
  });

  it('never follows symlinks, even a loop, and counts them as skipped', () => {
    const root = makeTree({ 'data/a.txt': 'a', 'data/loop': symlink('..'), 'data/to-file': symlink('a.txt'), 'data/dangling': symlink('/nonexistent') });
    const seen: string[] = [];
    const { items, totals } = planOf(root, null, { onWarning: (w) => seen.push(`${w.reason} ${w.path}`) });
    expect(brief(items)).toEqual(['F data/a.txt']);
    expect(totals).toMatchObject({ skipped: 3, scanned: { files: 1, dirs: 1 } });
    expect(seen.sort()).toEqual(['symlink data/dangling', 'symlink data/loop', 'symlink data/to-file']);
  });

  it('a file vanishing between readdir and lstat is a warning, never recorded', () => {
    const root = makeTree({ 'd/stays.txt': 's', 'd/goes.txt': 'g' });
    const state = newState();
    const vanishing: ScanFs = {
      ...nodeScanFs,
      lstat: (p) => {
        if (p.endsWith('goes.txt')) throw errno('ENOENT');
        return nodeScanFs.lstat(p);
      },
    };
    const warnings: ScanWarning[] = [];
    const { items, totals } = planOf(root, state, { write: true, fs: vanishing, onWarning: (w) => warnings.push(w) });
    expect(brief(items)).toEqual(['F d/stays.txt']);
    expect(totals.skipped).toBe(1);
    expect(warnings.map((w) => `${w.reason} ${w.path}`)).toEqual(['vanished d/goes.txt']);
    expect(rows(state, `name = 'goes.txt'`)).toBe(0);
  });

  it('files deleted since the last run are marked gone, and un-gone when they come back', () => {
    const { root, state } = shipped({ 'd/a.txt': 'a', 'd/sub/b.txt': 'b', 'c.txt': 'c' });
    fs.rmSync(path.join(root, 'd'), { recursive: true });
    expect(planOf(root, state).totals.gone).toBe(1);
    ship(root, state);
    expect(rows(state, 'gone = 1')).toBe(4);
    makeTree({ 'd/a.txt': 'a' }, root);
    ship(root, state);
    expect(rows(state, `gone = 1`)).toBe(2);
    expect(rows(state, `name = 'a.txt' AND gone = 0`)).toBe(1);
  });

  it('an unreadable directory is a warning, not recorded, keeps its parent from going recursive, and its shipped contents are not marked gone', () => {
    const { root, state } = shipped({ 'locked/old.txt': 'o', 'p/q.txt': 'q' });
    makeTree({ 'locked/new.txt': 'n', 'fresh/locked2/x': 'x', 'fresh/ok.txt': 'ok' }, root);
    const denying: ScanFs = {
      ...nodeScanFs,
      readdir: (d) => {
        if (path.basename(d).startsWith('locked')) throw errno('EACCES');
        return nodeScanFs.readdir(d);
      },
    };
    const warnings: ScanWarning[] = [];
    const { items, totals } = planOf(root, state, { write: true, fs: denying, onWarning: (w) => warnings.push(w) });
    expect(brief(items)).toEqual(['F fresh/ok.txt']);
    expect(totals.skipped).toBe(2);
    expect(warnings.map((w) => `${w.reason} ${w.path}`).sort()).toEqual(['unreadable fresh/locked2', 'unreadable locked']);
    expect(rows(state, 'gone = 1')).toBe(0);
    expect(rows(state, `name IN ('locked2', 'x', 'new.txt')`)).toBe(0);
  });

  it('a chmod 000 directory is skipped with a warning (real permissions, through the built CLI)', async () => {
    const root = makeTree({ 'closed/x.txt': 'x', 'open/y.txt': 'y' });
    const config = path.join(tempDir(), 'job.json');
    fs.writeFileSync(config, JSON.stringify({
      name: 'perm',
      source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: root, collectionPath: '/src' },
      destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/dst' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2' },
      state: { path: path.join(path.dirname(config), 'state', 'job.db') },
      scan: { minAgeSeconds: 0 },
    }));
    fs.chmodSync(path.join(root, 'closed'), 0o000);
    try {
      // Without root's privileges when the suite runs as root (test/helpers/unprivileged.ts).
      const r = await gsync(['plan', '--json', '-c', config], { env: { ...process.env, GSYNC_CONFIG: '' }, unprivileged: true });
      expect(r.code).toBe(0);
      const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(out.filter((o) => o.DATA_TYPE === 'transfer_item').map((o) => `${o.recursive ? 'R' : 'F'} ${o.source_path}`)).toEqual(['R /src/open/']);
      expect(out.at(-1)).toMatchObject({ DATA_TYPE: 'gsync_plan_totals', skipped: 1 });
      expect(r.stderr).toMatch(/unreadable/);
    } finally {
      fs.chmodSync(path.join(root, 'closed'), 0o755);
    }
  });

  it('a missing or unreadable source directory is a config error naming source.path', () => {
    const missing = path.join(tempDir(), 'nope');
    expect(() => planOf(missing, null)).toThrow(`source.path ${missing}: does not exist`);
    const file = path.join(tempDir(), 'file');
    fs.writeFileSync(file, '');
    expect(() => planOf(file, null)).toThrow(`source.path ${file}: is not a directory`);
  });

  it('a crash between batches leaves the database consistent with nothing shipped, and a rescan completes', () => {
    const spec: Record<string, string> = {};
    for (let i = 0; i < 40; i++) spec[`d${i % 4}/f${i}.txt`] = `${i}`;
    const root = makeTree(spec);
    const state = newState();
    let committed = 0;
    expect(() =>
      planOf(root, state, {
        write: true,
        batchSize: 7,
        onBatchCommitted: (n) => {
          committed = n;
          if (n === 3) throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    expect(committed).toBe(3);
    state.close();

    const reopened = openState(state.path);
    expect(reopened.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(reopened.db.pragma('foreign_key_check')).toEqual([]);
    // three batches of seven rows made it; nothing is shipped or in flight
    expect(rows(reopened, 'parent IS NOT NULL')).toBeGreaterThan(0);
    expect(rows(reopened, 'parent IS NOT NULL')).toBeLessThan(44);
    expect(rows(reopened, 'shipped_kind IS NOT NULL')).toBe(0);
    const { rowId, items } = submit(root, reopened);
    expect(brief(items)).toEqual(['R /']);
    expect(rows(reopened, 'parent IS NOT NULL')).toBe(44);
    commitSubmission(reopened, rowId, LATER_NS);
    expect(planOf(root, reopened).items).toEqual([]);
  });
});
