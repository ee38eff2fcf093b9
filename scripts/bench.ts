/**
 * The cron tick's speed and memory against find and rsync, on one warm deterministic tree.
 *
 *   npm run bench                                  # 200,000 files in 4,000 directories
 *   npm run bench -- --files 1000000               # 1,000,000 files in 20,000 directories
 *   npm run bench -- --files 200000,1000000        # both, and the scaling targets
 *
 *   options: --runs N (5)  --dir DIR (keep and reuse trees there)  --seed S (1)  --keep
 *            --nice (measured processes at nice -20, root only)  --threads N (scan.threads; default: one per core)
 *
 * Each measurement is a child process under /usr/bin/time (peak RSS); wall time is
 * taken around it here. In this order on the same tree, each repeated --runs times:
 *   find           find SRC -printf '%T@ %s %p\n' > /dev/null   (the reference: "x find")
 *   rsync          rsync -a -n SRC/ COPY/ against a cp -al copy (skipped, with a note, without rsync)
 *   plan-first     gsync plan with no state database
 *   run-first      gsync run (no --wait) with no state database, against the local server
 *   plan-nochange  gsync plan after everything was shipped
 *   run-nochange   gsync run, the same state (a fresh copy for each run)
 *   plan-changed   gsync plan after 1% of the files (every 100th, sorted) got a new mtime
 *   run-changed    gsync run, the same (a fresh copy of the shipped state for each run)
 *   start-up       node -e 0, gsync --version and gsync plan of an empty tree, interleaved, 15 runs
 *                  or --runs if more (bench/startup-rows.ts); not with --verify-only
 *   verify         gsync verify of everything shipped, once at the default request rate (up to
 *                  200,000 files) and once with the rate limit off (bench/verify-rows.ts);
 *                  --skip-verify leaves it out; --verify-only measures nothing else,
 *                  and verify only with the rate limit off
 *   pull           gsync run of a first pull (source.listing "globus": the tree listed through
 *                  operation/ls, one call per directory), once at the default request rate (up
 *                  to 200,000 files) and once with the rate limit off (bench/pull-rows.ts);
 *                  --skip-pull leaves it out; --pull-only measures nothing else, and the pull
 *                  only with the rate limit off
 * The local server runs as a child process whose tasks never start copying, so no
 * transfer competes with later measurements. With --dir each size's results are
 * kept (results-N.json) and shown with a later run of another size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, has, loadAverage, log, measure, median, TIME, type Sample } from './bench/measure.js';
import { LABEL, table, targets, type Result, type Scenario } from './bench/report.js';
import { benchPull } from './bench/pull-rows.js';
import { benchStartup } from './bench/startup-rows.js';
import { benchVerify } from './bench/verify-rows.js';
import { prepareWorld, resetState, shipAll, startServer, touchOnePercent, type BenchWorld } from './bench/world.js';

const GSYNC = fileURLToPath(new URL('../bin/gsync.js', import.meta.url));

interface Args {
  sizes: number[];
  runs: number;
  seed: number;
  dirs?: number;
  prefix: string[];
  threads?: number;
  verify: boolean;
  verifyOnly: boolean;
  pull: boolean;
  pullOnly: boolean;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '200000' },
      dirs: { type: 'string' },
      runs: { type: 'string', default: '5' },
      dir: { type: 'string' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
      nice: { type: 'boolean', default: false },
      threads: { type: 'string' },
      'skip-verify': { type: 'boolean', default: false },
      'verify-only': { type: 'boolean', default: false },
      'skip-pull': { type: 'boolean', default: false },
      'pull-only': { type: 'boolean', default: false },
    },
  });
  const args: Args = {
    sizes: values.files.split(',').map((s) => wholeNumber(s, 'files', 1)),
    runs: wholeNumber(values.runs, 'runs', 1),
    seed: wholeNumber(values.seed, 'seed', 0),
    dirs: values.dirs === undefined ? undefined : wholeNumber(values.dirs, 'dirs', 1),
    prefix: values.nice ? ['nice', '-n', '-20'] : [],
    threads: values.threads === undefined ? undefined : wholeNumber(values.threads, 'threads', 1),
    verify: !values['skip-verify'],
    verifyOnly: values['verify-only'],
    pull: !values['skip-pull'],
    pullOnly: values['pull-only'],
  };
  for (const [file, why] of [
    [TIME, 'to measure peak RSS (apt-get install time)'],
    [GSYNC, 'missing: run npm run build'],
  ] as const) {
    if (!fs.existsSync(file)) {
      process.stderr.write(`bench: ${file} is needed ${why}\n`);
      return 2;
    }
  }
  const base = values.dir ? path.resolve(values.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-bench-'));
  fs.mkdirSync(base, { recursive: true });
  const keep = values.keep || values.dir !== undefined;
  const machine = describeMachine(base);
  const loadBefore = loadAverage();
  const results: Result[] = [];
  const notes: string[] = [];
  /** Start-up, verify and pull rows, printed under the table. */
  const rowsBelow: string[] = [];
  if (!has('rsync')) notes.push('rsync is not installed: its row is skipped (apt-get install -y rsync to measure it)');
  try {
    if (!args.verifyOnly && !args.pullOnly) rowsBelow.push(...benchStartup(GSYNC, base, { prefix: args.prefix, runs: args.runs }), '');
    for (const files of args.sizes) {
      const dirs = args.dirs ?? Math.max(1, Math.round(files / 50));
      const measured = await benchOne(path.join(base, `tree-${files}-${dirs}-${args.seed}`), files, dirs, args, rowsBelow);
      results.push(...measured);
      if (keep) fs.writeFileSync(path.join(base, `results-${files}.json`), JSON.stringify({ at: new Date().toISOString(), results: measured }, null, 1));
    }
    if (keep) results.push(...earlierResults(base, args.sizes));
  } finally {
    if (!keep) fs.rmSync(base, { recursive: true, force: true });
  }
  results.sort((a, b) => a.files - b.files);
  const how = `medians and best of ${args.runs} run(s)${values.nice ? ', measured at nice -20' : ''}; load average before: ${loadBefore}, after: ${loadAverage()}`;
  process.stdout.write(`\n${machine}\n${how}\n${notes.map((n) => `note: ${n}\n`).join('')}\n${table(results)}\n\n${targets(results)}\n${rowsBelow.map((r) => `\n${r}`).join('')}\n`);
  return 0;
}

async function benchOne(work: string, files: number, dirs: number, args: Args, rowsBelow: string[]): Promise<Result[]> {
  const addSized = (rows: string[]) => rowsBelow.push(...rows.map((r) => `${files.toLocaleString('en-US')} files in ${dirs.toLocaleString('en-US')} directories, ${r}`));
  const w = prepareWorld(work, { files, dirs, seed: args.seed });
  if (args.threads !== undefined) {
    const cfg = JSON.parse(fs.readFileSync(w.config, 'utf8'));
    cfg.scan.threads = args.threads;
    fs.writeFileSync(w.config, JSON.stringify(cfg, null, 2));
  }
  const server = await startServer(GSYNC, w);
  const out: Result[] = [];
  try {
    const pullRows = () => {
      // --pull-only, like --verify-only, measures the lister itself: the rate limit off (minutes saved at 200,000 files).
      const rows = benchPull(GSYNC, w, server.env, { prefix: args.prefix, defaultRate: files <= 200_000 && !args.pullOnly });
      addSized(rows);
    };
    if (args.pullOnly) {
      pullRows();
      return out;
    }
    if (args.verifyOnly) {
      shipAll(w);
      const rows = benchVerify(GSYNC, w, server.env, { prefix: args.prefix, defaultRate: false });
      addSized(rows);
      return out;
    }
    const gsync = (cmd: 'plan' | 'run') => [process.execPath, GSYNC, cmd, '--config', w.config];
    // Before each run of a scenario (untimed): the state it starts from.
    const repeat = (scenario: Scenario, cmd: string[], before?: () => void, env?: NodeJS.ProcessEnv) => {
      const samples: Sample[] = [];
      let last = '';
      for (let i = 0; i < args.runs; i++) {
        before?.();
        const m = measure(cmd, work, { prefix: args.prefix, env, quietStdout: scenario === 'find' || scenario === 'rsync' });
        samples.push(m);
        last = m.last;
      }
      const walls = samples.map((s) => s.wallS);
      const r: Result = { scenario, files, wallS: median(walls), bestS: Math.min(...walls), rssMb: median(samples.map((s) => s.rssKb)) / 1024, samples, last };
      if (scenario.startsWith('run-') && fs.existsSync(w.state)) r.dbBytesPerFile = dbBytes(w) / files;
      log(`${LABEL[scenario]}: ${samples.map((s) => `${s.wallS.toFixed(2)} s/${(s.rssKb / 1024).toFixed(0)} MB`).join(', ')}${last ? `  [${last}]` : ''}`);
      out.push(r);
    };
    // Warm the tree (and the copy) into the page and dentry caches before anything is timed.
    measure(['find', w.src, w.copy, '-printf', '%T@ %s %p\\n'], work, { quietStdout: true });
    repeat('find', ['find', w.src, '-printf', '%T@ %s %p\\n']);
    if (has('rsync')) repeat('rsync', ['rsync', '-a', '-n', `${w.src}/`, `${w.copy}/`]);
    repeat('plan-first', gsync('plan'), () => resetState(w, null));
    repeat('run-first', gsync('run'), () => resetState(w, null), server.env);

    log('shipping everything (write-mode scan, submission, SUCCEEDED)');
    shipAll(w);
    repeat('plan-nochange', gsync('plan'), () => resetState(w, w.shipped));
    repeat('run-nochange', gsync('run'), () => resetState(w, w.shipped), server.env);
    log(`gave ${touchOnePercent(w.src)} files a new mtime`);
    repeat('plan-changed', gsync('plan'), () => resetState(w, w.shipped));
    repeat('run-changed', gsync('run'), () => resetState(w, w.shipped), server.env);
    if (args.verify) {
      const rows = benchVerify(GSYNC, w, server.env, { prefix: args.prefix, defaultRate: files <= 200_000 });
      addSized(rows);
    }
    if (args.pull) pullRows();
  } finally {
    server.stop();
    resetState(w, null);
  }
  return out;
}

/** The state database's size with its WAL, as the run left it. */
function dbBytes(w: BenchWorld): number {
  return ['', '-wal'].reduce((n, s) => n + (fs.existsSync(w.state + s) ? fs.statSync(w.state + s).size : 0), 0);
}

/** Results of other sizes kept by earlier runs in the same --dir, marked as such. */
function earlierResults(base: string, sizes: number[]): Result[] {
  const out: Result[] = [];
  for (const f of fs.readdirSync(base).filter((n) => /^results-\d+\.json$/.test(n))) {
    const { at, results } = JSON.parse(fs.readFileSync(path.join(base, f), 'utf8')) as { at: string; results: Result[] };
    if (results.length > 0 && !sizes.includes(results[0]!.files)) out.push(...results.map((r) => ({ ...r, earlier: at })));
  }
  return out;
}

function wholeNumber(v: string, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench: --${name} must be a whole number >= ${min}\n`);
    process.exit(2);
  }
  return n;
}

process.exitCode = await main();
