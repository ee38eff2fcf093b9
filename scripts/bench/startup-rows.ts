import fs from 'node:fs';
import path from 'node:path';
import { log, measure, median } from './measure.js';

/**
 * Start-up (issue 34): a cron tick on a small tree is mostly start-up. Measured
 * against `node -e 0` on the same Node, interleaved so that load drifts alike:
 * `gsync --version` (the CLI's modules alone) and `gsync plan` of a job whose
 * source is an empty folder (config, state database, an empty scan). The target
 * is gsync plan within 0.1 s of node -e 0. With Node 22.1+ the first run fills
 * the compile cache (src/index.ts) and is not counted: one untimed run comes first.
 */
export function benchStartup(gsync: string, work: string, o: { prefix: string[]; runs: number }): string[] {
  const dir = path.join(work, 'startup');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  const config = path.join(dir, 'job.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      name: 'startup',
      source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: path.join(dir, 'src') },
      destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/startup/' },
      auth: { clientId: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001', tokenFile: path.join(dir, 'tokens.json') },
      state: { path: path.join(dir, 'startup.db') },
    }),
  );
  const cases: Array<[string, string[]]> = [
    ['node -e 0', [process.execPath, '-e', '0']],
    ['gsync --version', [process.execPath, gsync, '--version']],
    ['gsync plan, empty tree', [process.execPath, gsync, 'plan', '--config', config]],
  ];
  for (const [, cmd] of cases) measure(cmd, dir, { prefix: o.prefix });
  const walls = cases.map(() => [] as number[]);
  const rss = cases.map(() => [] as number[]);
  for (let i = 0; i < Math.max(o.runs, 15); i++) {
    cases.forEach(([, cmd], k) => {
      const m = measure(cmd, dir, { prefix: o.prefix });
      walls[k]!.push(m.wallS);
      rss[k]!.push(m.rssKb / 1024);
    });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const base = median(walls[0]!);
  const rows = cases.map(([name], k) => {
    const w = median(walls[k]!);
    const over = k === 0 ? '' : `, +${(w - base).toFixed(3)} s over node -e 0`;
    return `start-up, ${name}: ${w.toFixed(3)} s (best ${Math.min(...walls[k]!).toFixed(3)} s), ${median(rss[k]!).toFixed(0)} MB${over}`;
  });
  const plan = median(walls[2]!) - base;
  rows.push(`start-up target (gsync plan within 0.100 s of node -e 0): ${plan <= 0.1 ? 'met' : 'not met'} (+${plan.toFixed(3)} s)`);
  for (const r of rows) log(r);
  return rows;
}
