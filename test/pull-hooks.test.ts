import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import type { CommandContext } from '../src/commands/context.js';
import { statusCommand } from '../src/commands/status.js';
import { statusCheckCommand } from '../src/commands/status-check.js';
import { exitCodeForRun } from '../src/run/outcome.js';
import { openState } from '../src/state/open.js';
import { fileHookCounts } from '../src/state/file-hooks.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { tempDir } from './helpers/temp.js';
import { DST_ID, SRC_ID, writeTree } from './server-support.js';

/**
 * hooks.onFile in pull mode (issue 29): once per arrived file, at most
 * hooks.parallel at once, owed from the transaction that commits the task (so
 * a crash between the commit and the hook loses none), failures retried after
 * a backoff and given up after hooks.maxAttempts, reported.
 */
let w: JobWorld;
afterEach(async () => {
  await w?.cleanup();
});

const S = 1_000_000_000n;
const REMOTE = { 'run1/a.dat': 'a', 'run1/b.dat': 'bb', 'run1/c.dat': 'ccc', 'run2/d.dat': 'dddd', 'run2/e.dat': 'eeeee', 'f.dat': 'ffffff' };

// Records each call (GSYNC_* variables, whether the local copy was there), how many ran at once,
// exits 3 for a file named in `fail`, removes its local copy when `trickle` exists.
const SCRIPT = `
const fs = require('node:fs');
const path = require('node:path');
const dir = process.argv[2];
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('GSYNC_')));
const running = path.join(dir, 'running');
fs.mkdirSync(running, { recursive: true });
const me = path.join(running, String(process.pid));
fs.writeFileSync(me, '');
fs.appendFileSync(path.join(dir, 'at-once.log'), fs.readdirSync(running).length + '\\n');
const local = env.GSYNC_LOCAL_PATH;
const line = { env, localExists: local ? fs.existsSync(local) : null, localContent: local && fs.existsSync(local) ? fs.readFileSync(local, 'utf8') : null };
const hang = fs.existsSync(path.join(dir, 'hang')) && fs.readFileSync(path.join(dir, 'hang'), 'utf8') === env.GSYNC_RELATIVE_PATH;
setTimeout(() => {
  fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify(line) + '\\n');
  fs.rmSync(me);
  const failing = fs.existsSync(path.join(dir, 'fail')) ? fs.readFileSync(path.join(dir, 'fail'), 'utf8').split('\\n') : [];
  if (failing.includes(env.GSYNC_RELATIVE_PATH)) process.exit(3);
  if (local && fs.existsSync(path.join(dir, 'trickle'))) fs.rmSync(local);
}, hang ? 60_000 : 150);
`;

interface Hook {
  dir: string;
  calls(): Array<{ env: Record<string, string>; localExists: boolean | null; localContent: string | null }>;
  peak(): number;
}

async function setup(hooks: Record<string, unknown> = {}, opts: { localPath?: boolean } = {}): Promise<Hook> {
  const dir = tempDir('gsync-file-hook-');
  fs.writeFileSync(path.join(dir, 'hook.cjs'), SCRIPT);
  w = await jobWorld({}, {
    source: { collection: SRC_ID, path: '/remote', listing: 'globus', requestsPerSecond: 20 },
    destination: { collection: DST_ID, path: '/' },
    hooks: { onFile: [process.execPath, path.join(dir, 'hook.cjs'), dir], parallel: 2, ...hooks },
  });
  if (opts.localPath !== false) w.config.destination.localPath = w.dst;
  writeTree(path.join(w.src, 'remote'), REMOTE);
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').filter(Boolean) : []);
  return {
    dir,
    calls: () => read('calls.jsonl').map((l) => JSON.parse(l)),
    peak: () => Math.max(0, ...read('at-once.log').map(Number)),
  };
}

async function statusText(opts: { checkAtNs?: bigint } = {}): Promise<string> {
  const file = w.configFile;
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const ctx: CommandContext = { global: { config: file, quiet: true }, out, env: w.env, interactive: false, stdin: new PassThrough() };
  if (opts.checkAtNs === undefined) await statusCommand({}, ctx);
  else await statusCheckCommand({ check: true }, ctx, opts.checkAtNs);
  return text;
}

function counts() {
  const state = openState(w.config.state.path);
  try {
    return fileHookCounts(state);
  } finally {
    state.close();
  }
}

describe('hooks.onFile: once per arrived file', () => {
  it('runs once per delivered file, with its local, source and destination paths, at most hooks.parallel at once; never again', async () => {
    const hook = await setup({ parallel: 2 });
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(0);
    const calls = hook.calls();
    expect(calls.map((c) => c.env.GSYNC_RELATIVE_PATH).sort()).toEqual(Object.keys(REMOTE).sort());
    const d = calls.find((c) => c.env.GSYNC_RELATIVE_PATH === 'run2/d.dat')!;
    expect(d.env).toMatchObject({ GSYNC_SOURCE_PATH: '/remote/run2/d.dat', GSYNC_DESTINATION_PATH: '/run2/d.dat', GSYNC_LOCAL_PATH: path.join(w.dst, 'run2/d.dat'), GSYNC_SIZE: '4', GSYNC_ATTEMPT: '1', GSYNC_JOB: 'e2e' });
    expect(d.localContent).toBe('dddd');
    expect(hook.peak()).toBe(2);
    expect(counts()).toEqual({ owed: 0, givenUp: 0, failures: 0 });
    // The task's manifest names each file's local path too.
    const [manifest] = fs.readdirSync(w.config.hooks.manifestDir);
    const lines = fs.readFileSync(path.join(w.config.hooks.manifestDir, manifest!), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.source_path === '/remote/run2/d.dat')).toMatchObject({ destination_path: '/run2/d.dat', local_path: path.join(w.dst, 'run2/d.dat'), size: 4 });

    writeTree(path.join(w.src, 'remote'), { 'run2/g.dat': 'new' });
    await w.run();
    expect(hook.calls().slice(6).map((c) => c.env.GSYNC_RELATIVE_PATH)).toEqual(['run2/g.dat']);
  });

  it('without localPath (remote to remote) the hook gets no local path', async () => {
    const hook = await setup({ parallel: 3 }, { localPath: false });
    await w.run();
    expect(hook.calls()).toHaveLength(6);
    expect(hook.calls().every((c) => c.env.GSYNC_LOCAL_PATH === undefined)).toBe(true);
    expect(hook.peak()).toBeLessThanOrEqual(3);
  });

  it('trickle: a hook that removes its local copy is not fed the file again', async () => {
    const hook = await setup();
    fs.writeFileSync(path.join(hook.dir, 'trickle'), '');
    await w.run();
    expect(hook.calls()).toHaveLength(6);
    expect(fs.existsSync(path.join(w.dst, 'run1/a.dat'))).toBe(false);
    const again = await w.run();
    expect(again.outcome).toBe('nothing-to-do');
    expect(hook.calls()).toHaveLength(6);
  });

  it('a failing file hook is retried by a later run after a backoff, then given up after hooks.maxAttempts and reported', async () => {
    const hook = await setup({ maxAttempts: 2 });
    fs.writeFileSync(path.join(hook.dir, 'fail'), 'run1/b.dat');
    let now = 1_800_000_000n * S;
    const run = () => w.run({ now: () => now });
    const first = await run();
    expect(exitCodeForRun(first)).toBe(1);
    expect(first.settled.problems.join('\n')).toMatch(/1 file hook\(s\) failed/);
    expect(counts()).toEqual({ owed: 1, givenUp: 0, failures: 1 });

    // Within the backoff: not tried.
    now += 10n * S;
    const second = await run();
    expect(hook.calls().filter((c) => c.env.GSYNC_RELATIVE_PATH === 'run1/b.dat')).toHaveLength(1);
    expect(exitCodeForRun(second)).toBe(0);

    now += 60n * S;
    const third = await run();
    const b = hook.calls().filter((c) => c.env.GSYNC_RELATIVE_PATH === 'run1/b.dat');
    expect(b.map((c) => c.env.GSYNC_ATTEMPT)).toEqual(['1', '2']);
    expect(exitCodeForRun(third)).toBe(1);
    expect(third.settled.problems.join('\n')).toMatch(/1 file hook\(s\) given up after hooks.maxAttempts \(2\)/);
    expect(counts()).toEqual({ owed: 0, givenUp: 1, failures: 2 });

    now += 7200n * S;
    await run();
    expect(hook.calls().filter((c) => c.env.GSYNC_RELATIVE_PATH === 'run1/b.dat')).toHaveLength(2);

    // Reported, never silently dropped: gsync status names the file.
    const text = await statusText();
    expect(text).toMatch(/hooks\.onFile: 0 owed, 1 given up after hooks\.maxAttempts, 2 failed attempts/);
    expect(text).toMatch(/given up: run1\/b\.dat \(task [0-9a-f-]+, 2 attempts, last exit 3\)/);
    // And gsync status --check warns (Monitoring Plugins' WARNING), naming it.
    const check = await statusText({ checkAtNs: now });
    expect(check).toMatch(/^GSYNC WARNING - e2e: 1 file hook\(s\) given up after hooks\.maxAttempts/);
  });
});

describe('hooks.onFile: hooks.timeoutSeconds applies to each file', () => {
  it('a file hook still running after hooks.timeoutSeconds is killed and counts as a failure; the other files are processed', async () => {
    const hook = await setup({ timeoutSeconds: 1, parallel: 2 });
    fs.writeFileSync(path.join(hook.dir, 'hang'), 'run2/d.dat');
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.settled.problems.join('\n')).toMatch(/1 file hook\(s\) failed/);
    // The hung one never got to record its call; the five others did.
    expect(hook.calls().map((c) => c.env.GSYNC_RELATIVE_PATH).sort()).toEqual(Object.keys(REMOTE).filter((p) => p !== 'run2/d.dat').sort());
    expect(counts()).toEqual({ owed: 1, givenUp: 0, failures: 1 });
  });
});

describe('hooks.onFile across crashes', () => {
  it('a crash between the commit of the task and its file hooks loses none: the next run runs each owed hook', async () => {
    const hook = await setup({ parallel: 1 });
    await expect(
      w.run({
        crashPoint: (name) => {
          if (name === 'before-file-hook') throw new Error('crash at before-file-hook');
        },
      }),
    ).rejects.toThrow(/crash at/);
    expect(hook.calls()).toHaveLength(0);
    expect(counts().owed).toBe(6);
    await w.run();
    expect(hook.calls().map((c) => c.env.GSYNC_RELATIVE_PATH).sort()).toEqual(Object.keys(REMOTE).sort());
    expect(counts().owed).toBe(0);
  });

  it('a crash inside the commit transaction records neither the task nor its hooks; settled again, each file gets its hook once', async () => {
    const hook = await setup({ parallel: 2 });
    await expect(
      w.run({
        crashPoint: (name) => {
          if (name === 'inside-commit') throw new Error('crash at inside-commit');
        },
      }),
    ).rejects.toThrow(/crash at/);
    expect(counts().owed).toBe(0);
    await w.run();
    expect(hook.calls().map((c) => c.env.GSYNC_RELATIVE_PATH).sort()).toEqual(Object.keys(REMOTE).sort());
  });

  it('a crash after a hook exited 0 but before it was marked done runs that file hook again (at least once), and no other twice', async () => {
    const hook = await setup({ parallel: 1 });
    let crashed = false;
    await expect(
      w.run({
        crashPoint: (name) => {
          if (name === 'after-file-hook' && !crashed) {
            crashed = true;
            throw new Error('crash at after-file-hook');
          }
        },
      }),
    ).rejects.toThrow(/crash at/);
    expect(hook.calls()).toHaveLength(1);
    const first = hook.calls()[0]!.env.GSYNC_RELATIVE_PATH;
    await w.run();
    const paths = hook.calls().map((c) => c.env.GSYNC_RELATIVE_PATH);
    expect(paths.filter((p) => p === first)).toHaveLength(2);
    expect(paths.sort()).toEqual([...Object.keys(REMOTE), first].sort());
    expect(hook.calls().filter((c) => c.env.GSYNC_RELATIVE_PATH === first).map((c) => c.env.GSYNC_ATTEMPT)).toEqual(['1', '2']);
  });
});
