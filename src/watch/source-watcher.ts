import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import type { Logger } from '../log/logger.js';

export interface SourceWatcher {
  close(): Promise<void>;
}

/**
 * Calls onChange for any change below `root` that the scan would not exclude.
 * A hint only: events can be lost (network file systems, an exhausted inotify
 * limit), which the watch loop's periodic full rescan makes up for.
 */
export interface WatchSourceOptions {
  root: string;
  exclude: readonly string[];
  /** Files gsync itself writes (state, lock, metrics, log): if they live in the source, their writes must not start cycles. */
  ownPrefixes?: readonly string[];
  logger: Logger;
  change(): void;
  ready(): void;
}

export function watchSource(opts: WatchSourceOptions): SourceWatcher {
  const { root, logger } = opts;
  // The same patterns, matched the same way as the scanner matches relative paths.
  const isExcluded = opts.exclude.length ? picomatch([...opts.exclude], { dot: true }) : () => false;
  const own = opts.ownPrefixes ?? [];
  const ignored = (abs: string) => {
    if (own.some((p) => abs.startsWith(p))) return true;
    const rel = path.relative(root, abs).split(path.sep).join('/');
    return rel !== '' && !rel.startsWith('../') && isExcluded(rel);
  };
  const w: FSWatcher = watch(root, {
    ignoreInitial: true,
    // Polling stats every file on an interval; the rescan already covers what inotify misses.
    usePolling: false,
    // The scan never follows symlinks, so their targets' changes do not matter.
    followSymlinks: false,
    ignorePermissionErrors: true,
    ignored,
    persistent: true,
  });
  let warnedLimit = false;
  w.on('all', () => opts.change());
  w.on('ready', () => opts.ready());
  w.on('error', (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EMFILE') {
      if (warnedLimit) return;
      warnedLimit = true;
      logger.warn({ code }, 'out of inotify watches: parts of the tree are seen only by the periodic rescan (raise fs.inotify.max_user_watches)');
      return;
    }
    logger.warn({ code }, `file watcher: ${(err as Error).message}`);
  });
  return { close: () => w.close() };
}
