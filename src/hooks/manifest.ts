import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { TransferDocument } from '../globus/schemas.js';
import { mapPath } from '../plan/paths.js';
import { manifestRows, type HookRecord } from '../state/hooks.js';
import type { State } from '../state/open.js';
import { relPathOnSource } from '../plan/paths.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../files/modes.js';
import { syncDir } from '../files/sync-dir.js';

/** One line of a manifest: one file the task delivered. */
export interface ManifestLine {
  source_path: string;
  destination_path: string;
  /** With destination.localPath (issue 29): where the file is on this host. */
  local_path?: string;
  size: number;
  /** The mtime the scan saw: ISO-8601 UTC to the nanosecond, as stat gives it (2026-01-02T03:04:05.677999999Z). */
  mtime: string;
  task_id: string;
}

/**
 * `<job>-<UTC time the task settled, to the ms>-<task id>.jsonl`, e.g.
 * `beamline-7-20261202T040549.123Z-<uuid>.jsonl`: names sort in settling order,
 * and the job prefix keeps two jobs sharing a directory apart.
 */
export function manifestName(job: string, settledNs: bigint, taskId: string): string {
  const stamp = new Date(Number(settledNs / 1_000_000n)).toISOString().replace(/[-:]/g, '');
  return `${job}-${stamp}-${taskId}.jsonl`;
}

const namePattern = (job: string) => new RegExp(`^${job.replace(/[.]/g, '\\.')}-\\d{8}T\\d{6}\\.\\d{3}Z-[0-9a-f-]{36}\\.jsonl$`, 'i');

/**
 * Writes the manifest of a SUCCEEDED hook row from the state: a temporary file
 * in the same directory, flushed to disk, then renamed, so a reader (the hook,
 * or anyone watching the directory) never sees half a manifest. Paths are the
 * task's own transfer items: a file item as it was sent, a file under a
 * recursive item as that item's paths plus the rest of its path.
 */
export function writeManifest(state: State, config: Config, hook: HookRecord, document: string): string {
  if (hook.manifest === null) throw new Error(`internal: hook ${hook.id} has no manifest`);
  const dir = config.hooks.manifestDir;
  makePrivateDir(dir);
  const file = path.join(dir, hook.manifest);
  const tmp = path.join(dir, `.${hook.manifest}.${process.pid}.tmp`);
  const paths = itemPaths(JSON.parse(document) as TransferDocument, config);
  const localPath = config.destination.localPath;
  const fd = fs.openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    for (const page of manifestRows(state, hook.id)) {
      let chunk = '';
      for (const row of page) {
        const line: ManifestLine = {
          ...paths(row.relPath),
          ...(localPath === undefined ? {} : { local_path: path.join(localPath, row.relPath) }),
          size: Number(row.size ?? 0n),
          mtime: row.mtimeNs === null ? '' : isoNs(row.mtimeNs),
          task_id: hook.taskId,
        };
        chunk += JSON.stringify(line) + '\n';
      }
      fs.writeSync(fd, chunk);
    }
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  syncDir(dir);
  return file;
}

/**
 * Source and destination of a file relative to the source directory, as the
 * task's document put it. Falls back to today's mapping only for a file no
 * item covers, which the state never records.
 */
function itemPaths(doc: TransferDocument, config: Config): (rel: string) => { source_path: string; destination_path: string } {
  const items = new Map<string, { source_path: string; destination_path: string; recursive: boolean }>();
  for (const item of doc.DATA) {
    const rel = relPathOnSource(item.source_path, config.source.collectionPath);
    if (rel !== null) items.set(rel, item);
  }
  const mapping = { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path };
  return (rel) => {
    const exact = items.get(rel);
    if (exact && !exact.recursive) return { source_path: exact.source_path, destination_path: exact.destination_path };
    for (let dir = parentOf(rel); dir !== null; dir = parentOf(dir)) {
      const item = items.get(dir);
      if (item?.recursive) {
        const rest = dir === '' ? rel : rel.slice(dir.length + 1);
        return { source_path: withSlash(item.source_path) + rest, destination_path: withSlash(item.destination_path) + rest };
      }
    }
    return mapPath(rel, false, mapping);
  };
}

/** Nine fractional digits: exact, and read by JavaScript's Date, Python 3.11's fromisoformat and Go's RFC3339Nano alike. */
export function isoNs(ns: bigint): string {
  let s = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    s -= 1n;
  }
  return new Date(Number(s) * 1000).toISOString().replace(/\.000Z$/, `.${frac.toString().padStart(9, '0')}Z`);
}

const parentOf = (rel: string): string | null => (rel === '' ? null : rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
const withSlash = (p: string) => (p.endsWith('/') ? p : `${p}/`);

/**
 * Keeps the newest `keepManifests` of this job's manifests and deletes older
 * ones, except those an owed hook still needs. Files of other jobs, and any
 * name gsync did not make, are left alone. Returns the names deleted.
 */
export function pruneManifests(config: Config, owed: ReadonlySet<string>): string[] {
  const dir = config.hooks.manifestDir;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ours = names.filter((n) => namePattern(config.name).test(n)).sort();
  const old = ours.slice(0, Math.max(0, ours.length - config.hooks.keepManifests)).filter((n) => !owed.has(n));
  for (const n of old) fs.rmSync(path.join(dir, n), { force: true });
  return old;
}

