import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prefetchProbe } from '../src/scan/prefetch.js';
import { openState, type State } from '../src/state/open.js';
import { brief, planOf, ship } from './helpers/ship.js';
import { makeTree, setMtime, tempDir } from './helpers/tree.js';

let state: State | undefined;
afterEach(() => {
  state?.close();
  prefetchProbe.waitForFirst = false;
});

/**
 * The read-ahead thread must never change what a read-only plan says. With
 * prefetchMinNodes 0 it runs on any trie, so the same plan is made with and
 * without it over a tree with every kind of entry the walk treats differently;
 * the probe's count shows the second plan's rows really came from the thread.
 */
describe('read-ahead for read-only scans', () => {
  it('plans exactly what the single-threaded scan plans', () => {
    const spec: Record<string, string> = {};
    for (let d = 0; d < 30; d++) for (let f = 0; f < 20; f++) spec[`d${d}/sub ${d % 3}/f${f}.txt`] = `${d}-${f}`;
    const root = makeTree({ ...spec, 'top.txt': 'top', 'skip.tmp': 'x' });
    state = openState(path.join(tempDir('gsync-prefetch-'), 'job.db'));
    ship(root, state, { exclude: ['**/*.tmp'] });

    // Changed, new, vanished, a directory replaced by a file, an mtime moved backwards.
    fs.writeFileSync(path.join(root, 'd3/sub 0/f1.txt'), 'changed contents');
    fs.writeFileSync(path.join(root, 'd7/sub 1/new file.txt'), 'new');
    fs.mkdirSync(path.join(root, 'd9/new dir'));
    fs.writeFileSync(path.join(root, 'd9/new dir/inside.txt'), 'inside');
    fs.rmSync(path.join(root, 'd12/sub 0/f5.txt'));
    fs.rmSync(path.join(root, 'd15'), { recursive: true });
    fs.writeFileSync(path.join(root, 'd15'), 'now a file');
    setMtime(path.join(root, 'top.txt'), new Date('2001-01-01T00:00:00Z'));

    prefetchProbe.waitForFirst = true;
    const before = prefetchProbe.rowsDelivered;
    const plain = planOf(root, state, { exclude: ['**/*.tmp'], prefetchMinNodes: Number.MAX_SAFE_INTEGER });
    expect(prefetchProbe.rowsDelivered).toBe(before);
    const ahead = planOf(root, state, { exclude: ['**/*.tmp'], prefetchMinNodes: 0 });
    // Every shipped row the scan visits: the 31 in the source directory (d0-d29, top.txt),
    // and for each dN but d15 (now a file, not descended) its one 'sub N%3' and that sub's 20 files.
    expect(prefetchProbe.rowsDelivered - before).toBe(31 + 29 * (1 + 20));
    expect(brief(plain.items)).toEqual(['F d15', 'F d3/sub 0/f1.txt', 'F d7/sub 1/new file.txt', 'R d9/new dir/', 'F top.txt']);
    expect(brief(ahead.items)).toEqual(brief(plain.items));
    expect(ahead.totals).toEqual(plain.totals);
  });
});
