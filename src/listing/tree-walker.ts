import { listDirectory, type DirListing, type LsClient } from './dir-lister.js';
import { RateLimiter } from './rate-limiter.js';

/** A directory to list: its path on the collection (ending in "/") and whatever the caller attaches to it. */
export interface WalkTarget<T> {
  path: string;
  tag: T;
}

export interface WalkOptions<T> {
  client: LsClient;
  endpointId: string;
  /** Requests a second across the whole walk (Infinity: no limit). */
  requestsPerSecond: number;
  /** Listings in flight at once (default 4). */
  concurrency?: number;
  /** Entries per answer, at most 100,000 (Globus's own limit and default). */
  pageLimit?: number;
  /**
   * Called after the caller has handled a listing (the generator resumed): the
   * directories under it to list next, in the order wanted. Default: every entry
   * of type "dir", by name. Never called for a directory that was not listed.
   */
  children?: (dir: WalkTarget<T>, listing: Extract<DirListing, { status: 'listed' }>) => Array<WalkTarget<T>>;
}

export type WalkedDir<T> = { dir: WalkTarget<T> } & DirListing;

/**
 * Lists a tree on a collection through `operation/ls`, one directory at a time,
 * depth first, in a deterministic order: a directory is handed out before
 * anything under it, and its children are listed after the caller has seen it.
 * A few listings run ahead (`concurrency`), all paced by one rate limiter. Only
 * the directories waiting to be listed (their paths) and the listings in flight
 * are held, so memory is flat in the size of the tree. Used by `gsync verify`
 * for the destination and meant for any source listed through Globus.
 */
export async function* walkTree<T>(root: WalkTarget<T>, opts: WalkOptions<T>): AsyncGenerator<WalkedDir<T>> {
  const limiter = new RateLimiter(opts.requestsPerSecond);
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const children = opts.children ?? defaultChildren<T>;
  // Directories not yet started, the next one last (a stack: depth first).
  const waiting: Array<WalkTarget<T>> = [root];
  // Started, in the order they will be handed out.
  const inFlight: Array<{ dir: WalkTarget<T>; listing: Promise<DirListing> }> = [];
  const start = () => {
    while (inFlight.length < concurrency && waiting.length > 0) {
      const dir = waiting.pop()!;
      const listing = listDirectory(opts.client, opts.endpointId, dir.path, { limiter, pageLimit: opts.pageLimit });
      // Handled when its turn comes; until then a rejection must not count as unhandled.
      listing.catch(() => {});
      inFlight.push({ dir, listing });
    }
  };
  try {
    start();
    while (inFlight.length > 0) {
      const head = inFlight.shift()!;
      const listing = await head.listing;
      yield { dir: head.dir, ...listing };
      if (listing.status === 'listed') {
        const next = children(head.dir, listing);
        // Children go before everything already waiting; reversed, so the first child is listed first.
        for (let i = next.length - 1; i >= 0; i--) waiting.push(next[i]!);
      }
      start();
    }
  } finally {
    // An abandoned walk (an error, a break) leaves nothing running unobserved.
    await Promise.allSettled(inFlight.map((f) => f.listing));
  }
}

function defaultChildren<T>(dir: WalkTarget<T>, listing: Extract<DirListing, { status: 'listed' }>): Array<WalkTarget<T>> {
  return listing.entries
    .filter((e) => e.type === 'dir')
    .map((e) => e.name)
    .sort()
    .map((name) => ({ path: `${dir.path}${name}/`, tag: dir.tag }));
}
