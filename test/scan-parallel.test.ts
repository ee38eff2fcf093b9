import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { AHEAD, DEPTH } from '../src/scan/pool.js';
import { STOP } from '../src/scan/worker-protocol.js';
import type { ScanWarning } from '../src/scan/events.js';
import type { ScanStats } from '../src/scan/scanner.js';
import { openState, type State } from '../src/state/open.js';
import { setLastTransfer } from '../src/state/last-transfer.js';
import { brief, planOf, ship, submit, type PlanOpts } from './helpers/ship.js';
import { makeTree, setMtime, symlink } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';

/**
 * The parallel walk (worker threads comparing directories, the scan's own thread
 * recording them) must plan and record exactly what the one-thread walk does.
 * Each case runs both on copies of the same state database and compares the
 * items, totals, warnings and every row of the node table, and checks from the
 * scan's stats that the workers really compared the directories (with the scan's
 * own thread kept from comparing ahead) and that each directory was compared once.
 */
const opened: State[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

function open(file: string): State {
  const s = openState(file);
  opened.push(s);
  return s;
}

const EXCLUDE = ['**/*.tmp', 'd2/skip-me'];

/** A varied tree: many directories, hostile names, every kind of entry the walk treats differently. */
function variedTree(): string {
  const spec: Record<string, Parameters<typeof makeTree>[0][string]> = {};
  for (let d = 0; d < 40; d++) {
    for (let s = 0; s < 3; s++) for (let f = 0; f < 12; f++) spec[`d${d}/sub ${s}/f${f}.txt`] = `${d}-${s}-${f}`;
  }
  Object.assign(spec, {
    'top.txt': 'top',
    'skip.tmp': 'excluded',
    'd2/skip-me/inside.txt': 'excluded directory',
    'names/new\nline.txt': 'newline',
    'names/tab\there': 'tab',
    'names/back\\slash': 'backslash',
    'names/ünïcödé ✓.txt': 'unicode',
    'names/-leading-dash': 'dash',
    'names/ a leading space': 'space',
    'names/link': symlink('../top.txt'),
    'names/dangling': symlink('nowhere'),
    'deep/a/b/c/d/e/f/g/h/leaf.txt': 'deep',
    'empty dir/.keep': '',
  });
  const root = makeTree(spec);
  fs.rmSync(path.join(root, 'empty dir/.keep'));
  const raw = Buffer.from(`${root}/names/`);
  fs.writeFileSync(Buffer.concat([raw, Buffer.from([0x66, 0xff, 0x6f])]), 'not utf-8');
  fs.mkdirSync(Buffer.concat([raw, Buffer.from([0xc3, 0x28])]));
  execFileSync('mkfifo', [path.join(root, 'names', 'a fifo')]);
  return root;
}

/** Every change since the shipped state that the walk judges differently. */
function change(root: string): void {
  fs.writeFileSync(path.join(root, 'd3/sub 0/f1.txt'), 'changed contents');
  fs.writeFileSync(path.join(root, 'd7/sub 1/new file.txt'), 'new');
  fs.mkdirSync(path.join(root, 'd9/new dir/deeper'), { recursive: true });
  fs.writeFileSync(path.join(root, 'd9/new dir/deeper/inside.txt'), 'inside');
  fs.rmSync(path.join(root, 'd12/sub 0/f5.txt'));
  fs.rmSync(path.join(root, 'd14'), { recursive: true });
  fs.rmSync(path.join(root, 'd15'), { recursive: true });
  fs.writeFileSync(path.join(root, 'd15'), 'now a file');
  fs.rmSync(path.join(root, 'd16/sub 2/f0.txt'));
  fs.mkdirSync(path.join(root, 'd16/sub 2/f0.txt'));
  setMtime(path.join(root, 'top.txt'), new Date('2001-01-01T00:00:00Z'));
  // Too young to ship (min-age 60 s at the test's clock).
  fs.writeFileSync(path.join(root, 'd20/sub 1/young.txt'), 'young');
  setMtime(path.join(root, 'd20/sub 1/young.txt'), new Date(Date.now() + 3_600_000));
}

function dumpNodes(state: State): unknown[] {
  return state.db.prepare('SELECT * FROM node ORDER BY id').raw(true).all();
}

interface Outcome {
  items: string[];
  totals: unknown;
  warnings: string[];
  nodes: unknown[];
  stats: ScanStats;
}

/** One scan of a copy of dbFile, with this many threads. */
function scanCopy(root: string, dbFile: string, threads: number, opts: PlanOpts): Outcome {
  const copy = path.join(tempDir('gsync-parallel-copy-'), 'job.db');
  fs.copyFileSync(dbFile, copy);
  const state = open(copy);
  const warnings: ScanWarning[] = [];
  let stats: ScanStats | undefined;
  const { items, totals } = planOf(root, state, {
    exclude: EXCLUDE,
    minAgeSeconds: 60,
    ...opts,
    threads,
    onWarning: (w) => warnings.push(w),
    onStats: (s) => (stats = s),
  });
  return { items: brief(items), totals, warnings: warnings.map((w) => `${w.reason} ${w.path}`), nodes: dumpNodes(state), stats: stats! };
}

/** A shipped state for root, a submission in flight over part of it, then the changes; the database file. */
function preparedState(root: string): string {
  const file = path.join(tempDir('gsync-parallel-'), 'job.db');
  const state = open(file);
  ship(root, state, { exclude: EXCLUDE, minAgeSeconds: 0 });
  // d30 changes and its submission is still open: the walk holds it back as in flight.
  fs.writeFileSync(path.join(root, 'd30/sub 0/f0.txt'), 'in flight');
  const inflight = submit(root, state, { exclude: EXCLUDE, minAgeSeconds: 0 });
  expect(brief(inflight.items)).toEqual(['F d30/sub 0/f0.txt']);
  // A set-time boundary for one subtree.
  expect(setLastTransfer(state, 'd25', 1n)).not.toBeNull();
  change(root);
  state.db.pragma('wal_checkpoint(TRUNCATE)');
  return file;
}

describe('parallel walk', () => {
  it('a read-only plan with 3 threads equals the one-thread plan, and the workers compared the directories', () => {
    const root = variedTree();
    const file = preparedState(root);
    const one = scanCopy(root, file, 1, {});
    const three = scanCopy(root, file, 3, { compareAhead: false });
    expect(one.stats).toMatchObject({ workers: 0, dirsFromWorkers: 0 });
    // Three threads: the scan's own and two workers.
    expect(three.stats.workers).toBe(2);
    // All but the source directory itself (compared before the workers start).
    expect(three.stats.dirsFromWorkers).toBe(one.stats.dirsHere - 1);
    expect(three.stats.dirsHere).toBe(1);
    expect(one.items).toContain('F d3/sub 0/f1.txt');
    expect(one.items).toContain('R d9/new dir/');
    expect(one.warnings).toContain('non-utf8 names/f\\xffo');
    expect(one.warnings).toContain('special names/a fifo');
    expect(three.items).toEqual(one.items);
    expect(three.totals).toEqual(one.totals);
    expect(three.warnings).toEqual(one.warnings);
    // As the commands run it, the scan's own thread comparing ahead while it waits: the same plan, each directory compared once.
    const shared = scanCopy(root, file, 3, {});
    expect(shared.stats.dirsFromWorkers + shared.stats.dirsHere).toBe(one.stats.dirsHere);
    expect(shared.stats.lateReplies).toBeLessThanOrEqual(DEPTH * shared.stats.workers);
    expect(shared.items).toEqual(one.items);
    expect(shared.totals).toEqual(one.totals);
    expect(shared.warnings).toEqual(one.warnings);
  }, 60_000);

  it('the worker the package ships (dist/bin/scan-worker.js, bundled by scripts/bundle.ts) compares as the compiled one', () => {
    const bundled = path.resolve('dist/bin/scan-worker.js');
    if (!fs.existsSync(bundled)) throw new Error('build first: npm run build');
    const root = variedTree();
    const file = preparedState(root);
    const one = scanCopy(root, file, 1, {});
    const three = scanCopy(root, file, 3, { compareAhead: false, workerFile: bundled });
    expect(three.stats.dirsFromWorkers).toBe(one.stats.dirsHere - 1);
    expect(three.items).toEqual(one.items);
    expect(three.totals).toEqual(one.totals);
    expect(three.warnings).toEqual(one.warnings);
  }, 60_000);

  it('a write-mode scan with 2 threads records exactly the rows the one-thread scan records', () => {
    const root = variedTree();
    const file = preparedState(root);
    const one = scanCopy(root, file, 1, { write: true });
    for (const compareAhead of [false, true]) {
      const two = scanCopy(root, file, 2, { write: true, compareAhead });
      if (!compareAhead) expect(two.stats.dirsFromWorkers).toBeGreaterThan(100);
      expect(one.stats.rowsWritten).toBeGreaterThan(0);
      expect(two.stats.rowsWritten).toBe(one.stats.rowsWritten);
      expect(two.nodes).toEqual(one.nodes);
      expect(two.items).toEqual(one.items);
      expect(two.totals).toEqual(one.totals);
      expect(two.warnings).toEqual(one.warnings);
    }
  }, 60_000);

  it('a first run (no trie rows) records the same new nodes, in the same order, with 2 threads', () => {
    const root = variedTree();
    const file = path.join(tempDir('gsync-parallel-first-'), 'job.db');
    open(file).close();
    opened.pop();
    const one = scanCopy(root, file, 1, { write: true });
    expect(one.items).toEqual(expect.arrayContaining(['R d0/']));
    for (const compareAhead of [false, true]) {
      const two = scanCopy(root, file, 2, { write: true, compareAhead });
      expect(two.nodes).toEqual(one.nodes);
      expect(two.items).toEqual(one.items);
      if (!compareAhead) expect(two.stats.dirsFromWorkers).toBeGreaterThan(100);
    }
  }, 60_000);

  it("while a worker holds the directory the recording needs, the scan's own thread compares the next ones", () => {
    const root = variedTree();
    const file = preparedState(root);
    const real = path.resolve('dist/src/scan/scan-worker.js');
    const slow = path.join(tempDir('gsync-parallel-slow-'), 'slow-worker.mjs');
    // Starts 300 ms late, then compares as the real one: the directories sent to it first, which the
    // recording needs first, wait in its port meanwhile.
    fs.writeFileSync(slow, `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);\nawait import(${JSON.stringify(real)});\n`);
    const one = scanCopy(root, file, 1, { write: true });
    const two = scanCopy(root, file, 2, { write: true, workerFile: slow });
    // What the worker held, it delivered (no directory is compared twice)...
    expect(two.stats.dirsFromWorkers).toBeGreaterThanOrEqual(1);
    expect(two.stats.dirsFromWorkers + two.stats.dirsHere).toBe(one.stats.dirsHere);
    // ...and meanwhile the scan's own thread compared the rest instead of sleeping.
    expect(two.stats.dirsHere).toBeGreaterThan(100);
    expect(two.nodes).toEqual(one.nodes);
    expect(two.items).toEqual(one.items);
    expect(two.warnings).toEqual(one.warnings);
  }, 60_000);

  it('a no-change write-mode scan writes no row, with one thread or two', () => {
    const root = variedTree();
    const file = path.join(tempDir('gsync-parallel-quiet-'), 'job.db');
    const state = open(file);
    ship(root, state, { exclude: EXCLUDE, minAgeSeconds: 0 });
    state.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const threads of [1, 2]) {
      const r = scanCopy(root, file, threads, { write: true, minAgeSeconds: 0 });
      expect(r.items).toEqual([]);
      expect(r.stats.rowsWritten).toBe(0);
    }
  }, 60_000);

  it('the workers stay within their read-ahead bound while the recording is held up', () => {
    const spec: Record<string, string> = {};
    for (let d = 0; d < 200; d++) for (let f = 0; f < 100; f++) spec[`d${String(d).padStart(3, '0')}/f${f}`] = '';
    const root = makeTree(spec);
    let stats: ScanStats | undefined;
    const { totals } = planOf(root, null, {
      threads: 2,
      onStats: (s) => (stats = s),
      // A slow recording (0.5 ms every 20 entries, 0.5 s in all): the workers, much faster, run ahead as far as they may.
      onProgress: () => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0.5),
      progressEvery: 20,
    });
    expect(totals.scanned.files).toBe(20_000);
    expect(stats!.peakAhead).toBeGreaterThan(AHEAD / 2);
    // The bound, plus what was already on its way: at most 4 directories of 100 per worker.
    expect(stats!.peakAhead).toBeLessThanOrEqual(AHEAD + 2 * 4 * 100);
  }, 60_000);

  it('after the scan each worker is asked to stop and ends by itself, its connection closed, not terminated (issue 32)', async () => {
    const root = variedTree();
    const file = preparedState(root);
    const real = path.resolve('dist/src/scan/scan-worker.js');
    const dir = tempDir('gsync-parallel-stop-');
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const marker = path.join(dir, 'worker.log');
    // The real worker, logging what it is told and how its thread ends: a natural end
    // fires 'exit' in the worker; terminate() does not.
    const logging = path.join(dir, 'logging-worker.mjs');
    fs.writeFileSync(
      logging,
      `import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
await import(${JSON.stringify(real)});
parentPort.on('message', (m) => { if (m === ${JSON.stringify(STOP)}) fs.appendFileSync(${JSON.stringify(marker)}, 'stop;'); });
process.on('exit', () => fs.appendFileSync(${JSON.stringify(marker)}, 'ended;'));
`,
    );
    scanCopy(root, file, 3, { write: true, workerFile: logging });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '').split('ended;').length < 3) await new Promise((r) => setTimeout(r, 50));
    const log = fs.readFileSync(marker, 'utf8');
    expect(log.split('stop;').length - 1, log).toBe(2);
    expect(log.split('ended;').length - 1, log).toBe(2);
  }, 60_000);

  it('a worker that dies mid-scan costs time, not a difference: the scan compares the rest itself', () => {
    const root = variedTree();
    const file = preparedState(root);
    const real = path.resolve('dist/src/scan/scan-worker.js');
    const dying = path.join(tempDir('gsync-parallel-dying-'), 'dying-worker.mjs');
    // Answers three directories, then ends its thread without a word, as a native crash would.
    fs.writeFileSync(
      dying,
      `import { parentPort } from 'node:worker_threads';
await import(${JSON.stringify(real)});
let n = 0;
parentPort.on('message', () => { if (++n >= 3) process.exit(1); });
`,
    );
    const one = scanCopy(root, file, 1, { write: true });
    const withDying = scanCopy(root, file, 2, { write: true, workerFile: dying, compareAhead: false });
    expect(withDying.stats.dirsFromWorkers).toBeGreaterThan(0);
    expect(withDying.stats.dirsFromWorkers).toBeLessThanOrEqual(3);
    expect(withDying.stats.dirsHere).toBeGreaterThan(100);
    // Only what was out at the dead worker stays set aside, not every directory compared here since.
    expect(withDying.stats.lateReplies).toBeLessThanOrEqual(DEPTH);
    expect(withDying.nodes).toEqual(one.nodes);
    expect(withDying.items).toEqual(one.items);
    expect(withDying.warnings).toEqual(one.warnings);
  }, 60_000);
});
