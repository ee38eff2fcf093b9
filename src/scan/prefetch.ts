import os from 'node:os';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { NodeKind } from '../state/fingerprint.js';
import { CHILDREN_SQL, type NodeRow, type TrieStore } from '../state/trie.js';

/**
 * A read-only scan's trie reads on a second thread. The scan's own time goes to
 * the filesystem (lstat, readdir) and the SELECT of each directory's child rows
 * costs a third as much again; a worker with its own read-only connection walks
 * the trie's directories in the scan's order (depth first, names sorted as the
 * scan sorts them) and hands each directory's rows over packed in one
 * BigInt64Array, so both run at once. The scan takes records in its own order:
 * one for a directory it skips (excluded, in flight, no longer a directory) is
 * dropped, and a directory the worker did not read (new in the trie, or not yet
 * reached when the worker started) is read by the scan itself as before.
 */

/** Only for trees this big: below it, starting a thread costs more than it saves. */
export const PREFETCH_MIN_NODES = 10_000;

/** Numbers per row: id, flags, shipped size, mtime, ctime, ino, last transfer, gone, inflight. */
const F = 9;
// flags: shipped_kind (bits 0-1) and seen_kind (bits 2-3) as 0 null, 1 'f', 2 'd'; a set bit 4-8 means null.
const KINDS: readonly (NodeKind | null)[] = [null, 'f', 'd', null];
const NULL_SIZE = 16;
const NULL_MTIME = 32;
const NULL_CTIME = 64;
const NULL_INO = 128;
const NULL_LAST = 256;

// Control words in shared memory: rows produced and consumed (the worker stays at
// most AHEAD rows in front, which bounds memory on any tree), and a stop flag.
const PRODUCED = 0;
const CONSUMED = 1;
const STOP = 2;
const AHEAD = 8192;
/** The longest the scan waits for the worker's next record before reading for itself. */
export const GIVE_UP_MS = 5000;

/**
 * What tests see of the thread. rowsDelivered counts, process-wide, the trie rows
 * the scan took from the thread instead of reading them itself. waitForFirst makes
 * the scan wait for the thread's first record (as it waits for every later one)
 * instead of starting without it, so that a test knows every directory the thread
 * read was delivered; production scans never wait for the thread's start-up.
 */
export const prefetchProbe = { rowsDelivered: 0, waitForFirst: false };

interface DirRecord {
  rel: string;
  id: bigint;
  count: number;
  /** What the record counts against the read-ahead bound: rows, entries and one. */
  weight: number;
  /** Row names joined with '/', which no name can hold. */
  names: string;
  nums: BigInt64Array;
  /** The directory's entries as fs.readdirSync gave them, joined with '/'; null when the worker did not read them. */
  entries: string | null;
}

export interface Prefetched {
  /** The child rows, as TrieStore.children gives them. */
  rows: Map<string, NodeRow>;
  /** The directory's entries as ScanFs.readdir gives them, or undefined: then the scan reads them. */
  names: string[] | undefined;
}

/** Source text so that it runs the same from dist/ and under the test runner. */
const WORKER = `
const { workerData } = process.getBuiltinModule('node:worker_threads');
const { createRequire } = process.getBuiltinModule('node:module');
const { file, from, rootId, root, port, ctl, ahead, sql } = workerData;
const fs = process.getBuiltinModule('node:fs');
const base = root === '/' ? '' : root;
class Stop {}
const send = (rec, rows) => {
  for (;;) {
    if (Atomics.load(ctl, ${STOP})) throw new Stop();
    const consumed = Atomics.load(ctl, ${CONSUMED});
    if (((Atomics.load(ctl, ${PRODUCED}) - consumed) | 0) < ahead) break;
    Atomics.wait(ctl, ${CONSUMED}, consumed, 100);
  }
  port.postMessage(rec, [rec.nums.buffer]);
  Atomics.add(ctl, ${PRODUCED}, rows);
  Atomics.notify(ctl, ${PRODUCED});
};
let db;
try {
  const Database = createRequire(from)('better-sqlite3');
  db = new Database(file, { readonly: true, fileMustExist: true });
  const anyPending = db.prepare(sql.anyPending).pluck(true);
  const withInflight = db.prepare(sql.withInflight).safeIntegers(true).raw(true);
  const noInflight = db.prepare(sql.noInflight).safeIntegers(true).raw(true);
  const kind = (k) => (k === null ? 0 : k === 'f' ? 1 : k === 'd' ? 2 : 3);
  const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const visit = (id, rel) => {
    const rows = (anyPending.get() === 1 ? withInflight : noInflight).all(id);
    const n = rows.length;
    const names = new Array(n);
    const nums = new BigInt64Array(n * ${F});
    const dirs = [];
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const o = i * ${F};
      names[i] = r[1];
      const sk = kind(r[2]);
      const vk = kind(r[8]);
      let flags = sk | (vk << 2);
      nums[o] = r[0];
      if (r[3] === null) flags |= ${NULL_SIZE}; else nums[o + 2] = r[3];
      if (r[4] === null) flags |= ${NULL_MTIME}; else nums[o + 3] = r[4];
      if (r[5] === null) flags |= ${NULL_CTIME}; else nums[o + 4] = r[5];
      if (r[6] === null) flags |= ${NULL_INO}; else nums[o + 5] = r[6];
      if (r[7] === null) flags |= ${NULL_LAST}; else nums[o + 6] = r[7];
      nums[o + 1] = BigInt(flags);
      nums[o + 7] = r[9];
      nums[o + 8] = r.length > 10 ? r[10] : 0n;
      if (sk === 2 || vk === 2) dirs.push([r[1], r[0]]);
    }
    // The directory's entries too, except the source directory's, which the scan has
    // read already; null (the scan reads it itself, and meets any error itself) if that fails.
    let entries = null;
    // Rows and entries both count against the read-ahead bound: a directory the trie
    // knows with few rows may hold many new entries.
    let weight = n + 1;
    if (rel !== '') {
      try {
        const list = fs.readdirSync(base + '/' + rel);
        entries = list.join('/');
        weight += list.length;
      } catch {}
    }
    send({ rel, id, count: n, weight, names: names.join('/'), nums, entries }, weight);
    dirs.sort(byName);
    for (const [name, child] of dirs) visit(child, rel === '' ? name : rel + '/' + name);
  };
  visit(BigInt(rootId), '');
} catch (err) {
  if (!(err instanceof Stop)) {
    // The scan reads for itself whatever was not delivered.
  }
} finally {
  try { db?.close(); } catch {}
  try { port.postMessage(null); } catch {}
  Atomics.add(ctl, ${PRODUCED}, 1);
  Atomics.notify(ctl, ${PRODUCED});
  port.close();
}
`;

/** Depth-first order with sorted names: negative when directory a is visited before b. */
export function walkOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const as = a.split('/');
  const bs = b.split('/');
  const n = Math.min(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    if (as[i] !== bs[i]) return as[i]! < bs[i]! ? -1 : 1;
  }
  return as.length - bs.length;
}

/**
 * A prefetcher for a read-only scan of this trie, or null where it would not pay:
 * one core, an in-memory database, or a small trie.
 */
export function triePrefetch(trie: TrieStore, rootId: number, root: string, minNodes = PREFETCH_MIN_NODES): TriePrefetch | null {
  const file = trie.file;
  // Both as absolute paths now: the worker starts later, when the scan may have changed directory.
  if (file === null || !path.isAbsolute(root) || os.availableParallelism() < 2) return null;
  if (minNodes > 0 && trie.maxNodeId() < minNodes) return null;
  try {
    return new TriePrefetch(path.resolve(file), rootId, root);
  } catch {
    return null; // the read-ahead only saves time; the scan reads everything itself without it
  }
}

export class TriePrefetch {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctl: Int32Array;
  private next: DirRecord | null | undefined;
  private ended = false;

  constructor(file: string, rootId: number, root: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.ctl = new Int32Array(new SharedArrayBuffer(16));
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { file, from: import.meta.url, rootId, root, port: port2, ctl: this.ctl, ahead: AHEAD, sql: CHILDREN_SQL },
      transferList: [port2],
    });
    this.worker.unref();
    this.worker.on('error', () => {
      // The scan reads for itself whatever the worker did not deliver.
    });
  }

  /**
   * Directory rel (node id) as the worker read it, or undefined when it did not:
   * the caller then reads it itself.
   */
  take(rel: string, id: number): Prefetched | undefined {
    for (;;) {
      const rec = this.peek();
      if (rec === null || rec === undefined) return undefined;
      const order = walkOrder(rec.rel, rel);
      if (order > 0) return undefined;
      this.next = undefined;
      if (order !== 0) continue;
      if (rec.id !== BigInt(id)) return undefined;
      prefetchProbe.rowsDelivered += rec.count;
      return { rows: rowsOf(rec), names: rec.entries === null ? undefined : rec.entries === '' ? [] : rec.entries.split('/') };
    }
  }

  close(): void {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.notify(this.ctl, CONSUMED);
    this.port.close();
    void this.worker.terminate();
  }

  /** The next record; undefined when the worker has not delivered its first yet (so no waiting on its start-up), null at the end. */
  private peek(): DirRecord | null | undefined {
    if (this.next !== undefined) return this.next;
    if (this.ended) return null;
    for (;;) {
      const produced = Atomics.load(this.ctl, PRODUCED);
      const got = receiveMessageOnPort(this.port);
      if (got !== undefined) {
        const rec = got.message as DirRecord | null;
        Atomics.add(this.ctl, CONSUMED, rec === null ? 1 : rec.weight);
        Atomics.notify(this.ctl, CONSUMED);
        if (rec === null) this.ended = true;
        this.next = rec;
        return rec;
      }
      if (produced === 0 && !prefetchProbe.waitForFirst) return undefined;
      // Behind the scan: wait for the worker. Its death cannot be seen from here (threadId
      // and 'exit' change only when the event loop runs, and the scan is synchronous), so a
      // worker that delivers nothing for GIVE_UP_MS (dead, or stuck in a readdir) is given
      // up on and the scan reads for itself, as it does for anything not delivered.
      if (Atomics.wait(this.ctl, PRODUCED, produced, GIVE_UP_MS) === 'timed-out') {
        this.ended = true;
        this.next = null;
        Atomics.store(this.ctl, STOP, 1);
        Atomics.notify(this.ctl, CONSUMED);
        return null;
      }
    }
  }
}

function rowsOf(rec: DirRecord): Map<string, NodeRow> {
  const map = new Map<string, NodeRow>();
  if (rec.count === 0) return map;
  const names = rec.names.split('/');
  const a = rec.nums;
  for (let i = 0; i < rec.count; i++) {
    const o = i * F;
    const flags = Number(a[o + 1]);
    const name = names[i]!;
    map.set(name, {
      id: a[o]!,
      name,
      shipped_kind: KINDS[flags & 3]!,
      shipped_size: flags & NULL_SIZE ? null : a[o + 2]!,
      shipped_mtime_ns: flags & NULL_MTIME ? null : a[o + 3]!,
      shipped_ctime_ns: flags & NULL_CTIME ? null : a[o + 4]!,
      shipped_ino: flags & NULL_INO ? null : a[o + 5]!,
      last_transfer_ns: flags & NULL_LAST ? null : a[o + 6]!,
      seen_kind: KINDS[(flags >> 2) & 3]!,
      gone: a[o + 7]!,
      inflight: a[o + 8]!,
    });
  }
  return map;
}
