import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TransferItem } from '../../src/plan/coalescer.js';
import { planScan } from '../../src/plan/plan-scan.js';
import { DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT_ENV } from '../../src/server/options.js';
import { openState } from '../../src/state/open.js';
import { commitSubmission, createSubmission } from '../../src/ledger/transfer-rows.js';
import { TrieStore } from '../../src/state/trie.js';
import { compactIfSparse } from '../../src/state/compact.js';
import { makeTree } from '../make-tree.js';
import { log } from './measure.js';

/** The bench's tree, its hard-linked copy (for rsync), and the job's configs and state files. */
export interface BenchWorld {
  work: string;
  src: string;
  /** cp -al of src: rsync -a -n compares the two (every file the same inode, so nothing to send). */
  copy: string;
  /** plan, and run against the local server; state at `state` (a fresh copy made per run by the bench). */
  config: string;
  state: string;
  /** Everything shipped, as a `gsync run` that Globus completed records it. */
  shipped: string;
}

const SRC_ID = '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1b001';
const DST_ID = '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1b002';

export function prepareWorld(work: string, o: { files: number; dirs: number; seed: number }): BenchWorld {
  const src = path.join(work, 'src');
  const marker = path.join(work, 'tree.json');
  if (!fs.existsSync(marker)) {
    fs.rmSync(work, { recursive: true, force: true });
    log(`building ${o.files} files in ${o.dirs} directories under ${src}`);
    const t0 = performance.now();
    fs.writeFileSync(marker, JSON.stringify(makeTree({ files: o.files, dirs: o.dirs, out: src, seed: o.seed })));
    log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else {
    log(`reusing the tree under ${src}`);
  }
  const copy = path.join(work, 'copy');
  fs.rmSync(copy, { recursive: true, force: true });
  const cp = spawnSync('cp', ['-al', src, copy]);
  if (cp.status !== 0) throw new Error(`cp -al failed: ${cp.stderr.toString()}`);
  const stateDir = path.join(work, 'state');
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.mkdirSync(stateDir);
  fs.mkdirSync(path.join(work, 'dst'), { recursive: true });
  const state = path.join(stateDir, 'job.db');
  const config = path.join(work, 'job.json');
  const cfg = {
    name: 'bench',
    source: { collection: SRC_ID, path: src, collectionPath: '/' },
    destination: { collection: DST_ID, path: '/' },
    auth: { clientId: DEMO_CLIENT_ID, tokenFile: path.join(work, 'tokens.json') },
    state: { path: state },
    scan: { minAgeSeconds: 0 },
    log: { level: 'warn' },
  };
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  return { work, src, copy, config, state, shipped: path.join(stateDir, 'shipped.db') };
}

/** A fresh state for the next measured run: none, or a copy of `from`. */
export function resetState(w: BenchWorld, from: string | null): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(w.state + suffix, { force: true });
  if (from !== null) fs.copyFileSync(from, w.state);
}

/** What `gsync run` records for a first run that Globus completes: a write-mode scan, a submission, SUCCEEDED. */
export function shipAll(w: BenchWorld): void {
  const state = openState(w.shipped);
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const items: TransferItem[] = [];
    const totals = planScan({
      root: w.src,
      trie: new TrieStore(state),
      write: true,
      minAgeSeconds: 0,
      nowNs,
      mapping: { sourceRoot: '/', destinationRoot: '/' },
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
    // As the run that settles that task does (src/sync/cycle.ts).
    compactIfSparse(state);
    state.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    state.close();
  }
}

/** Every 100th file in sorted order gets an mtime of an hour ago: a changed file, old enough to ship. */
export function touchOnePercent(src: string): number {
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

export interface BenchServer {
  env: NodeJS.ProcessEnv;
  stop(): void;
}

/**
 * The local Globus-compatible server as a child process (the bench's own thread
 * blocks in spawnSync while a measured run talks to it). Its tasks never start
 * copying, so no transfer runs in the background of later measurements.
 */
export async function startServer(gsync: string, w: BenchWorld): Promise<BenchServer> {
  const file = path.join(w.work, 'server.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      port: 0,
      collections: [
        { id: SRC_ID, root: w.src, kind: 'mapped' },
        { id: DST_ID, root: path.join(w.work, 'dst'), kind: 'guest' },
      ],
      taskStartDelayMs: 1_000_000_000,
    }),
  );
  const child: ChildProcess = spawn(process.execPath, [gsync, 'server', '--server-config', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const m = /server on (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`gsync server exited ${code} before it listened`)));
  });
  return {
    env: { ...process.env, GLOBUS_SDK_SERVICE_URL_TRANSFER: url, GLOBUS_SDK_SERVICE_URL_AUTH: url, ...DEMO_SERVICE_ACCOUNT_ENV },
    stop: () => void child.kill('SIGTERM'),
  };
}
