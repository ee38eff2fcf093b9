import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

export type SyncLevel = 0 | 1 | 2 | 3 | null;

/** A failure copying one path, in Transfer's terms: an error code and which side it happened on. */
export class ItemError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly side: 'source' | 'destination',
    details: string,
  ) {
    super(details);
  }

  /** What skip_source_errors skips: a source path that is gone or unreadable. */
  get skippable(): boolean {
    return this.side === 'source' && (this.code === 'FILE_NOT_FOUND' || this.code === 'PERMISSION_DENIED');
  }
}

const BY_ERRNO: Record<string, [string, string]> = {
  ENOENT: ['FILE_NOT_FOUND', 'file not found'],
  EACCES: ['PERMISSION_DENIED', 'permission denied'],
  EPERM: ['PERMISSION_DENIED', 'permission denied'],
  ENOSPC: ['QUOTA_EXCEEDED', 'quota exceeded'],
  EDQUOT: ['QUOTA_EXCEEDED', 'quota exceeded'],
  EISDIR: ['IS_A_DIRECTORY', 'is a directory'],
  ENOTDIR: ['NOT_A_DIRECTORY', 'not a directory'],
  EEXIST: ['FILE_EXISTS', 'a file is in the way'],
};

export function itemError(err: unknown, side: 'source' | 'destination', collectionPath: string): ItemError {
  if (err instanceof ItemError) return err;
  const errno = (err as NodeJS.ErrnoException)?.code ?? '';
  const [code, description] = BY_ERRNO[errno] ?? ['ENDPOINT_ERROR', 'endpoint error'];
  return new ItemError(code, description, side, `${side} ${collectionPath}: ${(err as Error)?.message ?? String(err)}`);
}

/**
 * Globus's sync levels, read literally from task_submit (sync_level): 0 copies
 * when the destination is missing; 1 when the sizes differ; 2 when the
 * destination is missing or older than the source (mtime, whole seconds), and
 * nothing is said about size, so this server does not look at it (the
 * stricter reading: a truncated destination dated "now" is left alone); 3 when
 * the checksums differ. No sync level copies every file.
 */
export async function needsCopy(src: string, srcStat: Stats, dst: string, level: SyncLevel, precision: 'second' | 'exact'): Promise<boolean> {
  if (level === null) return true;
  let d: Stats;
  try {
    d = await fs.lstat(dst);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  if (!d.isFile()) return true; // let the copy meet (and report) whatever is in the way
  if (level === 0) return false;
  if (level === 1) return d.size !== srcStat.size;
  if (level === 2) return precision === 'second' ? Math.floor(srcStat.mtimeMs / 1000) > Math.floor(d.mtimeMs / 1000) : srcStat.mtimeMs > d.mtimeMs;
  return d.size !== srcStat.size || (await md5(src)) !== (await md5(dst));
}

export interface CopyResult {
  bytes: number;
  checksummed: number;
  /** The MD5 of the copy when it was verified, else null. */
  checksum: string | null;
}

/**
 * Copy into a temporary sibling, then rename over the destination, so the
 * destination never holds half a file. With verifyChecksum the copy is
 * compared with the source afterwards; a difference (the source changed
 * underneath) is a fault the task retries.
 */
export async function copyAtomically(
  src: string,
  dst: string,
  opts: { preserveTimestamp: boolean; verifyChecksum: boolean; precision: 'second' | 'exact'; signal: AbortSignal; srcPath: string; dstPath: string },
): Promise<CopyResult> {
  const dir = path.dirname(dst);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    throw itemError(err, 'destination', path.posix.dirname(opts.dstPath));
  }
  // The name's first 200 bytes at most: a 255-byte name plus the suffix would pass NAME_MAX (ENAMETOOLONG).
  const stem = Buffer.from(path.basename(dst)).subarray(0, 200).toString();
  const tmp = path.join(dir, `.${stem}.gsync-part-${randomBytes(6).toString('hex')}`);
  try {
    try {
      await fs.copyFile(src, tmp);
    } catch (err) {
      const sourceGone = await fs.access(src, fs.constants.R_OK).then(() => false, () => true);
      throw itemError(err, sourceGone ? 'source' : 'destination', sourceGone ? opts.srcPath : opts.dstPath);
    }
    const copied = await fs.stat(tmp);
    let checksummed = 0;
    let checksum: string | null = null;
    if (opts.verifyChecksum) {
      const [a, b] = await Promise.all([md5(src), md5(tmp)]);
      checksummed = copied.size;
      if (a !== b) throw new ItemError('CHECKSUM_MISMATCH', 'checksum verification failed', 'source', `source ${opts.srcPath} changed while it was copied`);
      checksum = a;
    }
    if (opts.preserveTimestamp) {
      const s = await fs.stat(src);
      const mtime = opts.precision === 'second' ? Math.floor(s.mtimeMs / 1000) : s.mtimeMs / 1000;
      await fs.utimes(tmp, s.atimeMs / 1000, mtime);
    }
    if (opts.signal.aborted) throw opts.signal.reason;
    try {
      await fs.rename(tmp, dst);
    } catch (err) {
      throw itemError(err, 'destination', opts.dstPath);
    }
    return { bytes: copied.size, checksummed, checksum };
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export function md5(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('md5');
    createReadStream(file)
      .on('error', reject)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')));
  });
}
