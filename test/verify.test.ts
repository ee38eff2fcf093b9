import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import os from 'node:os';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { statusCommand } from '../src/commands/status.js';
import { verifyCommand, type VerifyCommandOptions } from '../src/commands/verify.js';
import type { CommandContext } from '../src/commands/context.js';
import { openState } from '../src/state/open.js';
import { lastVerify } from '../src/state/verify-runs.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';
import { gsyncAtTerminal, hasScript } from './helpers/pty.js';

/**
 * gsync verify (issue 27): the destination listed through Globus against what
 * the trie records shipped. Each kind of drift is named exactly, --repair plus
 * one run makes the trees byte-equal, and verify then exits 0.
 */
let w: JobWorld;
afterEach(async () => {
  await w?.cleanup();
});

const HOUR = 3600;
function at(tree: Record<string, string>, secondsAgo: number, root = w.src) {
  writeTree(root, tree);
  const t = Date.now() / 1000 - secondsAgo;
  for (const rel of Object.keys(tree)) fs.utimesSync(path.join(root, rel), t, t);
}

async function verify(opts: VerifyCommandOptions = {}, env: NodeJS.ProcessEnv = w.env): Promise<{ code: number; lines: string[] }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const ctx: CommandContext = { global: { config: w.configFile, quiet: false, logLevel: 'error' }, out, env, interactive: false, stdin: new PassThrough() };
  const code = await verifyCommand(opts, ctx);
  return { code, lines: text.split('\n').filter(Boolean) };
}
const findings = (lines: string[]) => lines.filter((l) => !l.startsWith('verified ') && !l.startsWith('repair: ')).sort();

const TREE = {
  'a/f1.dat': 'one',
  'a/f2.dat': 'two two',
  'a/b/c/g2.dat': 'seven!!',
  'a/b/c/g3.dat': 'three',
  'x/y/z.txt': 'zzz',
  'x/y/w.txt': 'www',
  'top.txt': 'top level',
};

async function shipped(): Promise<void> {
  w = await jobWorld({}, { verify: { requestsPerSecond: 20 } });
  at(TREE, HOUR);
  expect((await w.run()).result).toBe('succeeded');
  expect(w.diff()).toBe('');
  const clean = await verify();
  expect(clean.code).toBe(0);
  expect(clean.lines).toEqual([expect.stringMatching(/^verified 7 files in 6 directories: 0 missing, 0 differs, 0 extra, 0 unverified; 6 listings in /)]);
}

async function repairedByOneRun(expected: string[]): Promise<void> {
  const r = await verify({ repair: true });
  expect(r.code).toBe(1);
  expect(findings(r.lines)).toEqual(expected.sort());
  const run = await w.run();
  expect(run.result, run.settled.problems.join()).toBe('succeeded');
  expect(w.diff()).toBe('');
  expect((await verify()).code).toBe(0);
  expect((await w.run()).result).toBe('nothing-to-do');
}

describe('gsync verify names exactly the drifted paths, and --repair plus one run restores them', () => {
  it('a missing file', async () => {
    await shipped();
    fs.rmSync(path.join(w.dst, 'a/f1.dat'));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(findings(r.lines)).toEqual(['missing  a/f1.dat']);
    expect(r.lines.at(-1)).toMatch(/^verified 7 files in 6 directories: 1 missing, 0 differs, 0 extra, 0 unverified;/);
    await repairedByOneRun(['missing  a/f1.dat']);
  });

  it('a missing directory subtree is named once, and goes back whole', async () => {
    await shipped();
    fs.rmSync(path.join(w.dst, 'a/b'), { recursive: true });
    await repairedByOneRun(['missing  a/b/']);
  });

  it('a truncated file dated older', async () => {
    await shipped();
    fs.writeFileSync(path.join(w.dst, 'a/b/c/g2.dat'), '');
    const old = Date.now() / 1000 - 2 * HOUR;
    fs.utimesSync(path.join(w.dst, 'a/b/c/g2.dat'), old, old);
    await repairedByOneRun(['differs  a/b/c/g2.dat (size 0, expected 7)']);
  });

  it('a same-size rewrite dated newer (which sync_level mtime would skip: the repair goes by checksum)', async () => {
    await shipped();
    fs.writeFileSync(path.join(w.dst, 'a/f2.dat'), 'XXX XXX');
    const r = await verify();
    expect(findings(r.lines)).toEqual([expect.stringMatching(/^differs {2}a\/f2\.dat \(modified \S+Z, expected \S+Z\)$/)]);
    await repairedByOneRun([r.lines.find((l) => l.startsWith('differs'))!]);
    const repair = w.srv.tasks.list().at(-1)!;
    expect(repair.options.syncLevel).toBe(3);
  });

  it('a file replaced by a directory at the destination is named; so is the directory gsync did not ship, as extra', async () => {
    await shipped();
    fs.rmSync(path.join(w.dst, 'top.txt'));
    fs.mkdirSync(path.join(w.dst, 'top.txt'));
    fs.writeFileSync(path.join(w.dst, 'stray.txt'), 'not ours');
    const r = await verify();
    expect(r.code).toBe(1);
    expect(findings(r.lines)).toEqual(['differs  top.txt (a directory, expected a file)', 'extra  stray.txt']);
  });

  it('an emptied destination: every top-level path missing, and one run sends it all back', async () => {
    await shipped();
    for (const e of fs.readdirSync(w.dst)) fs.rmSync(path.join(w.dst, e), { recursive: true });
    await repairedByOneRun(['missing  a/', 'missing  top.txt', 'missing  x/']);
  });

  it('--json: one finding object per line, then the summary', async () => {
    await shipped();
    fs.rmSync(path.join(w.dst, 'x/y/z.txt'));
    const r = await verify({ json: true });
    expect(r.code).toBe(1);
    const docs = r.lines.map((l) => JSON.parse(l));
    expect(docs[0]).toEqual({ DATA_TYPE: 'gsync_verify_finding', kind: 'missing', path: 'x/y/z.txt', detail: null, files: 1 });
    expect(docs[1]).toMatchObject({ DATA_TYPE: 'gsync_verify_summary', files: 7, dirs: 6, missing: 1, differs: 0, extra: 0, unverified: 0, repaired: null, exit_code: 1 });
    expect(docs).toHaveLength(2);
  });

  it('extra paths are reported for information and do not make the exit 1', async () => {
    await shipped();
    writeTree(w.dst, { 'tmp/x': 'stray', 'a/extra.txt': 'e' });
    const r = await verify();
    expect(r.code).toBe(0);
    expect(findings(r.lines)).toEqual(['extra  a/extra.txt', 'extra  tmp/']);
  });
});

describe('what verify does not judge', () => {
  it('a path changed locally since it shipped, and a path in flight, are not judged', async () => {
    await shipped();
    fs.rmSync(path.join(w.dst, 'a/f1.dat'));
    fs.rmSync(path.join(w.dst, 'x/y/z.txt'));
    at({ 'a/f1.dat': 'edited locally, ships anyway' }, 10);
    const r = await verify();
    expect(findings(r.lines)).toEqual(['missing  x/y/z.txt']);
  });

  it('mtime is judged only with preserveTimestamp', async () => {
    w = await jobWorld({}, { verify: { requestsPerSecond: 20 }, transfer: { preserveTimestamp: false } });
    at(TREE, HOUR);
    expect((await w.run()).result).toBe('succeeded');
    expect((await verify()).code).toBe(0);
  });
});

describe('listing like a good Globus citizen', () => {
  it('a directory the server cannot list is unverified, not missing, and makes the exit 1', async () => {
    await shipped();
    w.srv.faults.add({ path: '/ls', count: 1, action: { type: 'status', status: 502, code: 'ExternalError.DirListingFailed.GCDisconnected', message: 'Globus Connect not connected' } });
    const r = await verify();
    expect(r.code).toBe(1);
    expect(findings(r.lines)).toEqual(['unverified  ./ (ExternalError.DirListingFailed.GCDisconnected: Globus Connect not connected)']);
    expect(r.lines.at(-1)).toMatch(/0 missing, 0 differs, 0 extra, 1 unverified/);
    // Nothing was marked owed by --repair either.
    w.srv.faults.add({ path: '/ls', count: 1, action: { type: 'status', status: 403, code: 'EndpointPermissionDenied', message: 'Denied by endpoint' } });
    expect((await verify({ repair: true })).code).toBe(1);
    expect((await w.run()).result).toBe('nothing-to-do');
  });

  it('finishes correctly against a server answering 429 beyond 3 requests a second', async () => {
    w = await jobWorld({ requestsPerSecond: 3 }, { verify: { requestsPerSecond: 20 } });
    at(TREE, HOUR);
    expect((await w.run()).result).toBe('succeeded');
    fs.rmSync(path.join(w.dst, 'x/y/w.txt'));
    const r = await verify();
    expect(findings(r.lines)).toEqual(['missing  x/y/w.txt']);
    expect(r.code).toBe(1);
    expect(w.srv.requests.entries.filter((e) => e.outcome === 429).length).toBeGreaterThan(0);
  }, 60_000);

  it('pages a directory larger than one answer with offset and limit', async () => {
    await shipped();
    fs.rmSync(path.join(w.dst, 'a/f2.dat'));
    const out = new PassThrough();
    const { verifyTree } = await import('../src/verify/verify-tree.js');
    const { TransferClient } = await import('../src/globus/transfer-client.js');
    const { createCredentials } = await import('../src/auth/credentials.js');
    const { silentLogger } = await import('../src/log/logger.js');
    const client = new TransferClient({ tokens: createCredentials(w.config, w.env, silentLogger).tokens, env: w.env });
    const state = openState(w.config.state.path);
    const before = w.srv.requests.entries.length;
    try {
      const found: string[] = [];
      const { counts } = await verifyTree({ config: w.config, state, client, root: { nodeId: 1, relPath: '' }, collectMarks: false, onFinding: (f) => found.push(f.path), pageLimit: 1 });
      expect(found).toEqual(['a/f2.dat']);
      expect(counts.listings).toBeGreaterThan(counts.dirs);
      const ls = w.srv.requests.entries.slice(before).filter((e) => e.path.endsWith('/ls'));
      expect(ls.length).toBe(counts.listings);
    } finally {
      state.close();
      await client.close();
      out.destroy();
    }
  });
});

describe.skipIf(!hasScript())('at a terminal', () => {
  it('draws a progress line (directories listed of those to list, findings, time left) and clears it before the summary', async () => {
    await shipped();
    fs.rmSync(path.join(w.dst, 'a/f1.dat'));
    const r = await gsyncAtTerminal(['verify', '--config', w.configFile], { env: { ...process.env, ...w.env }, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/verifying: \d+ of 6 directories listed, \d+ findings?(, about .* left)?/);
    expect(r.output).toMatch(/missing {2}a\/f1\.dat/);
    expect(r.output).toMatch(/verified 7 files in 6 directories: 1 missing/);
  });
});

describe('where it shows', () => {
  it('records the last verify for gsync status, and writes its metrics beside the run metrics', async () => {
    const metricsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-verify-metrics-'));
    onTestFinished(() => fs.rmSync(metricsDir, { recursive: true, force: true }));
    w = await jobWorld({}, { verify: { requestsPerSecond: 20 }, metrics: { textfile: path.join(metricsDir, 'job.prom') } });
    at(TREE, HOUR);
    expect((await w.run()).result).toBe('succeeded');
    fs.rmSync(path.join(w.dst, 'a/f1.dat'));
    fs.writeFileSync(path.join(w.dst, 'top.txt'), 'changed');
    await verify({ repair: true });
    const s = openState(w.config.state.path);
    try {
      expect(lastVerify(s)).toMatchObject({ files: 7, dirs: 6, missing: 1, differs: 1, extra: 0, unverified: 0, repaired: 2, exitCode: 1 });
    } finally {
      s.close();
    }
    const prom = fs.readFileSync(path.join(metricsDir, 'job.verify.prom'), 'utf8');
    expect(prom).toMatch(/^gsync_verify_drift_paths\{job="e2e"\} 2$/m);
    expect(prom).toMatch(/^gsync_verify_unverified_dirs\{job="e2e"\} 0$/m);
    expect(Number(/^gsync_verify_last_timestamp_seconds\{job="e2e"\} (\d+)$/m.exec(prom)?.[1])).toBeGreaterThan(Date.now() / 1000 - 600);

    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    await statusCommand({}, { global: { config: w.configFile, logLevel: 'error' }, out, env: w.env, interactive: false, stdin: new PassThrough() });
    expect(text).toMatch(/^verify {3}last \S+Z \((?:\d+ ms|\d+ s)\): 7 files in 6 directories, 1 missing, 1 differs, 0 extra, 0 unverified; 2 paths marked owed$/m);
  });
});
