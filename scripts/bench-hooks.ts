/**
 * What manifests cost a first run: the SUCCEEDED commit of N files with and
 * without recording the delivered files (manifest_file rows, same
 * transaction), then writing the manifest from them.
 *
 *   npm run build && node dist/scripts/bench-hooks.js [--files 200000] [--runs 3]
 *
 * Prints the median of each figure over the runs; each run scans a fresh state
 * database in write mode over the same tree, submits one document and commits it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.js';
import { writeManifest } from '../src/hooks/manifest.js';
import type { TransferItem } from '../src/plan/coalescer.js';
import { planScan } from '../src/plan/plan-scan.js';
import { owedHooks, recordDelivered } from '../src/state/hooks.js';
import { openState } from '../src/state/open.js';
import { commitSubmission, createSubmission } from '../src/ledger/transfer-rows.js';
import { TrieStore } from '../src/state/trie.js';
import { makeTree } from './make-tree.js';

const { values } = parseArgs({ options: { files: { type: 'string', default: '200000' }, runs: { type: 'string', default: '3' } } });
const files = Number(values.files);
const runs = Number(values.runs);
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-bench-hooks-'));
const src = path.join(base, 'src');
makeTree({ files, dirs: Math.max(1, Math.round(files / 50)), out: src, seed: 1 });

function once(withManifest: boolean, i: number): { commitS: number; writeS: number; manifestBytes: number } {
  const dbFile = path.join(base, `state-${withManifest}-${i}.db`);
  const parsed = parseConfig({
    name: 'bench',
    source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: src },
    destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/bench' },
    auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2' },
    state: { path: dbFile },
    hooks: { manifestDir: path.join(base, `manifests-${i}`) },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const config = parsed.config;
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
      onItem: (it) => items.push(it),
    });
    const document = JSON.stringify({ DATA: items.map(({ source_path, destination_path, recursive }) => ({ source_path, destination_path, recursive })) });
    const rowId = createSubmission(state, { submissionId: `bench-${i}`, document, items, files: totals.files, bytes: totals.bytes, createdNs: nowNs });
    const t0 = process.hrtime.bigint();
    commitSubmission(state, rowId, nowNs, {
      delivered: withManifest ? (r) => void recordDelivered(state, { submissionRowId: r, taskId: '00000000-0000-0000-0000-000000000000', createdNs: nowNs, manifest: `bench-${i}.jsonl`, delivered: state.db.prepare(`SELECT node_id FROM pending WHERE submission = ?`).pluck(true).all(r) as number[] }) : undefined,
    });
    const commitS = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!withManifest) return { commitS, writeS: 0, manifestBytes: 0 };
    const hook = owedHooks(state)[0]!;
    const t1 = process.hrtime.bigint();
    const file = writeManifest(state, config, hook, document);
    return { commitS, writeS: Number(process.hrtime.bigint() - t1) / 1e9, manifestBytes: fs.statSync(file).size };
  } finally {
    state.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const plain: number[] = [];
const withRows: number[] = [];
const writes: number[] = [];
let bytes = 0;
for (let i = 0; i < runs; i++) {
  plain.push(once(false, i).commitS);
  const r = once(true, i);
  withRows.push(r.commitS);
  writes.push(r.writeS);
  bytes = r.manifestBytes;
}
console.log(`${files.toLocaleString('en')} files, median of ${runs} runs:`);
console.log(`  commit SUCCEEDED without manifest rows  ${median(plain).toFixed(2)} s`);
console.log(`  commit SUCCEEDED with manifest rows     ${median(withRows).toFixed(2)} s`);
console.log(`  write the manifest (fsync, rename)      ${median(writes).toFixed(2)} s, ${(bytes / 1e6).toFixed(1)} MB`);
fs.rmSync(base, { recursive: true, force: true });
