import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import type { CommandContext } from '../src/commands/context.js';
import { planCommand } from '../src/commands/plan.js';
import { exitCodeForRun } from '../src/run/outcome.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { tempDir } from './helpers/temp.js';
import { DST_ID, readTree, SRC_ID, writeTree } from './server-support.js';

/**
 * Pull mode (issue 29): source.listing "globus" lists a remote source collection
 * through Globus, never through this host's filesystem. The source path here is
 * a folder that exists on this host too (the decoy), with other contents: a scan
 * that read it locally would ship the decoy's names, which the collection lacks.
 */
let w: JobWorld;
afterEach(async () => {
  await w?.cleanup();
});

const REMOTE = {
  'raw/run1/a.dat': 'alpha',
  'raw/run1/b.dat': 'bravo bravo',
  'raw/run2/c.dat': 'charlie',
  'notes.txt': 'top',
};
const S = 1_000_000_000n;

interface Pull {
  /** The source path, on the source collection and, as a decoy with other contents, on this host. */
  remotePath: string;
}

async function pullWorld(opts: { localPath?: boolean; minAgeSeconds?: number; deletes?: boolean }): Promise<Pull> {
  const decoy = tempDir('gsync-pull-decoy-');
  w = await jobWorld({}, {
    source: { collection: SRC_ID, path: decoy, listing: 'globus', requestsPerSecond: 20 },
    destination: { collection: DST_ID, path: '/' },
    scan: { minAgeSeconds: opts.minAgeSeconds ?? 0 },
    deletes: { enabled: opts.deletes ?? false, maxPercent: 100 },
  });
  // The destination folder is only known once the world exists.
  if (opts.localPath !== false) w.config.destination.localPath = w.dst;
  return { remotePath: decoy };
}

describe('pull mode: a remote collection listed through Globus is the source', () => {
  it('the first pull brings the remote tree, never reading the same path on this host; a later pull brings exactly the new and changed files', async () => {
    await setup();
    const first = await w.run();
    expect(first.result, first.settled.problems.join('; ')).toBe('succeeded');
    expect(readTree(w.dst)).toEqual(treeWithDirs(REMOTE));
    expect(first.files).toBe(4);

    writeTree(remoteRoot(), { 'raw/run2/c.dat': 'charlie, longer now', 'raw/run3/d.dat': 'delta', 'notes.txt': 'TOP' });
    // notes.txt: the same size, only last_modified differs (a minute later): a change all the same.
    const later = fs.statSync(path.join(remoteRoot(), 'raw/run1/a.dat')).mtimeMs / 1000 + 60;
    fs.utimesSync(path.join(remoteRoot(), 'notes.txt'), later, later);
    const second = await w.run();
    expect(second.result).toBe('succeeded');
    expect(second.files).toBe(3);
    expect(readTree(w.dst)).toEqual(treeWithDirs({ ...REMOTE, 'raw/run2/c.dat': 'charlie, longer now', 'raw/run3/d.dat': 'delta', 'notes.txt': 'TOP' }));
    expect((await w.run()).result).toBe('nothing-to-do');
  });

  it('gsync plan lists the source through Globus too: before the first run everything, after it exactly what changed', async () => {
    await setup();
    const before = await plan();
    expect(before.code).toBe(0);
    expect(before.items).toEqual([{ source_path: `${remote.remotePath}/`, destination_path: '/', recursive: true }]);
    expect((await w.run()).result).toBe('succeeded');
    writeTree(remoteRoot(), { 'raw/run3/d.dat': 'delta' });
    const after = await plan();
    expect(after.items).toEqual([{ source_path: `${remote.remotePath}/raw/run3/`, destination_path: '/raw/run3/', recursive: true }]);
  });

  it('remote to remote: no localPath, both ends collections', async () => {
    await setup({ localPath: false });
    expect(w.config.destination.localPath).toBeUndefined();
    const r = await w.run();
    expect(r.result).toBe('succeeded');
    expect(readTree(w.dst)).toEqual(treeWithDirs(REMOTE));
  });

  it('a locally removed, processed file is not fetched again: the trie records what was pulled, not what is on local disk', async () => {
    await setup();
    expect((await w.run()).result).toBe('succeeded');
    fs.rmSync(path.join(w.dst, 'raw/run1/a.dat'));
    fs.rmSync(path.join(w.dst, 'raw/run2'), { recursive: true });
    const again = await w.run();
    expect(again.result).toBe('nothing-to-do');
    expect(fs.existsSync(path.join(w.dst, 'raw/run1/a.dat'))).toBe(false);
    expect(fs.existsSync(path.join(w.dst, 'raw/run2'))).toBe(false);
  });

  it('a file still growing between two listings waits; it ships once two listings minAgeSeconds apart saw the same fingerprint', async () => {
    await setup({ minAgeSeconds: 60 });
    let now = 1_800_000_000n * S;
    const run = () => w.run({ now: () => now });
    const first = await run();
    expect(first.outcome).toBe('deferred');
    expect(first.plan.deferred).toBe(4);
    expect(readTree(w.dst)).toEqual({});

    // One listing 30 s later: too soon, whatever the remote clock says.
    now += 30n * S;
    expect((await run()).outcome).toBe('deferred');

    // Grown, but its last_modified put back: only the size tells the listings apart.
    const b = path.join(remoteRoot(), 'raw/run1/b.dat');
    const before = fs.statSync(b);
    fs.appendFileSync(b, ' still writing');
    fs.utimesSync(b, before.atime, before.mtime);
    now += 31n * S;
    const second = await run();
    expect(second.result).toBe('succeeded');
    expect(second.files).toBe(3);
    expect(second.plan.deferred).toBe(1);
    expect(fs.existsSync(path.join(w.dst, 'raw/run1/b.dat'))).toBe(false);

    now += 60n * S;
    const third = await run();
    expect(third.files).toBe(1);
    expect(readTree(w.dst)['raw/run1/b.dat']).toBe('bravo bravo still writing');
  });

  it('a directory that cannot be listed is unlisted: nothing under it is judged or deleted, the run names it and exits 1', async () => {
    await setup({ deletes: true });
    expect((await w.run()).result).toBe('succeeded');
    fs.rmSync(path.join(remoteRoot(), 'raw/run1/a.dat'));
    fs.rmSync(path.join(remoteRoot(), 'notes.txt'));
    writeTree(remoteRoot(), { 'raw/run2/e.dat': 'echo' });
    w.srv.faults.denySource(`${remote.remotePath}/raw/run1`);
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.settled.problems.join('\n')).toMatch(/1 source director\(ies\) could not be listed through Globus.*raw\/run1\//);
    // What was listed is judged as ever: notes.txt goes, e.dat comes; raw/run1 is left as it was.
    expect(readTree(w.dst)).toEqual(treeWithDirs({ 'raw/run1/a.dat': 'alpha', 'raw/run1/b.dat': 'bravo bravo', 'raw/run2/c.dat': 'charlie', 'raw/run2/e.dat': 'echo' }));

    w.srv.faults.denySource(`${remote.remotePath}/raw/run1`, false);
    const healed = await w.run();
    expect(exitCodeForRun(healed)).toBe(0);
    expect(fs.existsSync(path.join(w.dst, 'raw/run1/a.dat'))).toBe(false);
  });

  it('the source path itself unlistable stops the run with exit 1 and judges nothing', async () => {
    await setup({ deletes: true });
    expect((await w.run()).result).toBe('succeeded');
    w.srv.faults.denySource(remote.remotePath);
    await expect(w.run()).rejects.toThrow(/could not be listed through Globus/);
    expect(readTree(w.dst)).toEqual(treeWithDirs(REMOTE));
  });
});

let remote: Pull;

async function plan(): Promise<{ code: number; items: Array<Record<string, unknown>> }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const ctx: CommandContext = { global: { config: w.configFile, quiet: true, logLevel: 'error' }, out, env: w.env, interactive: false, stdin: new PassThrough() };
  const code = await planCommand({ json: true }, ctx);
  const items = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.DATA_TYPE === 'transfer_item')
    .map(({ DATA_TYPE: _t, ...rest }) => rest);
  return { code, items };
}

/** The world, the remote tree inside the source collection, and a decoy with other contents at the same path on this host. */
async function setup(opts: { localPath?: boolean; minAgeSeconds?: number; deletes?: boolean } = {}): Promise<void> {
  remote = await pullWorld(opts);
  writeTree(remoteRoot(), REMOTE);
  writeTree(remote.remotePath, { 'decoy.txt': 'never to be shipped', 'raw/run1/a.dat': 'DECOY' });
}

function remoteRoot(): string {
  return path.join(w.src, remote.remotePath);
}

function treeWithDirs(files: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, content] of Object.entries(files)) {
    out[rel] = content;
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) out[`${parts.slice(0, i).join('/')}/`] = '';
  }
  return out;
}
