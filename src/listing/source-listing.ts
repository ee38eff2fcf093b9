import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import type { ScanFs } from '../scan/scan-fs.js';
import { sqliteDatabase, type SqliteDatabase } from '../state/sqlite-driver.js';
import type { ListedEntry, LsClient } from './dir-lister.js';
import { walkTree } from './tree-walker.js';

/**
 * Pull mode (issue 29): the source tree as Globus lists it, for the scanner.
 * The walk lists every directory under the source path through `operation/ls`
 * (src/listing/tree-walker.ts: rate-limited, paged, a few in flight) and keeps
 * what it saw in a private temporary SQLite database (spilled to disk, removed
 * on close), so memory stays flat in the size of the tree. `fs` then answers
 * the scanner's readdir/lstat from that listing and never touches this host's
 * filesystem: the scan, comparison, recording, plan and deletes are the same
 * code as for a local source.
 *
 * A listed entry's fingerprint is its type, size and `last_modified` (whole
 * seconds, so mtimeNs is a multiple of 1e9); ctime and inode are 0, as a listing
 * has none. A directory Globus could not list is *unlisted*: readdir throws with
 * the Globus code, which the scanner treats as an unreadable directory (nothing
 * under it judged, recorded gone or deleted, the run exits 1).
 */
export interface SourceListing {
  fs: ScanFs;
  /** Directories Globus could not list, relative to the source path ('' the source path itself), with why. */
  unlisted: Array<{ relPath: string; code: string; message: string }>;
  /** The source path itself does not exist on the collection. */
  rootMissing: boolean;
  /** ls requests made, pages included. */
  requests: number;
  dirs: number;
  close(): void;
}

export interface ListSourceOptions {
  client: LsClient;
  collection: string;
  /** The source path on the collection (absolute). */
  root: string;
  requestsPerSecond: number;
  concurrency: number;
  pageLimit?: number;
  /** Relative paths not to descend into (scan.exclude): an excluded directory is not listed at all. */
  isExcluded(relPath: string): boolean;
}

/** A code the scanner reports as a skipped entry (src/scan/compare.ts errorCode): a directory that is gone, or one Globus could not list. */
class ListingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function listSource(o: ListSourceOptions): Promise<SourceListing> {
  const root = trimSlash(o.root);
  const Database = sqliteDatabase();
  // '' is SQLite's private temporary database: on disk once it outgrows its cache, deleted on close.
  const db: SqliteDatabase = new Database('');
  db.exec(`
    CREATE TABLE dir (rel TEXT PRIMARY KEY, status TEXT NOT NULL, code TEXT, message TEXT) WITHOUT ROWID;
    CREATE TABLE entry (rel TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL, mtime_s INTEGER, PRIMARY KEY (rel, name)) WITHOUT ROWID;
  `);
  const putDir = db.prepare(`INSERT OR REPLACE INTO dir (rel, status, code, message) VALUES (?, ?, ?, ?)`);
  const putEntry = db.prepare(`INSERT OR REPLACE INTO entry (rel, name, type, size, mtime_s) VALUES (?, ?, ?, ?, ?)`);
  const putListing = db.transaction((rel: string, entries: ListedEntry[]) => {
    putDir.run(rel, 'listed', null, null);
    for (const e of entries) putEntry.run(rel, e.name, e.type, e.size, e.mtimeSeconds);
  });
  const result: SourceListing = { fs: listedFs(db, root), unlisted: [], rootMissing: false, requests: 0, dirs: 0, close: () => db.close() };
  try {
    const walk = walkTree<string>(
      { path: withSlash(root), tag: '' },
      {
        client: o.client,
        endpointId: o.collection,
        requestsPerSecond: o.requestsPerSecond,
        concurrency: o.concurrency,
        pageLimit: o.pageLimit,
        children: (dir, listing) =>
          listing.entries
            .filter((e) => e.type === 'dir')
            .map((e) => e.name)
            .sort()
            .map((name) => ({ path: `${dir.path}${name}/`, tag: dir.tag === '' ? name : `${dir.tag}/${name}` }))
            .filter((d) => !o.isExcluded(d.tag)),
      },
    );
    for await (const d of walk) {
      result.requests += d.requests;
      const rel = d.dir.tag;
      if (d.status === 'listed') {
        result.dirs++;
        putListing(rel, d.entries);
      } else if (d.status === 'missing') {
        if (rel === '') result.rootMissing = true;
        putDir.run(rel, 'missing', 'ENOENT', 'gone');
      } else {
        result.unlisted.push({ relPath: rel, code: d.code, message: d.message });
        putDir.run(rel, 'unlisted', d.code, d.message);
      }
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return result;
}

/** The scanner's view of the listing: paths are absolute under `root`, as the scanner builds them. */
function listedFs(db: SqliteDatabase, root: string): ScanFs {
  const dirRow = db.prepare(`SELECT status, code, message FROM dir WHERE rel = ?`);
  const names = db.prepare(`SELECT name FROM entry WHERE rel = ? ORDER BY name`).pluck();
  const one = db.prepare(`SELECT name, type, size, mtime_s FROM entry WHERE rel = ? AND name = ?`);
  const relOf = (abs: string): string => {
    const p = trimSlash(abs);
    if (p === root) return '';
    const prefix = root === '/' ? '/' : `${root}/`;
    if (!p.startsWith(prefix)) throw new ListingError('ENOENT', `${abs}: outside the listed source path ${root}`);
    return p.slice(prefix.length);
  };
  const readdir = (abs: string): string[] => {
    const rel = relOf(abs);
    const d = dirRow.get(rel) as { status: string; code: string | null; message: string | null } | undefined;
    // Not listed at all (an excluded directory is never read): as good as gone for the scanner.
    if (d === undefined) throw new ListingError('ENOENT', `${abs}: not listed`);
    if (d.status !== 'listed') throw new ListingError(d.code ?? 'ENOENT', `${abs}: ${d.message ?? d.status}`);
    return names.all(rel) as string[];
  };
  const lstat = (abs: string): BigIntStats => {
    const rel = relOf(abs);
    if (rel === '') return dirStats();
    const parent = path.posix.dirname(rel);
    const e = one.get(parent === '.' ? '' : parent, path.posix.basename(rel)) as { type: string; size: number; mtime_s: number | null } | undefined;
    if (e === undefined) throw new ListingError('ENOENT', `${abs}: not in the listing`);
    return listedStats(e.type, e.size, e.mtime_s);
  };
  return {
    readdir,
    // Globus names are UTF-8 JSON strings: there are no raw bytes to read again.
    readdirRaw: (abs) => readdir(abs).map((n) => Buffer.from(n, 'utf8')),
    lstat,
    stat: (abs) => {
      readdir(abs); // the source path itself: listed, or the reason it was not
      return dirStats();
    },
  };
}

function dirStats(): BigIntStats {
  return listedStats('dir', 0, null);
}

/** Just what the scanner reads of a stat: the kind, and the fingerprint (type, size, last_modified; no ctime or inode). */
function listedStats(type: string, size: number, mtimeSeconds: number | null): BigIntStats {
  const mtimeNs = BigInt(mtimeSeconds ?? 0) * 1_000_000_000n;
  return {
    isFile: () => type === 'file',
    isDirectory: () => type === 'dir',
    // Globus reports a broken link as "invalid_symlink" (a good one is listed as what it points at).
    isSymbolicLink: () => type.includes('symlink'),
    size: BigInt(size),
    mtimeNs,
    ctimeNs: 0n,
    ino: 0n,
  } as unknown as BigIntStats;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

function withSlash(p: string): string {
  return p.endsWith('/') ? p : `${p}/`;
}
