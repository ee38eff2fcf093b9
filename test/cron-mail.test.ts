import { afterEach, describe, expect, it } from 'vitest';
import { gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

/**
 * What cron mails (MAILTO) is whatever a job prints: with --quiet and no
 * terminal, a run that succeeds prints nothing, even when Globus made it retry,
 * and a run that needs a person prints one plain line per problem.
 */
describe('gsync --quiet under cron', () => {
  let w: JobWorld | undefined;
  afterEach(async () => {
    await w?.cleanup();
    w = undefined;
  });

  it('prints nothing when the run succeeds after retries, one plain line when Globus cannot be reached', { timeout: 120_000 }, async () => {
    w = await jobWorld();
    const env = { ...w.env, GSYNC_CONFIG: w.configFile, GSYNC_HTTP_TIMEOUT_MS: '2000' };
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'bb' });
    w.srv.faults.tooManyRequests(2, { retryAfterSeconds: 0 });
    w.srv.faults.unavailable(1);
    const ok = await gsync(['--quiet', 'run', '--wait'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(w.diff()).toBe('');
    expect(ok.stdout + ok.stderr).toBe('');
    expect(w.srv.requests.count('/v0.10/transfer', 'POST')).toBeGreaterThan(0);

    writeTree(w.src, { 'c.txt': 'c' });
    await w.srv.close();
    const down = await gsync(['--quiet', 'run'], { env });
    expect(down.code).toBe(1);
    expect(down.stdout).toBe('');
    const lines = down.stderr.trimEnd().split('\n');
    expect(lines, down.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^gsync: .*ECONNREFUSED/);
  });
});
