import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { changeReason, judge } from '../src/scan/change-rule.js';
import type { Fingerprint } from '../src/state/fingerprint.js';
import type { ShippedRecord } from '../src/state/trie.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

/*
 * Issue 31.13: `gsync plan -v` and `gsync run -v` (`--itemize`) list each path
 * with why it ships or waits, in the words the README gives; `plan --json -v`
 * carries the same word in a `reason` field.
 */
let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});
beforeAll(() => assertBuilt());

const T0 = 1_600_000_000; // an old mtime (2020), so that scan.minAgeSeconds defers only what the test makes fresh
const S = 1_000_000_000n;
const setMtime = (root: string, rel: string, s: number) => fs.utimesSync(path.join(root, rel), s, s);
const cli = (args: string[]) => gsync([...args, '--config', w!.configFile], { env: w!.env });
/** "reason path" of each itemized line (the item's "-> destination (...)" tail left off). */
const itemizedLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => /^\S+ +\//.test(l))
    .map((l) => l.replace(/ -> .*| {2}\(.*/, '').replace(/ +/, ' '))
    .sort();

describe('the change reason (src/scan/change-rule.ts)', () => {
  const row = (r: Partial<ShippedRecord>): ShippedRecord =>
    ({ shipped_kind: 'f', shipped_size: 10n, shipped_mtime_ns: 100n * S, shipped_ctime_ns: 100n * S, shipped_ino: 7n, last_transfer_ns: 100n * S, ...r }) as ShippedRecord;
  const fp = (f: Partial<Fingerprint>): Fingerprint => ({ kind: 'f', size: 10n, mtimeNs: 100n * S, ctimeNs: 100n * S, ino: 7n, ...f });
  it.each([
    ['type', fp({ kind: 'd' })],
    ['mtime-back', fp({ mtimeNs: 50n * S, size: 11n })],
    ['size', fp({ size: 11n, mtimeNs: 101n * S })],
    ['mtime', fp({ mtimeNs: 101n * S })],
    ['inode', fp({ ino: 8n })],
    ['inode', fp({ ctimeNs: 101n * S })],
  ] as const)('%s', (reason, now) => {
    expect(judge(row({}), now)).toBe('changed');
    expect(changeReason(row({}), now)).toBe(reason);
  });
  it('mtime after a set-time boundary (nothing shipped recorded)', () => {
    const boundary = row({ shipped_kind: null, shipped_size: null, shipped_mtime_ns: null, shipped_ctime_ns: null, shipped_ino: null });
    expect(judge(boundary, fp({ mtimeNs: 200n * S }))).toBe('changed');
    expect(changeReason(boundary, fp({ mtimeNs: 200n * S }))).toBe('mtime');
  });
});

describe('plan -v and run -v', () => {
  it('name each change: new, size, mtime, mtime-back, type, inode, and deferred', { timeout: 60_000 }, async () => {
    w = await jobWorld({}, { scan: { minAgeSeconds: 3600 } });
    writeTree(w.src, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', d: 'd', 'e.txt': 'e', 'keep.txt': 'k' });
    for (const f of ['a.txt', 'b.txt', 'c.txt', 'd', 'e.txt', 'keep.txt']) setMtime(w.src, f, T0);
    expect((await cli(['run', '--wait'])).code).toBe(0);

    writeTree(w.src, { 'a.txt': 'aa', 'b.txt': 'B', 'c.txt': 'C', 'f.txt': 'f', 'g.txt': 'g' });
    setMtime(w.src, 'a.txt', T0); // size only
    setMtime(w.src, 'b.txt', T0 + 100); // same size, later mtime
    setMtime(w.src, 'c.txt', T0 - 100); // restored older version
    fs.rmSync(path.join(w.src, 'd'));
    writeTree(w.src, { 'd/x.txt': 'x' }); // a file replaced by a directory
    setMtime(w.src, 'd/x.txt', T0);
    // Same size and mtime, another inode: written beside it and renamed over it.
    fs.writeFileSync(path.join(w.src, 'e.tmp'), 'E');
    setMtime(w.src, 'e.tmp', T0);
    fs.renameSync(path.join(w.src, 'e.tmp'), path.join(w.src, 'e.txt'));
    setMtime(w.src, 'f.txt', T0); // new
    // g.txt keeps its fresh mtime: deferred by scan.minAgeSeconds.
    const expected = ['deferred /g.txt', 'inode /e.txt', 'mtime /b.txt', 'mtime-back /c.txt', 'new /f.txt', 'size /a.txt', 'type /d/'];

    const plain = await cli(['plan']);
    expect(itemizedLines(plain.stdout)).toEqual([]); // without -v, the plan's lines are unchanged
    const plan = await cli(['plan', '-v']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(itemizedLines(plan.stdout)).toEqual(expected);
    expect(plan.stdout).toContain('mtime-back /c.txt -> /c.txt  (file 1 B)\n');
    expect(plan.stdout).toContain('size       /a.txt -> /a.txt  (file 2 B)\n');

    expect(itemizedLines((await cli(['run', '--dry-run', '-v'])).stdout)).toEqual(expected); // a dry run is exactly a plan

    const json = (await cli(['plan', '--json', '--itemize'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const reasons = json.filter((o) => o.reason).map((o) => `${o.reason} ${o.source_path}`).sort();
    expect(reasons).toEqual(expected);
    expect(json.find((o) => o.source_path === '/a.txt')).toEqual({ DATA_TYPE: 'transfer_item', source_path: '/a.txt', destination_path: '/a.txt', recursive: false, reason: 'size' });
    expect(json.find((o) => o.source_path === '/g.txt')).toEqual({ DATA_TYPE: 'gsync_itemized', reason: 'deferred', source_path: '/g.txt' });

    // Not waited for: with deletes off, the file d still at the destination keeps that task faulting (README "What does not ship").
    const run = await cli(['run', '-v']);
    expect(run.code, run.stderr).toBe(0);
    expect(itemizedLines(run.stdout)).toEqual(expected);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^submitted task \S+: 6 files/);
    // Now in flight: held, and the deferred file still deferred.
    expect(itemizedLines((await cli(['plan', '-v'])).stdout)).toEqual(['deferred /g.txt', 'held /a.txt', 'held /b.txt', 'held /c.txt', 'held /d', 'held /e.txt', 'held /f.txt']);
  });

  it('name repair, held (in flight) and delete', { timeout: 60_000 }, async () => {
    w = await jobWorld({ faultRetryMs: 50 }, { deletes: { enabled: true, maxPercent: 100 } });
    writeTree(w.src, { 'x.txt': 'x', 'y.txt': 'y', 'old.txt': 'o' });
    expect((await cli(['run', '--wait'])).code).toBe(0);
    // y.txt goes in a task that keeps faulting (ACTIVE), then changes again: held while that task is open.
    writeTree(w.src, { 'y.txt': 'yy' });
    w.srv.faults.faultNextTask({ recoverAfter: 1_000_000 });
    expect((await cli(['run'])).code).toBe(0);
    writeTree(w.src, { 'y.txt': 'yyy' });
    // x.txt goes in a task that FAILS: released, marked for repair.
    writeTree(w.src, { 'x.txt': 'xx' });
    w.srv.faults.failNextTask();
    expect((await cli(['run', '--wait'])).code).toBe(1);
    fs.rmSync(path.join(w.src, 'old.txt'));
    const expected = ['delete /old.txt', 'held /y.txt', 'repair /x.txt'];

    const plan = await cli(['plan', '-v']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(itemizedLines(plan.stdout)).toEqual(expected);
    const json = (await cli(['plan', '--json', '-v'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json.filter((o) => o.reason).map((o) => `${o.reason} ${o.source_path ?? o.path}`).sort()).toEqual(expected);

    const run = await cli(['run', '-v']);
    expect(run.code, run.stderr).toBe(0);
    expect(itemizedLines(run.stdout)).toEqual(expected);
  });
});
