import { GlobusApiError, GlobusNetworkError } from '../globus/errors.js';
import type { FileEntry, FileList } from '../globus/schemas.js';
import type { LsOptions } from '../globus/transfer-client.js';
import type { RateLimiter } from './rate-limiter.js';

/** What the lister needs of a Transfer client: `operation/ls` (TransferClient.ls fits). */
export interface LsClient {
  ls(endpointId: string, path: string, opts?: LsOptions): Promise<FileList>;
}

/** Globus's largest answer: ls returns at most 100,000 entries (operation_ls, `limit`). */
export const MAX_LS_LIMIT = 100_000;

/** One directory, as Globus listed it. */
export interface ListedEntry {
  name: string;
  /** "file", "dir", "invalid_symlink", ... as Globus names it. */
  type: string;
  size: number;
  /** Whole seconds since the epoch (Globus reports `last_modified` to the second, UTC); null when absent. */
  mtimeSeconds: number | null;
}

/**
 * The outcome of listing one directory. `unlisted`: Globus could not list it
 * (ExternalError.DirListingFailed.*, permission denied, no answer): nothing under
 * it may be judged, and it is never to be read as empty. `missing`: Globus says
 * the directory does not exist (404 ClientError.NotFound).
 */
export type DirListing =
  | { status: 'listed'; entries: ListedEntry[]; requests: number }
  | { status: 'missing'; requests: number }
  | { status: 'unlisted'; code: string; message: string; requests: number };

/**
 * Lists one directory completely: one call when it fits in one answer, then
 * offset/limit pages while `total` says more remain (the SDK's note: Globus
 * refetches the whole directory for every page, so pages are only used when
 * needed). Ordered by name so that pages do not overlap. Auth and consent errors
 * are thrown: a login fixes them, not a retry.
 */
export async function listDirectory(client: LsClient, endpointId: string, dirPath: string, opts: { limiter: RateLimiter; pageLimit?: number; showHidden?: boolean }): Promise<DirListing> {
  const limit = Math.min(opts.pageLimit ?? MAX_LS_LIMIT, MAX_LS_LIMIT);
  const entries: ListedEntry[] = [];
  let requests = 0;
  for (let offset = 0; ; ) {
    await opts.limiter.take();
    requests++;
    let page: FileList;
    try {
      page = await client.ls(endpointId, dirPath, { limit, offset, orderby: 'name ASC', showHidden: opts.showHidden ?? true });
    } catch (err) {
      const why = unlistable(err);
      if (why === 'missing') return { status: 'missing', requests };
      if (why) return { status: 'unlisted', ...why, requests };
      throw err;
    }
    for (const e of page.DATA) entries.push(listedEntry(e));
    const got = page.length ?? page.DATA.length;
    offset += got;
    // `total` says how many entries the directory holds; an answer without it, or an empty page, is the last.
    if (page.total === undefined || got === 0 || offset >= page.total) break;
  }
  return { status: 'listed', entries, requests };
}

/** A directory Globus cannot list is recorded as such; anything a person must fix (auth, consent) is rethrown. */
function unlistable(err: unknown): 'missing' | { code: string; message: string } | null {
  if (err instanceof GlobusNetworkError) return { code: err.networkCode ?? 'NoAnswer', message: err.message };
  if (!(err instanceof GlobusApiError) || err.kind === 'auth') return null;
  if (err.httpStatus === 404 || err.code === 'ClientError.NotFound') return 'missing';
  // A listing failure, a refusal, or a service still failing after every retry: not seen, so never judged.
  if (err.code.startsWith('ExternalError') || /PermissionDenied/.test(err.code) || err.httpStatus === 403 || err.httpStatus === 429 || err.httpStatus >= 500) {
    return { code: err.code, message: err.globusMessage.split('\n')[0] ?? err.code };
  }
  return null;
}

function listedEntry(e: FileEntry): ListedEntry {
  return { name: e.name, type: e.type, size: e.size, mtimeSeconds: lastModifiedSeconds(e.last_modified) };
}

/** "2024-05-01 12:00:00+00:00" (Transfer's ls format) as whole seconds since the epoch. */
export function lastModifiedSeconds(text: string | null | undefined): number | null {
  if (!text) return null;
  const iso = text.includes('T') ? text : text.replace(' ', 'T');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}
