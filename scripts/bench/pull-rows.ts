import fs from 'node:fs';
import path from 'node:path';
import { log, measure } from './measure.js';
import { resetState, type BenchWorld } from './world.js';

/**
 * A first pull of the bench tree (issue 29): the job's source is the bench's
 * source collection listed through Globus (source.listing "globus", path "/"),
 * so the tree is read only through operation/ls against the local server: one
 * listing per directory. Measured once per rate: at the default 8 requests a
 * second with 4 in flight (4,000 directories take about 500 s), and with the
 * rate limit off (GSYNC_LISTING_UNLIMITED=1, for benchmarks against the local
 * server only). The run lists, scans, plans and submits one transfer (the
 * bench server never starts copying). Reports listings (from the run's log),
 * wall time and peak RSS of the gsync process.
 */
export function benchPull(gsync: string, w: BenchWorld, env: NodeJS.ProcessEnv, o: { prefix: string[]; defaultRate: boolean }): string[] {
  const cfg = JSON.parse(fs.readFileSync(w.config, 'utf8'));
  const logFile = path.join(w.work, 'pull.log');
  cfg.source = { collection: cfg.source.collection, path: '/', listing: 'globus' };
  cfg.log = { level: 'info', file: logFile };
  const config = path.join(w.work, 'pull.json');
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  const rows: string[] = [];
  for (const unlimited of o.defaultRate ? [false, true] : [true]) {
    resetState(w, null);
    fs.rmSync(logFile, { force: true });
    const rate = unlimited ? 'rate limit off' : 'default rate (8/s, 4 in flight)';
    log(`gsync run, first pull through Globus listings, ${rate}`);
    const m = measure([process.execPath, gsync, 'run', '--config', config], w.work, {
      prefix: o.prefix,
      env: { ...env, ...(unlimited ? { GSYNC_LISTING_UNLIMITED: '1' } : {}) },
    });
    rows.push(`first pull, ${rate}: ${listings(logFile)} listings, ${m.wallS.toFixed(1)} s, peak RSS ${(m.rssKb / 1024).toFixed(0)} MB; ${m.last}`);
    log(rows.at(-1)!);
  }
  resetState(w, null);
  return rows;
}

/** The ls requests the run reports in its log ("listed the source through Globus"). */
function listings(logFile: string): string {
  const line = fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .find((l) => l.includes('listed the source through Globus'));
  return line === undefined ? '?' : String((JSON.parse(line) as { requests: number }).requests);
}
