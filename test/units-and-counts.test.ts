import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../src/report/format-bytes.js';
import { logSkipped } from '../src/plan/plan-scan.js';
import type { Logger } from '../src/log/logger.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

/*
 * Issue 31.7: one byte-unit convention everywhere; the deletes guard's count and
 * status's "tracked" named for what each counts; a refused submission called refused.
 */
let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});
beforeAll(() => assertBuilt());
const cli = (args: string[]) => gsync([...args, '--config', w!.configFile], { env: w!.env });
const logMessages = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);

describe('byte units', () => {
  it('decimal SI, as rsync -h prints them', () => {
    expect([0, 999, 1000, 2019, 2_019_000, 3.4e9, 5e15].map(formatBytes)).toEqual(['0 B', '999 B', '1.0 kB', '2.0 kB', '2.0 MB', '3.4 GB', '5.0 PB']);
  });

  it('the same 2,019 bytes read 2.0 kB in the summary, the progress line, status and plan', { timeout: 60_000 }, async () => {
    w = await jobWorld();
    writeTree(w.src, { 'data.bin': 'x'.repeat(2019) });
    const plan = await cli(['plan']);
    expect(plan.stdout).toContain('/ -> /  (dir  1 files, 2.0 kB)');
    const run = await cli(['run', '--wait', '--progress']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^task \S+ SUCCEEDED: 1 of 1 file delivered \(2\.0 kB\)$/m);
    expect(run.stderr).toMatch(/task \S{8} SUCCEEDED: 1\/1 files, 2\.0 kB/);
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/ succeeded .* 2\.0 kB$/m);
    // 1.9 as a size (2,019 bytes in binary units), never as part of a log line's timestamp (a manifest named ...T122721.973Z).
    for (const out of [plan.stdout, run.stdout, run.stderr, status.stdout]) expect(out).not.toMatch(/KiB|MiB|GiB|\b1\.9 ?[kMGTP]?i?B\b/);
  });
});

describe('what is counted', () => {
  it('status says tracked for shipped paths in the source; the deletes guard says shipped paths, gone ones included', { timeout: 60_000 }, async () => {
    w = await jobWorld({}, { deletes: { enabled: true, maxPercent: 10 } });
    writeTree(w.src, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    expect((await cli(['run', '--wait'])).code).toBe(0);
    fs.rmSync(path.join(w.src, 'c.txt'));
    const run = await cli(['run', '--wait']);
    expect(run.code).toBe(1);
    expect(logMessages(run.stderr)).toContain(
      'deletes stopped by the maxPercent guard: 1 of 3 shipped paths is more than deletes.maxPercent 10% (0); nothing was deleted. If these deletes are wanted, run gsync run --allow-deletes 1',
    );
    expect((await cli(['plan'])).stdout).toContain('deletes: 1 item(s), 1 of 3 shipped paths; STOPPED by the maxPercent guard');
    // c.txt is gone from the source, so status does not count it tracked; it counts it gone.
    expect((await cli(['status'])).stdout).toContain('paths    2 tracked, 0 dirty, 0 in flight, 1 gone');
  });

  it('a submission Globus refused outright is later called refused, not a task that did not succeed', { timeout: 60_000 }, async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.add({ action: { type: 'status', status: 404, code: 'ClientError.NotFound', message: 'refused by the test' }, path: /\/transfer$/, method: 'POST' });
    const refused = await cli(['run']);
    expect(refused.code).toBe(1);
    expect(logMessages(refused.stderr).join('\n')).toMatch(/Globus refused the transfer: .*404/);
    const next = await cli(['run', '--wait']);
    expect(next.code, next.stderr).toBe(0);
    const repair = logMessages(next.stderr).filter((m) => /sync_level checksum/.test(m));
    expect(repair).toEqual(['1 files were in a submission Globus refused outright (it never ran); they go in their own task with sync_level checksum']);
  });
});

describe('skipped entries, as the README says (gsync plan)', () => {
  it('a symlink is logged at info (never followed, by design); anything else skipped is a warning', () => {
    const seen: string[] = [];
    const logger = { info: (_o: unknown, m: string) => seen.push(`info ${m}`), warn: (_o: unknown, m: string) => seen.push(`warn ${m}`) } as unknown as Logger;
    const log = logSkipped(logger);
    log({ path: 'l', reason: 'symlink', message: 'is a symbolic link' });
    log({ path: 'u', reason: 'unreadable', message: 'cannot be read' });
    expect(seen).toEqual(['info skipped: is a symbolic link', 'warn skipped: cannot be read']);
    const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('each gets a warning on stderr, except symlinks, which are never followed by design and logged at info');
  });
});
