import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireJobLock, lockPathFor } from '../src/lock/job-lock.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';

/** Issue 31.9: what cron mails. No terminal here: stdin, stdout and stderr are pipes. */
beforeAll(assertBuilt);

let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

describe('under cron (--quiet, no terminal)', () => {
  it('warnings are plain one-line messages on stderr; the log file keeps JSON lines', async () => {
    w = await jobWorld();
    const log = path.join(w.base, 'gsync.log');
    const raw = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
    fs.writeFileSync(w.configFile, JSON.stringify({ ...raw, log: { file: log } }));
    fs.writeFileSync(path.join(w.src, 'ok.txt'), 'ok');
    fs.writeFileSync(Buffer.concat([Buffer.from(w.src + '/bad-'), Buffer.from([0xff]), Buffer.from('.txt')]), 'x');
    const r = await gsync(['--quiet', '--config', w.configFile, 'run'], { env: w.env });
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^gsync: (warning|error): /);
    expect(lines.some((l) => l.startsWith('gsync: warning: skipped: ') && l.includes('bad-'))).toBe(true);
    const logged = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(logged.some((l) => JSON.parse(l).msg.startsWith('skipped: '))).toBe(true);
  });

  it('--log-json still forces JSON lines', async () => {
    w = await jobWorld();
    fs.writeFileSync(Buffer.concat([Buffer.from(w.src + '/bad-'), Buffer.from([0xff])]), 'x');
    const r = await gsync(['--quiet', '--log-json', '--config', w.configFile, 'run'], { env: w.env });
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('an overlapping tick exits 75 and prints nothing with --quiet (the line stays without it)', async () => {
    w = await jobWorld();
    const lock = acquireJobLock(lockPathFor(w.config.state.path));
    try {
      const quiet = await gsync(['--quiet', '--config', w.configFile, 'run'], { env: w.env });
      expect(quiet.code).toBe(75);
      expect(quiet.stderr).toBe('');
      expect(quiet.stdout).toBe('');
      const loud = await gsync(['--config', w.configFile, 'run'], { env: w.env });
      expect(loud.code).toBe(75);
      expect(loud.stderr).toMatch(/^gsync: another gsync run holds the lock for this job \(pid \d+\)/);
    } finally {
      lock.release();
    }
  });
});

describe('run --progress through a pipe (issue 31.14)', () => {
  it('draws the progress line on stderr though stderr is no terminal; without the flag there is none', async () => {
    w = await jobWorld();
    fs.writeFileSync(path.join(w.src, 'a.txt'), 'a');
    const forced = await gsync(['--config', w.configFile, 'run', '--wait', '--progress'], { env: w.env });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/\rtask [0-9a-f]{8} (ACTIVE|SUCCEEDED)/);
    fs.writeFileSync(path.join(w.src, 'b.txt'), 'b');
    const plain = await gsync(['--config', w.configFile, 'run', '--wait'], { env: w.env });
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toMatch(/\rtask /);
  });

  it('gsync demo --help says how many syncs it runs: three', async () => {
    const r = await gsync(['demo', '--help']);
    expect(r.stdout).toContain('run three syncs of a sample tree');
  });
});
