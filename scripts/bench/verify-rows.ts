import fs from 'node:fs';
import path from 'node:path';
import { log, measure } from './measure.js';
import { resetState, type BenchWorld } from './world.js';

/**
 * gsync verify over the bench tree (issue 27): the job's destination is pointed
 * at the source collection itself, so the destination holds exactly what was
 * shipped and nothing is copied. Measured once per rate (a verify at the
 * default 8 requests a second of 4,000 directories takes minutes): at the
 * default rate, and with the rate limit off (GSYNC_VERIFY_UNLIMITED=1, for
 * benchmarks against the local server only). Reports listings, wall time and
 * peak RSS of the gsync process (the server runs in its own).
 */
export function benchVerify(gsync: string, w: BenchWorld, env: NodeJS.ProcessEnv, o: { prefix: string[]; defaultRate: boolean }): string[] {
  const cfg = JSON.parse(fs.readFileSync(w.config, 'utf8'));
  cfg.destination = { collection: cfg.source.collection, path: '/' };
  const config = path.join(w.work, 'verify.json');
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  const rows: string[] = [];
  for (const unlimited of o.defaultRate ? [false, true] : [true]) {
    resetState(w, w.shipped);
    const rate = unlimited ? 'rate limit off' : 'default rate (8/s, 4 in flight)';
    log(`gsync verify, ${rate}`);
    const m = measure([process.execPath, gsync, 'verify', '--config', config], w.work, {
      prefix: o.prefix,
      env: { ...env, ...(unlimited ? { GSYNC_VERIFY_UNLIMITED: '1' } : {}) },
    });
    rows.push(`verify, ${rate}: ${m.wallS.toFixed(1)} s, peak RSS ${(m.rssKb / 1024).toFixed(0)} MB; ${m.last}`);
    log(rows.at(-1)!);
  }
  resetState(w, null);
  return rows;
}
