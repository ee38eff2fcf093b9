import fs from 'node:fs';
import v8 from 'node:v8';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { openState, type State } from '../state/open.js';
import { TrieStore } from '../state/trie.js';
import { compareDir, excluder, type CompareEnv, type DirTask, type Listing } from './compare.js';
import { DELIVERED, SLEEPING, STOP, type WorkerData, type WorkerReply } from './worker-protocol.js';

/**
 * A scan worker: compares the directories the scan hands it (src/scan/compare.ts)
 * against the trie through its own read-only connection, and posts each Listing
 * back. It never writes; the scan's own thread records everything, in walk order.
 * Workers cannot chdir, so they lstat by absolute path.
 */

const data = workerData as WorkerData;
// Before anything allocates: this thread's start set the process's V8 flags back to the command line's.
if (data.v8Flags !== null) v8.setFlagsFromString(data.v8Flags);
const port = data.port as MessagePort;
const ctl = new Int32Array(data.ctl);

const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => {
  port.postMessage(reply, transfer);
  Atomics.add(ctl, DELIVERED, 1);
  // After the count (the scan sets SLEEPING before it waits on the count, so one of the two sees the other).
  if (Atomics.load(ctl, SLEEPING) === 1) Atomics.notify(ctl, DELIVERED);
};

let env: CompareEnv | null = null;
let state: State | null = null;
try {
  state = data.dbFile === null ? null : openState(data.dbFile, { readonly: true });
  const trie = state === null ? null : new TrieStore(state);
  env = {
    readdir: (dir) => fs.readdirSync(dir),
    readdirRaw: (dir) => fs.readdirSync(dir, { encoding: 'buffer' }),
    lstatIn: (_dir, _name, abs) => fs.lstatSync(abs, { bigint: true }),
    rows: (id) => (trie === null ? new Map() : trie.children(id)),
    isExcluded: excluder(data.exclude),
    cutoffNs: data.cutoffNs,
  };
} catch (err) {
  // The scan compares everything itself instead.
  post({ failed: (err as Error).message });
}

parentPort!.on('message', (task: DirTask | typeof STOP) => {
  if (task === STOP) {
    // Ends the thread by itself (nothing left to wait on), its connection closed first.
    state?.close();
    parentPort!.close();
    port.close();
    return;
  }
  if (env === null) return;
  let listing: Listing;
  try {
    listing = compareDir(task, env);
  } catch (err) {
    post({ rel: task.rel, fatal: (err as Error).stack ?? String(err) });
    return;
  }
  post({ listing }, [listing.nums.buffer as ArrayBuffer]);
});
