/**
 * The exit path under stress (issue 32): runs `gsync demo` and a multi-thread
 * scan (`gsync plan` with scan.threads workers comparing against a populated
 * state database) N times each on one Node, and counts abnormal exits: a
 * signal (SIGABRT from nodejs/node#65446, SIGSEGV) or an exit code other than 0.
 * Each abnormal run's last stderr lines are printed, so a native stack trace
 * says where it died (a worker's teardown, the main thread's exit, mid-run).
 *
 *   nice -n 10 node dist/scripts/stress-exit.js --runs 200 [--threads 4] [--node PATH]
 *
 * Run it from a checkout installed (`npm ci`) with the Node it tests: --node picks
 * the binary, and node_modules must hold a better-sqlite3 built for it.
 * Exits 1 if any run was abnormal, 2 on bad arguments.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeTree } from './make-tree.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/gsync.js');

interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Abnormal: killed by a signal, or any exit code but 0 (the demo and a plan with nothing to ship both exit 0). */
export function abnormal(o: Outcome): boolean {
  return o.signal !== null || o.status !== 0;
}

function usage(message: string): never {
  process.stderr.write(`stress-exit: ${message}\nusage: stress-exit --runs N [--threads T] [--node PATH]\n`);
  process.exit(2);
}

function wholeNumber(v: string | undefined, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be a whole number >= ${min}`);
  return n;
}

/**
 * A job config file in work for `source` whose scan uses `threads` threads (the
 * demo's collection and client ids: plan and set-time never reach Globus).
 */
export function writeScanJob(work: string, source: string, threads: number): string {
  const config = path.join(work, `scan-${threads}.json`);
  const job = {
    name: 'stress',
    source: { collection: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1d5c1', path: source, collectionPath: '/' },
    destination: { collection: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1d5c2', path: '/' },
    auth: { clientId: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001', tokenFile: path.join(work, 'tokens.json') },
    state: { path: path.join(work, 'state', 'stress.db') },
    scan: { minAgeSeconds: 0, threads },
  };
  fs.writeFileSync(config, JSON.stringify(job, null, 2));
  return config;
}

/** A tree of 600 files in 80 folders, recorded as shipped, and a config whose scan uses `threads` threads. */
function scanJob(work: string, node: string, threads: number): string {
  const source = path.join(work, 'source');
  makeTree({ files: 600, dirs: 80, out: source, seed: 32 });
  const config = writeScanJob(work, source, threads);
  // Every path in the trie, so each worker reads rows through its own connection.
  const r = spawnSync(node, [CLI, '--quiet', '--config', config, 'set-time', '--now'], { encoding: 'utf8', env: { ...process.env, TMPDIR: work } });
  if (r.status !== 0) throw new Error(`set-time failed (${r.signal ?? r.status}): ${r.stderr}`);
  return config;
}

function main(): number {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, threads: { type: 'string', default: '4' }, node: { type: 'string' } } });
  const runs = wholeNumber(values.runs, 'runs', 1);
  const threads = wholeNumber(values.threads, 'threads', 2);
  const node = values.node ?? process.execPath;
  if (!fs.existsSync(CLI)) usage(`${CLI} is missing: run npx tsc -p tsconfig.json first`);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-stress-'));
  const cleanup = () => fs.rmSync(work, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const config = scanJob(work, node, threads);
    // Each child's temporary folders (the demo's) go under work, removed at the end.
    const env = { ...process.env, TMPDIR: work };
    const kinds = [
      { name: 'demo', args: [CLI, 'demo'] },
      { name: `scan (${threads} threads)`, args: [CLI, '--quiet', '--config', config, 'plan'] },
    ];
    const bad = new Map(kinds.map((k) => [k.name, 0]));
    for (let i = 1; i <= runs; i++) {
      for (const k of kinds) {
        const r = spawnSync(node, k.args, { encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 });
        if (r.error) throw r.error;
        if (!abnormal(r)) continue;
        bad.set(k.name, bad.get(k.name)! + 1);
        // The head names the failed check, the tail holds the JavaScript stack.
        const lines = r.stderr.trimEnd().split('\n');
        const shown = lines.length <= 30 ? lines : [...lines.slice(0, 12), '...', ...lines.slice(-18)];
        process.stdout.write(`run ${i} ${k.name}: ${r.signal ?? `exit ${r.status}`}\n  ${shown.join('\n  ')}\n`);
      }
      // So that a run cut short still says how far it got.
      if (i % 25 === 0) process.stderr.write(`stress: ${i} of ${runs} runs done, abnormal so far: ${[...bad].map(([n, c]) => `${n} ${c}`).join(', ')}\n`);
    }
    for (const k of kinds) process.stdout.write(`stress: Node ${version}, ${k.name}: ${bad.get(k.name)} abnormal exits in ${runs} runs\n`);
    return [...bad.values()].some((n) => n > 0) ? 1 : 0;
  } finally {
    cleanup();
  }
}

const isMain = import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) process.exitCode = main();
