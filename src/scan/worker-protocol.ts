import type { MessagePort } from 'node:worker_threads';
import type { Listing } from './compare.js';

/*
 * What the scan (src/scan/pool.ts) and its workers (src/scan/scan-worker.ts) say
 * to each other: the data a worker starts with, its replies, and the shared
 * control words it bumps so a sleeping scan wakes.
 */

export interface WorkerData {
  dbFile: string | null;
  exclude: readonly string[];
  cutoffNs: bigint;
  port: MessagePort;
  ctl: SharedArrayBuffer;
  /** V8 flags the scan's process set at run time: a worker's start resets them on Node 20 and 22 (src/heap/young-generation.ts). */
  v8Flags: string | null;
}

/** Indexes in the shared control words: replies posted by all workers; 1 while the scan sleeps waiting for one. */
export const DELIVERED = 0;
export const SLEEPING = 1;
/** Sent instead of a directory: close the connection and end. */
export const STOP = 'stop';

/** A worker's answer: one directory's listing, or its throw on that directory (the scan compares it again itself), or that it could not start (it gets no work). */
export type WorkerReply = { listing: Listing } | { rel: string; fatal: string } | { failed: string };
