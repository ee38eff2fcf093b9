import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS, verifyMetricsFile } from '../src/metrics/textfile.js';

const VERIFY_METRICS = ['gsync_verify_last_timestamp_seconds', 'gsync_verify_drift_paths', 'gsync_verify_unverified_dirs'];
import { DEMO_CLIENT_ID } from '../src/server/index.js';
import { gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';
import { silentLogger } from '../src/log/logger.js';
import { runJob } from '../src/sync/run-job.js';
import { watchLoop } from '../src/watch/watch-loop.js';
import { watchSource } from '../src/watch/source-watcher.js';

const MONITORING = path.resolve(__dirname, '../monitoring');
const RULES = path.join(MONITORING, 'gsync.rules.yml');
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

/** Every metric a rule's expression names, node_exporter's own series aside. */
function metricsInRules(): string[] {
  const exprs = [...fs.readFileSync(RULES, 'utf8').matchAll(/^\s+expr: (>-\n(?:\s{10}.*\n)+|.*\n)/gm)].map((m) => m[1]!);
  expect(exprs.length).toBeGreaterThan(10);
  return [...new Set(exprs.flatMap((e) => [...e.matchAll(/\b(gsync_[a-z_]+)\b/g)].map((m) => m[1]!)))].sort();
}

describe('alert rules (monitoring/gsync.rules.yml)', () => {
  // CI installs promtool (Debian package prometheus) in .ci/run; elsewhere the summary names this test as not run.
  it.skipIf(!promtool)('pass promtool check rules and every firing and non-firing case of promtool test rules', { timeout: 180_000 }, () => {
    const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.status).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', 'gsync.rules.test.yml'], { cwd: MONITORING, encoding: 'utf8' });
    expect(test.stdout + test.stderr).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });

  let w: JobWorld | undefined;
  afterEach(async () => {
    await w?.cleanup();
    w = undefined;
  });

  it('name only metrics gsync really writes: a run against the local server writes every one of them', async () => {
    const used = metricsInRules();
    const known = new Set([...METRICS.map(([, name]) => name), ...VERIFY_METRICS]);
    for (const name of used) expect(known, `${name} is used by a rule`).toContain(name);

    // A user login that cannot renew itself (no refresh token), deletes on, a reconcile run: every conditional metric appears.
    w = await jobWorld();
    const prom = path.join(w.base, 'metrics', 'gsync.prom');
    const tokenFile = path.join(w.base, 'tokens.json');
    const raw = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
    fs.writeFileSync(
      w.configFile,
      JSON.stringify({ ...raw, metrics: { textfile: prom }, deletes: { enabled: true }, hooks: { onSucceeded: ['/bin/true'], onFile: ['/bin/true'] }, reconcile: { intervalHours: 168 } }),
    );
    const t = w.srv.issueTokens({ clientId: DEMO_CLIENT_ID });
    fs.writeFileSync(
      tokenFile,
      JSON.stringify({
        version: 1,
        client_id: DEMO_CLIENT_ID,
        tokens: { 'transfer.api.globus.org': { access_token: t.access_token, expires_at: Math.floor(Date.now() / 1000) + 3600, scope: t.scope } },
      }),
      { mode: 0o600 },
    );
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'bb' });
    const env = { ...w.srv.env, GSYNC_CONFIG: w.configFile };
    const run = await gsync(['run', '--wait', '--quiet'], { env });
    expect(run.code, run.stderr).toBe(0);
    const verify = await gsync(['verify', '--quiet'], { env });
    expect(verify.code, verify.stderr).toBe(0);
    // The run's file and verify's own beside it (NAME.verify.prom): node_exporter reads both.
    const text = fs.readFileSync(prom, 'utf8') + fs.readFileSync(verifyMetricsFile(prom), 'utf8');
    const written = new Set([...text.matchAll(/^(gsync_[a-z_]+)\{/gm)].map((m) => m[1]!));
    const missing = used.filter((name) => !written.has(name));
    expect(missing, 'metrics the rules use that the run did not write').toEqual([]);
  });
});

describe('counters under gsync watch', () => {
  let w: JobWorld | undefined;
  afterEach(async () => {
    await w?.cleanup();
    w = undefined;
  });

  it('a watch that ships, idles and ships again shows the _total counters only growing', { timeout: 120_000 }, async () => {
    w = await jobWorld({}, { scan: { minAgeSeconds: 0 } });
    const world = w;
    const prom = path.join(world.base, 'metrics', 'gsync.prom');
    world.config.metrics.textfile = prom;
    const sample = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(fs.readFileSync(prom, 'utf8'))?.[1]);
    const seen: Array<{ total: number; bytes: number; last: number }> = [];
    writeTree(world.src, { 'a.txt': 'aa', 'd/b.txt': 'bbb' });
    const stop = new AbortController();
    const loop = watchLoop({
      config: world.config,
      logger: silentLogger,
      signal: stop.signal,
      // The real cycle; after each one, what the textfile says.
      runCycle: async (signal) => {
        const r = await runJob({ config: world.config, logger: silentLogger, ...world.wiring, wait: true, pollIntervalMs: 20, signal });
        seen.push({ total: sample('gsync_transferred_files_total'), bytes: sample('gsync_transferred_bytes_total'), last: sample('gsync_last_run_transferred_files') });
        return r;
      },
      watchSource,
      settleMs: 200,
      rescanIntervalMs: 300,
      pendingCheckMs: 200,
    });
    const until = async (what: string, cond: () => boolean) => {
      const end = Date.now() + 60_000;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until('the first files are counted', () => seen.some((s) => s.total === 2));
    await until('an idle cycle after it', () => seen.length > seen.findIndex((s) => s.total === 2) + 1);
    writeTree(world.src, { 'd/c.txt': 'c' });
    await until('the third file is counted', () => seen.some((s) => s.total === 3));
    stop.abort();
    await loop;

    const firstShip = seen.findIndex((s) => s.total === 2);
    // An idle cycle between the two shipments: the last run's figure fell to 0, the counter did not.
    expect(seen.slice(firstShip + 1).some((s) => s.last === 0 && s.total === 2)).toBe(true);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.total, `cycle ${i}`).toBeGreaterThanOrEqual(seen[i - 1]!.total);
      expect(seen[i]!.bytes, `cycle ${i}`).toBeGreaterThanOrEqual(seen[i - 1]!.bytes);
    }
    expect(seen.at(-1)).toMatchObject({ total: 3, bytes: 6 });
  });
});
