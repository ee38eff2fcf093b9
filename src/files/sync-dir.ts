import fs from 'node:fs';

/** The few fs calls syncDir makes, so a writer with an injected fs (tests) can pass its own. */
export type DirSyncFs = Pick<typeof fs, 'openSync' | 'fsyncSync' | 'closeSync'>;

/**
 * A rename is durable only once the directory entry is on disk too, so atomic writers
 * (temporary file, fsync, rename) flush the directory last. Best effort: some
 * filesystems refuse fsync on a directory, and the rename itself is still atomic.
 */
export function syncDir(dir: string, fsLike: DirSyncFs = fs): void {
  let fd: number | undefined;
  try {
    fd = fsLike.openSync(dir, 'r');
    fsLike.fsyncSync(fd);
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) fsLike.closeSync(fd);
  }
}
