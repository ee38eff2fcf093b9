/**
 * Scan and plan speed and memory against `find`, on one warm deterministic tree.
 *
 *   npm run bench                                  # 200,000 files in 4,000 directories
 *   npm run bench -- --files 1000000               # 1,000,000 files in 20,000 directories
 *   npm run bench -- --files 200000,1000000        # both, and the scaling target
 * With --dir, each size's results are kept there (results-N.json) and a later run
 * of the other size prints them too, so the scaling target can be judged from
 * `npm run bench -- --dir D` and `npm run bench -- --dir D --files 1000000`.
 *
 *   options: --runs N (3)  --dir DIR (keep and reuse trees there)  --seed S (1)  --keep
 *            --nice (measured processes at nice -20, root only: on a machine others
 *            are using, what they run then takes less of our time)
 *
 * Each measurement is a child process under /usr/bin/time (peak RSS); wall time is
 * taken around it here. Scenarios, in this order on the same tree:
 *   find      find SRC -printf '%T@ %s %p\n' > /dev/null
 *   first     gsync plan with no state database yet
 *   nochange  gsync plan after everything was shipped and nothing changed
 *   changed   the same after 1% of the files (every 100th, sorted) got a new mtime
 * The shipped state is made in-process the way `gsync run` makes it: a write-mode
 * scan, a submission of its items, and Globus saying SUCCEEDED.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { planScan } from '../src/plan/plan.js';
import type { TransferItem } from '../src/plan/coalescer.js';
import { openState } from '../src/state/open.js';
import { commitSubmission, createSubmission } from '../src/state/submissions.js';
import { TrieStore } from '../src/state/trie.js';
import { makeTree } from './make-tree.js';

const TIME = '/usr/bin/time';
let prefix: string[] = [];
const GSYNC = fileURLToPath(new URL('../src/index.js', import.meta.url));
const SCENARIOS = ['find', 'first', 'nochange', 'changed'] as const;
type Scenario = (typeof SCENARIOS)[number];
const LABEL: Record<Scenario, string> = {
  find: 'find -printf',
  first: 'plan, first run',
  nochange: 'plan, nothing changed',
  changed: 'plan, 1% changed',
};

interface Sample {
  wallS: number;
  rssKb: number;
}
interface Result {
  scenario: Scenario;
  files: number;
  wallS: number;
  rssMb: number;
  samples: Sample[];
  totals: string;
  /** Set when read back from an earlier run (its time). */
  earlier?: string;
}

function main(): number {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '200000' },
      dirs: { type: 'string' },
      runs: { type: 'string', default: '3' },
      dir: { type: 'string' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
      nice: { type: 'boolean', default: false },
    },
  });
  const sizes = values.files.split(',').map((s) => wholeNumber(s, 'files', 1));
  const runs = wholeNumber(values.runs, 'runs', 1);
  const seed = wholeNumber(values.seed, 'seed', 0);
  if (!fs.existsSync(TIME)) {
    process.stderr.write(`bench: ${TIME} is needed to measure peak RSS (apt-get install time)\n`);
    return 2;
  }
  if (!fs.existsSync(GSYNC)) {
    process.stderr.write(`bench: ${GSYNC} is missing: run npm run build\n`);
    return 2;
  }
  const base = values.dir ? path.resolve(values.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-bench-'));
  fs.mkdirSync(base, { recursive: true });
  const keep = values.keep || values.dir !== undefined;
  if (values.nice) prefix = ['nice', '-n', '-20'];

  const machine = describeMachine(base); // before a temporary base is deleted
  const results: Result[] = [];
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  try {
    for (const files of sizes) {
      const dirs = values.dirs ? wholeNumber(values.dirs, 'dirs', 1) : Math.max(1, Math.round(files / 50));
      const measured = benchOne(path.join(base, `tree-${files}-${dirs}-${seed}`), { files, dirs, seed, runs });
      results.push(...measured);
      if (keep) fs.writeFileSync(path.join(base, `results-${files}.json`), JSON.stringify({ at: new Date().toISOString(), results: measured }, null, 1));
    }
    if (keep) {
      // The other sizes from earlier runs in the same --dir, marked as such.
      for (const f of fs.readdirSync(base).filter((n) => /^results-\d+\.json$/.test(n))) {
        const { at, results: earlier } = JSON.parse(fs.readFileSync(path.join(base, f), 'utf8')) as { at: string; results: Result[] };
        if (earlier.length > 0 && !sizes.includes(earlier[0]!.files)) results.push(...earlier.map((r) => ({ ...r, earlier: at })));
      }
      results.sort((a, b) => a.files - b.files);
    }
  } finally {
    if (!keep) fs.rmSync(base, { recursive: true, force: true });
  }
  const how = `medians of ${runs} run(s)${values.nice ? ', measured at nice -20' : ''}; load average before: ${loadBefore}, after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  process.stdout.write(`\n${machine}\n${how}\n\n${table(results)}\n\n${targets(results)}\n`);
  return 0;
}

function benchOne(work: string, o: { files: number; dirs: number; seed: number; runs: number }): Result[] {
  const src = path.join(work, 'src');
  const marker = path.join(work, 'tree.json');
  if (!fs.existsSync(marker)) {
    fs.rmSync(work, { recursive: true, force: true });
    log(`building ${o.files} files in ${o.dirs} directories under ${src}`);
    const t0 = performance.now();
    const made = makeTree({ files: o.files, dirs: o.dirs, out: src, seed: o.seed });
    fs.writeFileSync(marker, JSON.stringify(made));
    log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else {
    log(`reusing the tree under ${src}`);
  }
  const stateDir = path.join(work, 'state');
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.mkdirSync(stateDir);
  const cfgFirst = writeConfig(work, 'first', src, path.join(stateDir, 'none.db'));
  const cfgShipped = writeConfig(work, 'shipped', src, path.join(stateDir, 'shipped.db'));

  // Warm the tree into the page and dentry caches before anything is timed.
  measure(['find', src, '-printf', '%T@ %s %p\\n'], work);
  const out: Result[] = [];
  const plan = (cfg: string) => [process.execPath, GSYNC, 'plan', '--config', cfg];
  const repeat = (scenario: Scenario, cmd: string[]) => {
    const samples: Sample[] = [];
    let totals = '';
    for (let i = 0; i < o.runs; i++) {
      const s = measure(cmd, work);
      samples.push(s);
      totals = s.totals;
    }
    const r: Result = {
      scenario,
      files: o.files,
      wallS: median(samples.map((s) => s.wallS)),
      rssMb: median(samples.map((s) => s.rssKb)) / 1024,
      samples,
      totals,
    };
    log(`${LABEL[scenario]}: ${samples.map((s) => `${s.wallS.toFixed(2)} s/${(s.rssKb / 1024).toFixed(0)} MB`).join(', ')}${totals ? `  [${totals}]` : ''}`);
    out.push(r);
  };

  repeat('find', ['find', src, '-printf', '%T@ %s %p\\n']);
  repeat('first', plan(cfgFirst));

  log('shipping everything (write-mode scan, submission, SUCCEEDED)');
  let t0 = performance.now();
  shipAll(src, path.join(stateDir, 'shipped.db'));
  log(`shipped in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  repeat('nochange', plan(cfgShipped));

  t0 = performance.now();
  const touched = touchOnePercent(src);
  log(`gave ${touched} files a new mtime in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  repeat('changed', plan(cfgShipped));
  return out;
}

function writeConfig(work: string, name: string, src: string, statePath: string): string {
  const file = path.join(work, `${name}.json`);
  const cfg = {
    name: `bench-${name}`,
    source: { collection: '00000000-0000-0000-0000-000000000001', path: src },
    destination: { collection: '00000000-0000-0000-0000-000000000002', path: '/bench' },
    auth: { clientId: '00000000-0000-0000-0000-000000000003', tokenFile: path.join(work, 'tokens.json') },
    state: { path: statePath },
    scan: { minAgeSeconds: 0 },
    log: { level: 'warn' },
  };
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

/** What `gsync run` records for a first run that Globus completes. */
function shipAll(src: string, dbFile: string): void {
  const state = openState(dbFile);
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const items: TransferItem[] = [];
    const totals = planScan({
      root: src,
      trie: new TrieStore(state),
      write: true,
      minAgeSeconds: 0,
      nowNs,
      mapping: { sourceRoot: src, destinationRoot: '/bench' },
      onItem: (i) => items.push(i),
    });
    const rowId = createSubmission(state, {
      submissionId: 'bench-0000',
      document: JSON.stringify({ DATA: items.map(({ source_path, destination_path, recursive }) => ({ source_path, destination_path, recursive })) }),
      items,
      files: totals.files,
      bytes: totals.bytes,
      createdNs: nowNs,
    });
    commitSubmission(state, rowId, nowNs);
    state.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    state.close();
  }
}

/** Every 100th file in sorted order gets an mtime of an hour ago: a changed file, old enough to ship. */
function touchOnePercent(src: string): number {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(src);
  const when = new Date(Date.now() - 3_600_000);
  let n = 0;
  for (let i = 0; i < files.length; i += 100) {
    fs.utimesSync(files[i]!, when, when);
    n++;
  }
  return n;
}

/** One child process: wall time from here, peak RSS from /usr/bin/time; stdout kept for its last line. */
function measure(cmd: string[], work: string): Sample & { totals: string } {
  const timeFile = path.join(work, 'time.out');
  const outFile = path.join(work, 'stdout.out');
  const fd = fs.openSync(outFile, 'w');
  const t0 = process.hrtime.bigint();
  const argv = [...prefix, TIME, '-f', '%e %M', '-o', timeFile, ...cmd];
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', cmd[0] === 'find' ? 'ignore' : fd, 'pipe'] });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  const [, rss] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2);
  const text = fs.readFileSync(outFile, 'utf8').trimEnd();
  const last = text.slice(text.lastIndexOf('\n') + 1);
  return { wallS, rssKb: Number(rss), totals: last.startsWith('plan: ') ? last.slice(6) : '' };
}

function describeMachine(dir: string): string {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const fsType = spawnSync('stat', ['-f', '-c', '%T', dir]).stdout?.toString().trim() || 'unknown';
  const dev = spawnSync('df', ['--output=source,fstype', dir]).stdout?.toString().trim().split('\n')[1]?.trim() ?? '';
  return [
    `machine: ${model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `kernel:  ${os.type()} ${os.release()}; node ${process.version}`,
    `tree on: ${dir} (${fsType}${dev ? `; df: ${dev}` : ''})`,
  ].join('\n');
}

function table(results: Result[]): string {
  const find = (files: number) => results.find((r) => r.scenario === 'find' && r.files === files);
  const head = ['scenario', 'files', 'median wall s', 'best wall s', 'median peak RSS MB', 'x find'];
  const rows = results.map((r) => {
    const f = find(r.files);
    const best = Math.min(...r.samples.map((x) => x.wallS));
    return [
      `${LABEL[r.scenario]}${r.earlier ? ` (run ${r.earlier.slice(0, 16).replace('T', ' ')})` : ''}`,
      r.files.toLocaleString('en-US'),
      r.wallS.toFixed(2),
      best.toFixed(2),
      r.rssMb.toFixed(0),
      f ? (r.wallS / f.wallS).toFixed(2) : '-',
    ];
  });
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join(' | ')} |`;
  return [line(head), `|${width.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join(
    '\n',
  );
}

function targets(results: Result[]): string {
  const get = (s: Scenario, files: number) => results.find((r) => r.scenario === s && r.files === files);
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const ratio = (s: Scenario, files: number) => {
    const a = get(s, files);
    const f = get('find', files);
    return a && f ? a.wallS / f.wallS : undefined;
  };
  const r200 = ratio('nochange', 200_000);
  lines.push(
    r200 === undefined
      ? 'n/a   nothing changed, 200,000 files, within 2.0x find (needs --files 200000)'
      : `${verdict(r200 <= 2.0)}  nothing changed, 200,000 files, within 2.0x find: ${r200.toFixed(2)}x${r200 <= 1.5 ? ' (within the 1.5x aim)' : ''}`,
  );
  const f200 = ratio('first', 200_000);
  lines.push(
    f200 === undefined
      ? 'n/a   first run, 200,000 files, within 3x find (needs --files 200000)'
      : `${verdict(f200 <= 3.0)}  first run, 200,000 files, within 3x find: ${f200.toFixed(2)}x`,
  );
  const big = results.filter((r) => r.files === 1_000_000 && r.scenario !== 'find');
  if (big.length === 0) lines.push('n/a   peak RSS under 150 MB at 1,000,000 files (needs --files 1000000)');
  else {
    const worst = big.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
    lines.push(`${verdict(worst.rssMb < 150)}  peak RSS under 150 MB at 1,000,000 files: worst ${worst.rssMb.toFixed(0)} MB (${LABEL[worst.scenario]})`);
  }
  const scaling = (['first', 'nochange', 'changed'] as const).flatMap((s) => {
    const a = get(s, 200_000);
    const b = get(s, 1_000_000);
    return a && b ? [`${LABEL[s]} ${(b.wallS / a.wallS).toFixed(2)}`] : [];
  });
  const worstScale = (['first', 'nochange', 'changed'] as const).reduce((m, s) => {
    const a = get(s, 200_000);
    const b = get(s, 1_000_000);
    return a && b ? Math.max(m, b.wallS / a.wallS) : m;
  }, 0);
  if (scaling.length === 0) lines.push('n/a   200,000 -> 1,000,000 files at most 5.5x the time (needs --files 200000,1000000)');
  else {
    const fa = get('find', 200_000);
    const fb = get('find', 1_000_000);
    const findScale = fa && fb ? `; find ${(fb.wallS / fa.wallS).toFixed(2)}` : '';
    lines.push(`${verdict(worstScale <= 5.5)}  200,000 -> 1,000,000 files at most 5.5x the time: ${scaling.join(', ')}${findScale}`);
  }
  return lines.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function wholeNumber(v: string, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench: --${name} must be a whole number >= ${min}\n`);
    process.exit(2);
  }
  return n;
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

process.exitCode = main();
