import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { TriePrefetch } from '../src/scan/prefetch.js';
import { scan } from '../src/scan/scanner.js';
import { openState, ROOT_NODE_ID } from '../src/state/open.js';
import { TrieStore } from '../src/state/trie.js';
import { makeTree, tempDir } from './helpers/tree.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/src');

/** A state database whose trie holds `dirs` directories under the root, each with `rowsEach` file rows. */
function trieOf(dirs: number, rowsEach: number): string {
  const file = path.join(tempDir('gsync-review-state-'), 'job.db');
  const state = openState(file);
  const trie = new TrieStore(state);
  trie.begin();
  for (let d = 0; d < dirs; d++) {
    const id = trie.insertNode(ROOT_NODE_ID, `d${String(d).padStart(4, '0')}`, { kind: 'd', size: 0n, mtimeNs: 1n, ctimeNs: 1n, ino: 1n });
    for (let f = 0; f < rowsEach; f++) trie.insertNode(id, `f${f}`, { kind: 'f', size: 0n, mtimeNs: 1n, ctimeNs: 1n, ino: 1n });
  }
  trie.commit();
  state.close();
  return file;
}

describe('scanner review', () => {
  it('a relative source path scans its subdirectories (the walk does not chdir for it)', () => {
    const parent = tempDir('gsync-review-rel-');
    makeTree({ 'src/top.txt': 'a', 'src/sub/deep/f.txt': 'b', 'src/sub/g.txt': 'c' }, parent);
    const home = process.cwd();
    process.chdir(parent);
    try {
      const warnings: string[] = [];
      const counts = scan({ root: 'src', trie: null, nowNs: BigInt(Date.now() + 60_000) * 1_000_000n, onWarning: (w) => warnings.push(`${w.path}: ${w.reason}`) });
      expect(warnings).toEqual([]);
      expect(counts).toMatchObject({ files: 3, dirs: 2, skipped: 0 });
      expect(process.cwd()).toBe(parent);
    } finally {
      process.chdir(home);
    }
  });

  it("the read-ahead worker's entries count against its bound, not only its rows", () => {
    // 200 directories the trie knows with no rows, each now holding 100 new files.
    const file = trieOf(200, 0);
    const root = tempDir('gsync-review-ahead-');
    for (let d = 0; d < 200; d++) {
      const dir = path.join(root, `d${String(d).padStart(4, '0')}`);
      fs.mkdirSync(dir);
      for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(dir, `n${f}`), '');
    }
    const p = new TriePrefetch(file, ROOT_NODE_ID, root);
    try {
      const started = Date.now();
      while (p.take('', ROOT_NODE_ID) === undefined && Date.now() - started < 10_000) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      // Wait until the worker stands at its bound (rows produced less rows taken, control words 0 and 1
      // of its shared memory), so it sends nothing more, then count what it buffered.
      const ctl = (p as unknown as { ctl: Int32Array }).ctl;
      const held = Date.now();
      while (Atomics.load(ctl, 0) - Atomics.load(ctl, 1) < 8192) {
        if (Date.now() - held > 20_000) throw new Error('the worker never reached its bound');
        Atomics.wait(ctl, 0, Atomics.load(ctl, 0), 100);
      }
      const port = (p as unknown as { port: MessagePort }).port as never;
      let entries = 0;
      let records = 0;
      for (let got = receiveMessageOnPort(port); got !== undefined && got.message !== null; got = receiveMessageOnPort(port)) {
        records++;
        entries += (got.message as { entries: string | null }).entries?.split('/').length ?? 0;
      }
      expect(records).toBeGreaterThan(0);
      // At most the bound (8,192) plus one record's worth.
      expect(entries).toBeLessThanOrEqual(8192 + 100);
    } finally {
      p.close();
    }
  });

  it('a read-ahead worker that dies mid-scan does not hang the scan', () => {
    // Enough rows that the worker is held back by its bound when it is killed.
    const file = trieOf(4, 9000);
    const root = tempDir('gsync-review-dead-');
    for (let d = 0; d < 4; d++) fs.mkdirSync(path.join(root, `d${String(d).padStart(4, '0')}`));
    const script = `
      const { TriePrefetch } = await import(${JSON.stringify(path.join(DIST, 'scan/prefetch.js'))});
      const p = new TriePrefetch(${JSON.stringify(file)}, 1, ${JSON.stringify(root)});
      const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      const t0 = Date.now();
      while (p.take('', 1) === undefined) { if (Date.now() - t0 > 10000) throw new Error('no first record'); sleep(10); }
      // Held back by its bound (rows produced less rows taken, control words 0 and 1), then killed.
      while (Atomics.load(p.ctl, 0) - Atomics.load(p.ctl, 1) < 8192) { if (Date.now() - t0 > 20000) throw new Error('never at its bound'); sleep(10); }
      await p.worker.terminate(); // as an out-of-memory or native failure would: no end marker
      const got = [];
      for (const [i, rel] of ['d0000', 'd0001', 'd0002', 'd0003'].entries()) got.push(p.take(rel, i + 2) === undefined ? 'self' : 'ahead');
      p.close();
      console.log(JSON.stringify(got));
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal, `stderr: ${r.stderr}`).toBeNull();
    expect(r.status, `stderr: ${r.stderr}`).toBe(0);
    const got = JSON.parse(r.stdout.trim()) as string[];
    // What the worker delivered before it died is used; the rest the scan reads itself.
    expect(got[0]).toBe('ahead');
    expect(got[3]).toBe('self');
  }, 30_000);
});
