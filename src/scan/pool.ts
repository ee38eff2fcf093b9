import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { subdirTasks, type DirTask, type Listing } from './compare.js';
import { DELIVERED, SLEEPING, STOP, type WorkerData, type WorkerReply } from './worker-protocol.js';
import { WalkQueue } from './walk-order.js';
import { runtimeV8Flags } from '../heap/young-generation.js';

/**
 * The parallel walk: worker threads compare directories (readdir, lstat, the
 * trie's rows through their own read-only connections) while the scan's own
 * thread records the listings in walk order, and compares directories itself
 * whenever it would otherwise wait (it lstats by name inside the directory, the
 * cheaper way, which workers cannot: they may not chdir). The scan is
 * synchronous, so it drains the workers' ports with receiveMessageOnPort and
 * sleeps on a shared counter they bump after each reply.
 *
 * Directories go out as they are discovered, the earliest in walk order first (so
 * what comes back is what the recording needs next), at most DEPTH per
 * worker, and only while fewer than AHEAD entries wait unrecorded (memory stays
 * bounded on any tree). The directory the recording needs next, if no worker has
 * it, is compared here at once. Anything a worker does not deliver (it could not
 * open the database, threw, or went silent for GIVE_UP_MS) the scan compares
 * itself, so a worker's failure costs time, never a difference in the result.
 */

/** Directories out at one worker at a time. */
export const DEPTH = 4;
/** Entries compared by workers and not yet recorded, beyond which no more work goes out. */
export const AHEAD = 16_384;
/** The longest the scan waits for a reply before comparing for itself. */
export const GIVE_UP_MS = 5000;

/** The worker's compiled file; under the test runner (sources in .ts) the one in dist/. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.resolve(path.dirname(here), '../../dist/src/scan/scan-worker.js');
  return path.join(path.dirname(here), 'scan-worker.js');
}

interface Slot {
  worker: Worker;
  port: MessagePort;
  outstanding: number;
  delivered: number;
  /** Failed to start or went silent: sent nothing more. */
  dead: boolean;
}

export interface PoolOptions {
  threads: number;
  dbFile: string | null;
  exclude: readonly string[];
  cutoffNs: bigint;
  /** For tests: a stand-in for the worker's file. */
  workerFile?: string;
  /** Compares a directory on the scan's own thread: what is not delivered, and everything after a failure. */
  local(task: DirTask): Listing;
  /** For tests: false keeps the scan's own thread from comparing ahead while it waits, so workers compare everything they are sent. */
  compareAhead?: boolean;
}

export class ScanPool {
  private readonly slots: Slot[] = [];
  private readonly ctl = new Int32Array(new SharedArrayBuffer(8));
  /** Discovered, not yet sent, earliest in walk order first; may hold stale entries (compared here since), skipped. */
  private readonly todo = new WalkQueue<DirTask & { parts: string[] }>();
  private readonly queued = new Map<string, DirTask>();
  private readonly sent = new Map<string, { task: DirTask; slot: Slot }>();
  /**
   * Directories whose worker reply is to be ignored: one a worker threw on (compared
   * here instead, where a real error throws for the scan), and one compared here while
   * still out at a late worker (its reply is dropped). Each leaves the set when its
   * reply has come and it was compared here, so the set stays as small as the work
   * out at workers: a path kept here keeps its parent's whole listing alive (the
   * names are slices of one joined string), which at 1,000,000 files was 8 MB.
   */
  private readonly here = new Set<string>();
  private readonly arrived = new Map<string, Listing>();
  private waiting = 0;
  private broken = false;
  /** Directories compared on the scan's own thread. */
  dirsLocal = 0;
  /** The most entries compared ahead and not yet recorded at any time (bounded by about AHEAD). */
  peakWaiting = 0;

  /** null where the worker's file is missing (a source checkout not built). */
  static start(o: PoolOptions): ScanPool | null {
    const file = o.workerFile ?? workerFile();
    if (!fs.existsSync(file)) return null;
    try {
      return new ScanPool(o, file);
    } catch {
      return null; // the parallel walk only saves time; the scan compares everything itself without it
    }
  }

  private constructor(
    private readonly o: PoolOptions,
    file: string,
  ) {
    for (let i = 0; i < o.threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const data: WorkerData = { dbFile: o.dbFile, exclude: o.exclude, cutoffNs: o.cutoffNs, port: port2, ctl: this.ctl.buffer as SharedArrayBuffer, v8Flags: runtimeV8Flags() };
      // A small young generation: a worker's garbage is short-lived listings, and each semi-space counts towards peak RSS.
      const worker = new Worker(file, { workerData: data, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: 4 } });
      worker.unref();
      worker.on('error', () => {
        // Seen only after the scan; meanwhile the scan compares for itself what was not delivered.
      });
      this.slots.push({ worker, port: port1, outstanding: 0, delivered: 0, dead: false });
    }
  }

  /** Directories set aside for a reply a worker still owes (see here): at most the work out at workers. */
  get lateReplies(): number {
    return this.here.size;
  }

  /** Directories the workers compared. */
  get dirsFromWorkers(): number {
    return this.slots.reduce((n, s) => n + s.delivered, 0);
  }

  /** A listing compared outside the pool (the source directory's): its subdirectories become work. */
  discovered(l: Listing, abs: string): void {
    for (const t of subdirTasks(l, abs)) {
      this.queued.set(t.rel, t);
      this.todo.push({ ...t, parts: t.rel.split('/') });
    }
    this.pump();
  }

  /** The listing of this directory, compared by a worker or, failing that, here. */
  listing(task: DirTask): Listing {
    for (;;) {
      const seen = Atomics.load(this.ctl, DELIVERED);
      this.drain();
      const got = this.arrived.get(task.rel);
      if (got !== undefined) {
        this.arrived.delete(task.rel);
        this.waiting -= got.count;
        this.pump();
        return got;
      }
      const out = this.sent.get(task.rel);
      // Not handed out yet: comparing it here is sooner than sending it and waiting.
      if (this.broken || this.here.has(task.rel) || out === undefined || out.slot.dead) return this.compareHere(task);
      // Rather than sleep while a worker finishes it, compare the next unsent directory here.
      if (this.o.compareAhead !== false && this.compareAhead()) continue;
      // Workers wake the scan only while it sleeps: a notify costs a system call, a third of a millisecond here.
      Atomics.store(this.ctl, SLEEPING, 1);
      const woke = Atomics.wait(this.ctl, DELIVERED, seen, GIVE_UP_MS);
      Atomics.store(this.ctl, SLEEPING, 0);
      if (woke === 'timed-out' && Atomics.load(this.ctl, DELIVERED) === seen) {
        // Dead or stuck (a worker's death is invisible to a synchronous scan): no more work
        // goes to it, and what it holds is compared here.
        this.sent.get(task.rel)!.slot.dead = true;
        if (this.slots.every((s) => s.dead)) this.broken = true;
      }
    }
  }

  /**
   * Asks each worker to close its connection and end by itself, never terminate()
   * first: terminating stops a thread wherever it is, and inside better-sqlite3
   * (loading the addon, opening the database) that can abort the whole process
   * (issue 32). The process waits for them (ref), so exiting does not terminate
   * them either; one still busy GIVE_UP_MS later (stuck in a read) is terminated.
   */
  close(): void {
    for (const s of this.slots) {
      s.port.close();
      s.worker.postMessage(STOP);
      s.worker.ref();
      setTimeout(() => void s.worker.terminate(), GIVE_UP_MS).unref();
    }
  }

  private compareHere(task: DirTask): Listing {
    this.queued.delete(task.rel);
    // Still out at a worker: its reply, when it comes, is dropped. Otherwise no reply is to come.
    if (this.sent.has(task.rel)) this.here.add(task.rel);
    else this.here.delete(task.rel);
    this.dirsLocal++;
    const l = this.o.local(task);
    if (!this.broken) this.discovered(l, task.abs);
    return l;
  }

  /** The earliest unsent directory, compared here and kept for the recording; false when there is none, or no room. */
  private compareAhead(): boolean {
    while (this.todo.size > 0 && this.waiting < AHEAD) {
      const next = this.todo.pop()!;
      if (!this.queued.has(next.rel)) continue;
      this.queued.delete(next.rel);
      this.dirsLocal++;
      const l = this.o.local(next);
      this.arrived.set(next.rel, l);
      this.waiting += l.count;
      if (this.waiting > this.peakWaiting) this.peakWaiting = this.waiting;
      this.discovered(l, next.abs);
      return true;
    }
    return false;
  }

  private drain(): void {
    for (const s of this.slots) {
      for (let m = receiveMessageOnPort(s.port); m !== undefined; m = receiveMessageOnPort(s.port)) {
        const reply = m.message as WorkerReply;
        if ('failed' in reply) {
          s.dead = true;
          if (this.slots.every((x) => x.dead)) this.broken = true;
          continue;
        }
        s.outstanding--;
        const rel = 'fatal' in reply ? reply.rel : reply.listing.rel;
        const out = this.sent.get(rel);
        this.sent.delete(rel);
        // Compared here already, while this worker was late: the reply is dropped, and no other comes.
        if (this.here.delete(rel)) continue;
        // A worker's throw is compared again here, where a real error throws for the scan.
        if ('fatal' in reply) this.here.add(rel);
        if ('fatal' in reply || out === undefined || this.broken) continue;
        s.delivered++;
        this.arrived.set(rel, reply.listing);
        this.waiting += reply.listing.count;
        if (this.waiting > this.peakWaiting) this.peakWaiting = this.waiting;
        this.discovered(reply.listing, out.task.abs);
      }
    }
  }

  /** Sends queued work while there is room. */
  private pump(): void {
    if (this.broken) return;
    while (this.todo.size > 0 && this.waiting < AHEAD) {
      const next = this.todo.peek()!;
      if (!this.queued.has(next.rel)) {
        this.todo.pop();
        continue;
      }
      if (!this.send(next, DEPTH)) return;
      this.todo.pop();
    }
  }

  /** To the least busy live worker with fewer than `limit` outstanding; false when none has room. */
  private send(task: DirTask, limit = Infinity): boolean {
    let best: Slot | null = null;
    for (const s of this.slots) if (!s.dead && s.outstanding < limit && (best === null || s.outstanding < best.outstanding)) best = s;
    if (best === null) return false;
    this.queued.delete(task.rel);
    this.sent.set(task.rel, { task, slot: best });
    best.outstanding++;
    best.worker.postMessage({ abs: task.abs, rel: task.rel, id: task.id });
    return true;
  }
}
