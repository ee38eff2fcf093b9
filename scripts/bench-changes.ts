/**
 * `gsync run --changes` against a big state database: how long one run with a
 * short change list takes, and how much memory, when the trie holds millions of
 * files. Also prints the database size per file.
 *
 *   node dist/scripts/bench-changes.js                       # 10,000,000 files, 1,000 listed, 3 runs
 *   node dist/scripts/bench-changes.js --files 1000000 --listed 1000 --runs 5 --dir /tmp/gbc --keep
 *
 * The state database is not made by a scan (that would need 10M files on disk):
 * rows are written directly into the real schema (src/state/migrations.ts, via
 * openState) the way a scan followed by a SUCCEEDED transfer leaves them: one node
 * per path, shipped_* holding the fingerprint, seen_* NULL, gone 0, parents before
 * children, 50 files per directory in two levels of directories. Only the listed
 * files and their directories exist on disk, with fingerprints that differ from the
 * recorded ones, so every listed file is "changed"; the unlisted ten million are
 * never looked at, which is the point. Each timed run is a child `gsync run
 * --changes LIST` (no --wait) under /usr/bin/time against the local Globus server
 * started here; it also settles the task the previous run submitted, as a timer
 * run would. Between runs the bench waits for that task to end and rewrites the
 * listed files.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT_ENV, startGlobusServer } from '../src/server/index.js';
import { openState } from '../src/state/open.js';
import { sqliteDatabase } from '../src/state/sqlite-driver.js';

/** better-sqlite3 as gsync loads it on this Node (13, or 12 on Node 20). */
const Database = sqliteDatabase();

const GSYNC = fileURLToPath(new URL('../bin/gsync.js', import.meta.url));
const SRC_ID = '1405823f-0597-4a16-b296-46d4f0ae4b15';
const DST_ID = '0e4a77f8-b778-4d5c-abaa-e1254e71427f';
const FILES_PER_DIR = 50;
const SUBDIRS = 200;

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '10000000' },
    listed: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string', default: '/tmp/gsync-bench-changes' },
    keep: { type: 'boolean', default: false },
  },
});
const files = Number(args.files);
const listed = Number(args.listed);
const runs = Number(args.runs);
const base = args.dir!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** File number i lives at pNNNN/sNNN/fNN.dat. */
function relOf(i: number): string {
  const dir = Math.floor(i / FILES_PER_DIR);
  return `p${pad(Math.floor(dir / SUBDIRS), 4)}/s${pad(dir % SUBDIRS, 3)}/f${pad(i % FILES_PER_DIR, 2)}.dat`;
}

function buildState(statePath: string): number {
  fs.mkdirSync(path.dirname(statePath), { recursive: true });
  openState(statePath).close(); // the real schema, every migration applied
  const db = new Database(statePath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // building only; gsync itself opens it with its own settings
  const insert = db.prepare(
    `INSERT INTO node (id, parent, name, shipped_kind, shipped_size, shipped_mtime_ns, shipped_ctime_ns, shipped_ino, last_transfer_ns)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const shippedNs = 1_700_000_000_000_000_000n;
  const dirs = Math.ceil(files / FILES_PER_DIR);
  const tops = Math.ceil(dirs / SUBDIRS);
  let id = 1;
  const t0 = Date.now();
  db.exec('BEGIN');
  for (let t = 0; t < tops; t++) {
    const topId = ++id;
    insert.run(topId, 1, `p${pad(t, 4)}`, 'd', 4096n, shippedNs, shippedNs, BigInt(topId), shippedNs);
    for (let s = 0; s < SUBDIRS && t * SUBDIRS + s < dirs; s++) {
      const subId = ++id;
      insert.run(subId, topId, `s${pad(s, 3)}`, 'd', 4096n, shippedNs, shippedNs, BigInt(subId), shippedNs);
      const first = (t * SUBDIRS + s) * FILES_PER_DIR;
      for (let f = 0; f < FILES_PER_DIR && first + f < files; f++) {
        ++id;
        insert.run(id, subId, `f${pad(f, 2)}.dat`, 'f', BigInt(1000 + (id % 4096)), shippedNs, shippedNs, BigInt(id), shippedNs);
      }
      if (id % 500_000 < SUBDIRS + FILES_PER_DIR + 1) {
        db.exec('COMMIT');
        db.exec('BEGIN');
      }
    }
  }
  db.prepare(`UPDATE node SET shipped_kind = 'd', shipped_size = 4096, shipped_mtime_ns = ?, shipped_ctime_ns = ?, shipped_ino = 1, last_transfer_ns = ? WHERE id = 1`).run(shippedNs, shippedNs, shippedNs);
  db.exec('COMMIT');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  console.log(`state: ${id} nodes written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return id;
}

function writeListed(src: string, paths: string[], round: number): void {
  for (const rel of paths) {
    const abs = path.join(src, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, `round ${round} ${rel}\n`);
  }
}

function run(cmd: string, argv: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  fs.rmSync(base, { recursive: true, force: true });
  const src = path.join(base, 'src');
  const dst = path.join(base, 'dst');
  fs.mkdirSync(src, { recursive: true });
  fs.mkdirSync(dst, { recursive: true });
  const statePath = path.join(base, 'state', 'job.db');
  const nodes = buildState(statePath);
  const dbBytes = fs.statSync(statePath).size;
  console.log(`state: ${(dbBytes / 1e9).toFixed(2)} GB, ${(dbBytes / files).toFixed(1)} bytes per file (${(dbBytes / nodes).toFixed(1)} per node)`);

  // Spread over the tree: one listed file every files/listed, so each sits in its own directory.
  const step = Math.floor(files / listed);
  const paths = Array.from({ length: listed }, (_, k) => relOf(k * step + (k % FILES_PER_DIR)));
  const list = path.join(base, 'changes.txt');
  fs.writeFileSync(list, paths.map((p) => `${src}/${p}\n`).join(''));

  const srv = await startGlobusServer({ collections: [{ id: SRC_ID, root: src, kind: 'mapped' }, { id: DST_ID, root: dst, kind: 'guest' }] });
  const config = path.join(base, 'job.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      name: 'bench-changes',
      source: { collection: SRC_ID, path: src, collectionPath: '/' },
      destination: { collection: DST_ID, path: '/' },
      auth: { clientId: DEMO_CLIENT_ID, tokenFile: path.join(base, 'tokens.json') },
      state: { path: statePath },
      scan: { minAgeSeconds: 0 },
    }),
  );
  const env = { ...process.env, ...srv.env, ...DEMO_SERVICE_ACCOUNT_ENV, GSYNC_CONFIG: '' };
  const walls: number[] = [];
  const rss: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      writeListed(src, paths, r);
      const t0 = process.hrtime.bigint();
      // Asynchronously: the local server answers from this process's event loop.
      const res = await run('/usr/bin/time', ['-f', '%e %M', process.execPath, GSYNC, 'run', '--log-json', '--changes', list, '-c', config], env);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const timeLine = res.stderr.trim().split('\n').at(-1)!;
      const kb = Number(timeLine.split(' ')[1]);
      if (res.status !== 0) throw new Error(`run ${r} exited ${res.status}: ${res.stderr.slice(-2000)}`);
      walls.push(wall);
      rss.push(kb / 1024);
      console.log(`run ${r + 1}: ${wall.toFixed(2)} s, peak RSS ${(kb / 1024).toFixed(0)} MB: ${res.stdout.trim()}`);
      // The next run settles this one's task, as a timer run would; let it end first.
      while (srv.tasks.list().some((t) => t.status === 'ACTIVE')) await new Promise((ok) => setTimeout(ok, 50));
    }
  } finally {
    await srv.close();
    if (!args.keep) fs.rmSync(base, { recursive: true, force: true });
  }
  console.log(`\nfiles ${files}, listed ${listed}, runs ${runs}`);
  console.log(`median wall ${median(walls).toFixed(2)} s (best ${Math.min(...walls).toFixed(2)}), median peak RSS ${median(rss).toFixed(0)} MB (max ${Math.max(...rss).toFixed(0)})`);
  console.log(`targets: wall < 1 s: ${median(walls) < 1 ? 'PASS' : 'FAIL'}; peak RSS < 150 MB: ${Math.max(...rss) < 150 ? 'PASS' : 'FAIL'}`);
}

await main();
