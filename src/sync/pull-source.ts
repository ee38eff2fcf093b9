import { configError, failure } from '../errors/errors.js';
import type { SourceListing } from '../listing/source-listing.js';
import type { RunJobOptions } from './run-options.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { SyncRemote } from '../run/remote.js';
import type { SyncContext } from '../run/sync-context.js';
import type { State } from '../state/open.js';
import { excluder, type ListedSettling } from '../scan/compare.js';
import type { ScanFs } from '../scan/scan-fs.js';
import { ListingSightings } from '../state/listing-seen.js';

/** What the scan reads the source through: this host's filesystem (nothing to add), or a Globus listing (issue 29). */
export interface ScanSource {
  fs?: ScanFs;
  settling?: ListedSettling;
  /** Lines for the run's summary: directories Globus could not list (the run exits 1). */
  problems: string[];
  close(): void;
}

const LOCAL: ScanSource = { problems: [], close: () => {} };

/** Directories named in the summary line; the log names every one. */
const NAMED = 10;

/**
 * source.listing "globus": lists the source collection under source.path through
 * Globus before the scan, never this host's filesystem (even where the same
 * path exists here). The source path missing on the collection is a config
 * problem (exit 2); the source path itself unlisted stops the run (exit 1), as
 * nothing could be judged; an unlisted directory below it is skipped by the
 * scan like an unreadable one: nothing under it is judged, recorded gone or
 * deleted, and the run exits 1.
 */
export async function openScanSource(sync: SyncContext, opts: Pick<RunJobOptions, 'only' | 'listingRequestsPerSecond'>): Promise<ScanSource> {
  return openSourceListing({ config: sync.config, logger: sync.logger, state: sync.state, nowNs: sync.now(), ls: sync.remote.ls?.bind(sync.remote) }, opts);
}

/** What listing the source needs: a run passes its context; `gsync plan` its read-only state (or none) and a client. */
export interface ListingContext {
  config: Config;
  logger: Logger;
  /** Where earlier listings' sightings are kept; null: none yet (a plan before the first run). */
  state: State | null;
  nowNs: bigint;
  ls: SyncRemote['ls'];
}

export async function openSourceListing(sync: ListingContext, opts: Pick<RunJobOptions, 'only' | 'listingRequestsPerSecond'>): Promise<ScanSource> {
  const { config, logger, ls } = sync;
  if (config.source.listing !== 'globus') return LOCAL;
  if (opts.only !== undefined) throw configError('--changes reads paths on this host; it cannot be used with source.listing "globus"');
  if (ls === undefined) throw failure('internal: this remote cannot list a collection (source.listing "globus")');
  const started = Date.now();
  // Loaded only in pull mode: a local source's tick never loads the Globus lister (issue 34, start-up).
  const { listSource } = await import('../listing/source-listing.js');
  const listing: SourceListing = await listSource({
    client: { ls },
    collection: config.source.collection,
    root: config.source.path,
    requestsPerSecond: opts.listingRequestsPerSecond ?? config.source.requestsPerSecond,
    concurrency: config.source.concurrency,
    isExcluded: excluder(config.scan.exclude),
  });
  const shown = (rel: string) => (rel === '' ? config.source.path : `${rel}/`);
  logger.info({ dirs: listing.dirs, requests: listing.requests, unlisted: listing.unlisted.length, seconds: (Date.now() - started) / 1000 }, `listed the source through Globus: ${listing.dirs} directories`);
  for (const u of listing.unlisted) {
    logger.warn({ path: shown(u.relPath), code: u.code }, `source directory ${shown(u.relPath)} could not be listed through Globus (${u.code}: ${u.message}): nothing under it was judged, recorded gone or deleted`);
  }
  if (listing.rootMissing) {
    listing.close();
    throw configError(`source.path ${config.source.path}: does not exist on the source collection ${config.source.collection}`);
  }
  const root = listing.unlisted.find((u) => u.relPath === '');
  if (root) {
    listing.close();
    throw failure(`source.path ${config.source.path} could not be listed through Globus (${root.code}: ${root.message}); nothing was judged`);
  }
  const names = listing.unlisted.slice(0, NAMED).map((u) => shown(u.relPath));
  const more = listing.unlisted.length > NAMED ? ` and ${listing.unlisted.length - NAMED} more (see the log)` : '';
  return {
    fs: listing.fs,
    settling: new ListingSightings(sync.state, sync.nowNs, config.scan.minAgeSeconds),
    problems: listing.unlisted.length === 0 ? [] : [`${listing.unlisted.length} source director(ies) could not be listed through Globus, nothing under them judged: ${names.join(', ')}${more}`],
    close: () => listing.close(),
  };
}
