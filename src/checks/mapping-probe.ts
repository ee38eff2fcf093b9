import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GlobusApiError } from '../globus/errors.js';
import type { FileEntry } from '../globus/schemas.js';

/** What the probe needs from Globus: operation/stat (TransferClient.stat, SyncRemote.stat). A missing path is a not-found GlobusApiError. */
export type StatPath = (collection: string, collectionPath: string) => Promise<FileEntry>;

export interface ProbeTarget {
  collection: string;
  /** source.path: the folder on this host. */
  sourcePath: string;
  /** source.collectionPath: where that folder should appear on the collection. */
  collectionPath: string;
}

/**
 * The outcome, as data. `proven`: Globus sees the same file at collectionPath
 * that gsync sees in source.path. `failed`: it does not; `inferred` is the
 * collection path under which it was found, when one was. `unproven`: a
 * read-only source with no file to compare yet, so nothing could be shown.
 */
export type ProbeResult =
  | { status: 'proven'; used: string; detail: string }
  | { status: 'failed'; problem: string; hint: string; inferred: string | null }
  | { status: 'unproven'; why: string };

/** The probe's name: hidden, recognisably gsync's, unique. */
export const PROBE_PREFIX = '.gsync-probe-';

/** Write errors that mean "this job may not write here" (a read-only instrument mount), not "something broke". */
const READ_ONLY = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Proves the source mapping (issue 26): a probe file with a unique name and a
 * size no other file directly in source.path has is written there, and looked
 * for through Globus at collectionPath. Where it is missing, the other paths
 * the folder could have on the collection are tried, to name the mapping that
 * would work. The probe is removed whatever happens. Without write access, an
 * existing file's name, size and mtime stand in for it, and the result says so.
 */
export async function probeMapping(t: ProbeTarget, stat: StatPath): Promise<ProbeResult> {
  const probe = writeProbe(t.sourcePath);
  if (probe === null) return probeWithExistingFile(t, stat);
  try {
    return await compare(t, stat, { rel: probe.name, size: probe.size, mtimeMs: null }, `a probe file (${probe.name}, ${probe.size} B)`);
  } finally {
    fs.rmSync(path.join(t.sourcePath, probe.name), { force: true });
  }
}

interface Sample {
  /** Path relative to source.path. */
  rel: string;
  size: number;
  /** Compared in whole seconds (Globus's last_modified); null for the probe, whose size alone is unique. */
  mtimeMs: number | null;
}

async function compare(t: ProbeTarget, stat: StatPath, s: Sample, used: string): Promise<ProbeResult> {
  const want = path.posix.join(t.collectionPath, s.rel);
  const seen = await statOrNull(stat, t.collection, want);
  const local = path.join(t.sourcePath, s.rel);
  if (seen !== null && matches(seen, s)) {
    return { status: 'proven', used, detail: `Globus sees ${used} at ${want}` };
  }
  const inferred = await findElsewhere(t, stat, s);
  const differs = seen === null ? `Globus finds nothing at ${want}` : `Globus finds a different ${seen.type} there (${describe(seen)}; locally ${describeLocal(s)})`;
  const problem = `${local} (source.path ${t.sourcePath}) should be ${want} on collection ${t.collection} (source.collectionPath ${t.collectionPath}), but ${differs}; checked with ${used}`;
  const hint =
    inferred !== null
      ? `it is at ${path.posix.join(inferred, s.rel)}: set source.collectionPath to "${inferred}"`
      : `set source.collectionPath to the path ${t.sourcePath} has on collection ${t.collection} (it was not found at ${candidates(t).join(', ')})`;
  return { status: 'failed', problem, hint, inferred };
}

function matches(e: FileEntry, s: Sample): boolean {
  if (e.type !== 'file' || e.size !== s.size) return false;
  if (s.mtimeMs === null || !e.last_modified) return true;
  const remote = Date.parse(e.last_modified.replace(' ', 'T'));
  return Number.isNaN(remote) || Math.floor(remote / 1000) === Math.floor(s.mtimeMs / 1000);
}

/**
 * The collection paths the folder plausibly has: source.path with leading
 * components dropped (a collection rooted below /, as a GCS mapped collection
 * or a GCP share often is), each also under /~/ (a home-rooted path).
 */
function candidates(t: ProbeTarget): string[] {
  const parts = t.sourcePath.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i <= parts.length; i++) {
    const rest = parts.slice(i).join('/');
    for (const c of ['/' + rest, '/~/' + rest]) {
      const n = path.posix.normalize(c).replace(/(.)\/$/, '$1');
      if (n !== path.posix.normalize(t.collectionPath).replace(/(.)\/$/, '$1') && !out.includes(n)) out.push(n);
    }
  }
  return out;
}

async function findElsewhere(t: ProbeTarget, stat: StatPath, s: Sample): Promise<string | null> {
  for (const c of candidates(t)) {
    const e = await statOrNull(stat, t.collection, path.posix.join(c, s.rel)).catch(() => null);
    if (e !== null && matches(e, s)) return c;
  }
  return null;
}

async function statOrNull(stat: StatPath, collection: string, p: string): Promise<FileEntry | null> {
  try {
    return await stat(collection, p);
  } catch (err) {
    // A path under a file, or outside what the collection lets us see, is as absent as a missing one.
    // (Not a ConsentRequired or a session policy: those are the login's business, exit 77.)
    if (err instanceof GlobusApiError && (err.isNotFound || err.code === 'EndpointPermissionDenied' || err.code.startsWith('ExternalError'))) return null;
    throw err;
  }
}

/** null when the job may not write in source.path. */
function writeProbe(dir: string): { name: string; size: number } | null {
  const name = PROBE_PREFIX + randomBytes(8).toString('hex');
  const size = uniqueSize(dir);
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, name), 'wx', 0o644);
  } catch (err) {
    if (READ_ONLY.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
  try {
    fs.writeSync(fd, randomBytes(size));
  } finally {
    fs.closeSync(fd);
  }
  return { name, size };
}

/** A size no regular file directly in `dir` has, so that a stat's size tells the probe from anything else. */
function uniqueSize(dir: string): number {
  const taken = new Set<number>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    try {
      taken.add(fs.lstatSync(path.join(dir, e.name)).size);
    } catch {
      // vanished: its size no longer matters
    }
  }
  let size = 100 + randomBytes(2).readUInt16BE() % 900;
  while (taken.has(size)) size++;
  return size;
}

/** At most this many directory entries are looked at for a file to compare: a big tree must not make the check slow. */
const SEARCH_LIMIT = 10_000;

async function probeWithExistingFile(t: ProbeTarget, stat: StatPath): Promise<ProbeResult> {
  const s = firstFile(t.sourcePath);
  if (s === null) return { status: 'unproven', why: `${t.sourcePath} cannot be written (no probe file) and holds no file to compare yet` };
  const when = new Date(s.mtimeMs!).toISOString();
  return compare(t, stat, s, `the existing file ${s.rel} (${s.size} B, modified ${when}; source.path cannot be written, so no probe file)`);
}

/** The first regular file, breadth first (names sorted), so the same tree gives the same file. */
function firstFile(root: string): Sample | null {
  const queue = [''];
  let looked = 0;
  while (queue.length > 0 && looked < SEARCH_LIMIT) {
    const rel = queue.shift()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      looked++;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) queue.push(r);
      else if (e.isFile() && !e.name.startsWith(PROBE_PREFIX)) {
        const st = fs.lstatSync(path.join(root, r));
        return { rel: r, size: st.size, mtimeMs: st.mtimeMs };
      }
    }
  }
  return null;
}

function describe(e: FileEntry): string {
  return `${e.size} B${e.last_modified ? `, modified ${e.last_modified}` : ''}`;
}

function describeLocal(s: Sample): string {
  return `${s.size} B${s.mtimeMs === null ? '' : `, modified ${new Date(s.mtimeMs).toISOString()}`}`;
}
