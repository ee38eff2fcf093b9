import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { setTimeCommand, type SetTimeOptions } from '../src/commands/set-time.js';
import type { CommandContext } from '../src/commands/context.js';
import { GsyncError } from '../src/errors/errors.js';
import { exitCodeFor } from '../src/errors/exit-codes.js';
import { acquireJobLock, lockPathFor } from '../src/lock/job-lock.js';
import { openState } from '../src/state/open.js';
import { brief, planOf, ship } from './helpers/ship.js';
import { makeTree, setMtime } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';

/** Mtimes either side of the boundary the tests set. */
const OLD = new Date('2020-06-01T00:00:00Z');
const BOUNDARY = '2022-01-01T00:00:00Z';
const NEW = new Date('2024-06-01T00:00:00Z');

interface Job {
  root: string;
  statePath: string;
  run(opts: SetTimeOptions): Promise<{ code: number; out: string; message?: string }>;
  /** A fresh read of the state, closed after each use so the command's own opens are not disturbed. */
  plan(exclude?: string[]): string[];
}

function job(spec: Parameters<typeof makeTree>[0], extra: Record<string, unknown> = {}): Job {
  const root = makeTree(spec);
  const home = tempDir('gsync-set-time-');
  const statePath = path.join(home, 'state', 'job.db');
  const config = path.join(home, 'gsync.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      name: 'st',
      source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: root },
      destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/archive' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2' },
      state: { path: statePath },
      scan: { minAgeSeconds: 0 },
      ...extra,
    }),
  );
  return {
    root,
    statePath,
    async run(opts) {
      const out = new PassThrough();
      let text = '';
      out.on('data', (c: Buffer) => (text += c.toString()));
      const ctx: CommandContext = { global: { config, quiet: true }, out, env: {}, interactive: false, stdin: new PassThrough() };
      try {
        const code = await setTimeCommand(opts, ctx);
        return { code, out: text };
      } catch (err) {
        return { code: exitCodeFor(err), out: text, message: (err as Error).message };
      }
    },
    plan(exclude) {
      const state = openState(statePath);
      try {
        return brief(planOf(root, state, { exclude }).items);
      } finally {
        state.close();
      }
    },
  };
}

/** Ship everything once, as a successful run would, so later plans show only what set-time changed. */
function shipAll(j: Job): void {
  const state = openState(j.statePath);
  try {
    ship(j.root, state);
  } finally {
    state.close();
  }
  expect(j.plan()).toEqual([]);
}

const TREE = {
  'old.txt': { content: 'o', mtime: OLD },
  'new.txt': { content: 'n', mtime: NEW },
  'sub/old.txt': { content: 'so', mtime: OLD },
  'sub/new.txt': { content: 'sn', mtime: NEW },
  'other/new.txt': { content: 'on', mtime: NEW },
};

describe('gsync set-time: effect on the next plan', () => {
  it('whole tree, nothing tracked yet: only files modified after --time ship, untracked paths included', async () => {
    const j = job(TREE);
    const r = await j.run({ time: BOUNDARY });
    expect(r.code).toBe(0);
    // 3 directories' worth of nodes: old.txt, new.txt, sub, sub/*, other, other/new.txt
    expect(r.out).toBe(
      `set-time: 7 paths under ${j.root} now last shipped at 2022-01-01T00:00:00.000Z\n` +
        'set-time: of them, 5 files never shipped: their present version never reached the destination, and they ship only if modified after that time (gsync set-time --never ships everything again)\n',
    );
    expect(j.plan().sort()).toEqual(['F new.txt', 'F other/new.txt', 'F sub/new.txt']);
  });

  it('--now says how many of the files it marks shipped never reached the destination (issue 31.11)', async () => {
    const j = job(TREE);
    shipAll(j);
    makeTree({ 'sub/fresh.txt': { content: 'f', mtime: NEW }, 'sub/new.txt': { content: 'edited', mtime: NEW } }, j.root);
    const r = await j.run({ path: 'sub', now: true });
    expect(r.out.split('\n')[1]).toBe(
      'set-time: of them, 1 file never shipped and 1 file changed since last shipped: their present version never reached the destination, and they ship only if modified after that time (gsync set-time --never ships everything again)',
    );
    expect(j.plan()).toEqual([]);
  });

  it('a file exactly at the boundary does not ship; one a second later does', async () => {
    const j = job({ 'at.txt': { content: 'a', mtime: new Date(BOUNDARY) }, 'after.txt': { content: 'b', mtime: new Date(Date.parse(BOUNDARY) + 1000) } });
    expect((await j.run({ time: BOUNDARY })).code).toBe(0);
    expect(j.plan()).toEqual(['F after.txt']);
  });

  it('subtree after a full ship: files under --path newer than --time ship again, nothing else does', async () => {
    const j = job(TREE);
    shipAll(j);
    const r = await j.run({ path: 'sub', time: BOUNDARY });
    expect(r.code).toBe(0);
    expect(r.out).toBe(`set-time: 3 paths under ${path.join(j.root, 'sub')} now last shipped at 2022-01-01T00:00:00.000Z\n`);
    expect(j.plan()).toEqual(['F sub/new.txt']);
  });

  it('subtree given as an absolute path, with a file the trie has never seen', async () => {
    const j = job(TREE);
    shipAll(j);
    makeTree({ 'sub/deeper/untracked-old.txt': { content: 'u', mtime: OLD }, 'sub/deeper/untracked-new.txt': { content: 'u', mtime: NEW } }, j.root);
    setMtime(path.join(j.root, 'sub/deeper'), OLD);
    expect((await j.run({ path: path.join(j.root, 'sub'), time: BOUNDARY })).code).toBe(0);
    expect(j.plan()).toEqual(['F sub/deeper/untracked-new.txt', 'F sub/new.txt']);
  });

  it('--never on a subtree: everything under it ships again, the rest stays shipped', async () => {
    const j = job(TREE);
    shipAll(j);
    const r = await j.run({ path: 'sub', never: true });
    expect(r.code).toBe(0);
    expect(r.out).toBe(`set-time: 3 paths under ${path.join(j.root, 'sub')} now never shipped\n`);
    expect(j.plan()).toEqual(['R sub/']);
  });

  it('--never on the whole tree after a --time: everything ships again', async () => {
    const j = job(TREE);
    expect((await j.run({ time: BOUNDARY })).code).toBe(0);
    expect((await j.run({ never: true })).code).toBe(0);
    expect(j.plan()).toEqual(['R /']);
  });

  it('--now: nothing already on disk ships', async () => {
    const j = job(TREE);
    expect((await j.run({ now: true })).code).toBe(0);
    expect(j.plan()).toEqual([]);
  });

  it('excluded paths get no node and stay excluded', async () => {
    const j = job({ ...TREE, 'skip.tmp': { content: 't', mtime: NEW } }, { scan: { minAgeSeconds: 0, exclude: ['*.tmp'] } });
    const r = await j.run({ time: BOUNDARY });
    expect(r.out).toContain('set-time: 7 paths');
    expect(j.plan(['*.tmp']).sort()).toEqual(['F new.txt', 'F other/new.txt', 'F sub/new.txt']);
    // Were the exclusion dropped later, the file would ship as new: it never got the time.
    expect(j.plan().sort()).toEqual(['F new.txt', 'F other/new.txt', 'F skip.tmp', 'F sub/new.txt']);
  });
});

describe('gsync set-time: refusals', () => {
  const cases: Array<[string, (root: string) => SetTimeOptions, RegExp]> = [
    ['a relative path escaping with ..', () => ({ path: '../elsewhere', time: BOUNDARY }), /^--path \.\.\/elsewhere: is outside the source directory /],
    ['an absolute path outside the source', () => ({ path: '/etc', never: true }), /^--path \/etc: is outside the source directory /],
    ['a sibling whose name starts with the source name', (root) => ({ path: `${root}-other`, never: true }), /is outside the source directory/],
    ['a path that does not exist', () => ({ path: 'nope', never: true }), /^--path nope: .* does not exist$/],
    ['a future --time', () => ({ time: new Date(Date.now() + 86_400_000).toISOString() }), /^--time \S+: is in the future/],
    ['an invalid --time', () => ({ time: 'yesterday' }), /^--time yesterday: not an ISO 8601 time/],
    ['a date Date.parse would accept but is not ISO', () => ({ time: 'March 3 2020' }), /^--time March 3 2020: not an ISO 8601 time/],
    ['no time flag', () => ({}), /^give exactly one of --time/],
    ['two time flags', () => ({ now: true, never: true }), /^give exactly one of --time/],
  ];
  for (const [name, opts, message] of cases) {
    it(`${name}: exit 2, one line, state untouched`, async () => {
      const j = job(TREE);
      const r = await j.run(opts(j.root));
      expect(r.code).toBe(2);
      expect(r.message).toMatch(message);
      expect(r.message).not.toContain('\n');
      expect(r.out).toBe('');
      // Refused before the scan: a missing path is only known after loading the config, still before state is opened.
      expect(fs.existsSync(j.statePath)).toBe(false);
    });
  }

  it('refuses with exit 75 while a run holds the job lock, and changes nothing', async () => {
    const j = job(TREE);
    shipAll(j);
    const lock = acquireJobLock(lockPathFor(j.statePath));
    try {
      const r = await j.run({ never: true });
      expect(r.code).toBe(75);
      expect(r.message).toContain('another gsync run holds the lock');
    } finally {
      lock.release();
    }
    expect(j.plan()).toEqual([]);
  });

  it('accepts a date-only --time and an offset, read as ISO 8601', async () => {
    const j = job(TREE);
    expect((await j.run({ time: '2022-01-01' })).code).toBe(0);
    expect((await j.run({ time: '2022-01-01T02:00:00+02:00' })).out).toContain('last shipped at 2022-01-01T00:00:00.000Z');
    expect(j.plan().sort()).toEqual(['F new.txt', 'F other/new.txt', 'F sub/new.txt']);
  });

  it('the error is a GsyncError of kind usage (exit 2 through src/index.ts)', async () => {
    const j = job(TREE);
    const err = await setTimeCommand({ path: '/etc', now: true }, {
      global: { config: path.join(path.dirname(j.statePath), '..', 'gsync.json'), quiet: true },
      out: new PassThrough(),
      env: {},
      interactive: false,
      stdin: new PassThrough(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GsyncError);
    expect((err as GsyncError).kind).toBe('usage');
  });
});
