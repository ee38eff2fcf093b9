import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GsyncError } from '../src/errors/errors.js';
import { driverCandidates, loadDriver, NODE_API_FOR_13, sqliteDatabase, sqliteDriverName } from '../src/state/sqlite-driver.js';
import { makeTree as makeBenchTree } from '../scripts/make-tree.js';
import { writeScanJob } from '../scripts/stress-exit.js';
import { assertBuilt, gsync } from './helpers/cli.js';

/**
 * Which better-sqlite3 runs on which Node (issue 32, src/state/sqlite-driver.ts):
 * 13 (Node-API) wherever its binary loads, 12 below Node-API 10 (Node 20). On
 * Node 24.19+, 12 aborted the process in the middle of a scan (nodejs/node#65446);
 * the last test is that scan, and fails there if 12 is ever chosen again.
 */
const REPO = path.resolve(import.meta.dirname, '..');
const installedVersion = (dir: string) => (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', dir, 'package.json'), 'utf8')) as { version: string }).version;

describe('the SQLite driver for this Node', () => {
  it('is better-sqlite3 13 from Node-API 10 on, 12 below', () => {
    expect(driverCandidates(NODE_API_FOR_13 - 1)).toEqual(['better-sqlite3-12']);
    expect(driverCandidates(NODE_API_FOR_13)[0]).toBe('better-sqlite3');
    expect(driverCandidates(NODE_API_FOR_13 + 1)[0]).toBe('better-sqlite3');
  });

  it('loads the one this Node should run, and it works', () => {
    const Database = sqliteDatabase();
    const expected = Number(process.versions.napi) >= NODE_API_FOR_13 ? { name: 'better-sqlite3', major: '13' } : { name: 'better-sqlite3-12', major: '12' };
    expect(sqliteDriverName()).toBe(expected.name);
    expect(installedVersion(expected.name).split('.')[0]).toBe(expected.major);
    const db = new Database(':memory:');
    try {
      expect(db.prepare('SELECT 40 + 2 AS n').get()).toEqual({ n: 42 });
    } finally {
      db.close();
    }
  });

  it('passes over a package that resolves but cannot open a database (its addon never built) to the next', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-driver-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const unbuilt = path.join(dir, 'unbuilt.cjs');
    fs.writeFileSync(unbuilt, "module.exports = class { constructor() { throw new Error('Could not locate the bindings file'); } };");
    const working = path.join(dir, 'working.cjs');
    fs.writeFileSync(working, 'module.exports = class { close() {} };');
    expect(loadDriver([unbuilt, working]).name).toBe(working);
    expect(() => loadDriver([unbuilt])).toThrow(`no SQLite driver loads on Node ${process.version} (${unbuilt}: Could not locate the bindings file)`);
  });

  it('when nothing loads: one failure naming this Node, each package tried and why, and how to fix it', () => {
    let err: unknown;
    try {
      loadDriver(['gsync-no-such-driver-a', 'gsync-no-such-driver-b']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GsyncError);
    const e = err as GsyncError;
    expect(e.kind).toBe('failure');
    expect(e.message).toMatch(new RegExp(`^no SQLite driver loads on Node ${process.version.replace(/\./g, '\\.')} \\(gsync-no-such-driver-a: Cannot find .*; gsync-no-such-driver-b: Cannot find [^\\n]*\\)$`));
    expect(e.hint).toMatch(/npm ci .*with this Node/);
  });
});

describe('a scan on this Node', () => {
  let work: string;
  beforeAll(() => {
    assertBuilt();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-driver-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  // The shape that aborted 10 of 10 times on Node 24.21 with better-sqlite3 12 (set-time on
  // one thread), and 7 of 10 with worker threads (plan): statements collected mid-scan.
  it('records and plans 600 files on one thread and on four, and every process exits normally', async () => {
    const source = path.join(work, 'source');
    makeBenchTree({ files: 600, dirs: 80, out: source, seed: 32 });
    const config = (threads: number) => writeScanJob(work, source, threads);
    const env = { ...process.env, TMPDIR: work };
    const setTime = await gsync(['--config', config(1), 'set-time', '--now'], { env });
    expect(setTime, setTime.stderr).toMatchObject({ signal: null, code: 0 });
    expect(setTime.stdout).toMatch(/^set-time: 679 paths under /);
    for (const threads of [1, 4]) {
      const plan = await gsync(['--config', config(threads), 'plan'], { env });
      expect(plan, `${threads} threads: ${plan.stderr}`).toMatchObject({ signal: null, code: 0 });
      expect(plan.stdout).toMatch(/^plan: nothing to ship;/m);
    }
  }, 120_000);
});
