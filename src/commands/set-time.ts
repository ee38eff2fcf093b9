import fs from 'node:fs';
import path from 'node:path';
import { usageError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { acquireJobLock, lockPathFor } from '../lock/job-lock.js';
import { relativeToSource } from '../plan/paths.js';
import { defaultScanThreads, scan } from '../scan/scanner.js';
import { setLastTransfer, unshippedFiles } from '../state/last-transfer.js';
import { openState } from '../state/open.js';
import { openSubmissions } from '../ledger/transfer-rows.js';
import { TrieStore } from '../state/trie.js';
import { loadJob, refuseWithGlobusListing, type CommandContext } from './context.js';

export interface SetTimeOptions {
  path?: string;
  time?: string;
  now?: boolean;
  never?: boolean;
}

/**
 * Resets the last-transfer time of a path and everything under it, so that only
 * files modified after that time ship (or, with --never, everything ships again).
 * Never prompts: it is meant for scripts that seed a job from an existing copy.
 */
export async function setTimeCommand(opts: SetTimeOptions, ctx: CommandContext): Promise<number> {
  // Flags first: a bad command line should not need a readable config to be reported.
  const timeNs = parseTimeFlags(opts);
  const { config, logger } = loadJob(ctx);
  refuseWithGlobusListing(config, 'gsync set-time', 'a pulled tree starts from what the source collection lists; no set-time is needed');
  const relPath = relativeToSource(config.source.path, opts.path);
  const shown = relPath === '' ? config.source.path : path.join(config.source.path, relPath);
  // A vanished path may still have a (gone) node; resetting it would report paths that are not there.
  if (relPath !== '' && !fs.existsSync(shown)) throw usageError(`--path ${opts.path}: ${shown} does not exist`);

  // The lock keeps a run from scanning or committing between our scan and our reset.
  const lock = acquireJobLock(lockPathFor(config.state.path));
  try {
    const state = openState(config.state.path);
    try {
      // A write-mode scan gives every path a node, so untracked paths get the time too.
      scan({
        root: config.source.path,
        trie: new TrieStore(state),
        write: true,
        exclude: config.scan.exclude,
        // Deferral only matters for what ships; here every present file needs a node.
        minAgeSeconds: 0,
        threads: config.scan.threads ?? defaultScanThreads(),
        onWarning: (w) => logger.info({ path: w.path, reason: w.reason }, `not tracked: ${w.message}`),
      });
      // Counted before the reset, which forgets what was shipped.
      const unshipped = timeNs === null ? undefined : unshippedFiles(state, relPath);
      const changed = setLastTransfer(state, relPath, timeNs);
      if (changed === null) {
        throw usageError(`--path ${opts.path}: ${shown} is not in the source directory, or is excluded, a symlink or unreadable`);
      }
      const open = openSubmissions(state);
      if (open.length > 0) {
        // commitSubmission records its paths as shipped when the task succeeds, overriding this reset for them.
        logger.warn(
          { submissions: open.map((s) => s.taskId ?? s.submissionId) },
          'a transfer is still pending: paths it covers will count as shipped when it succeeds, whatever set-time said',
        );
      }
      // The source directory's own node is bookkeeping, not a path the operator sees.
      const paths = relPath === '' ? changed - 1 : changed;
      const when = timeNs === null ? 'never shipped' : `last shipped at ${new Date(Number(timeNs / 1_000_000n)).toISOString()}`;
      ctx.out.write(`set-time: ${paths} path${paths === 1 ? '' : 's'} under ${shown} now ${when}\n`);
      if (unshipped && unshipped.never + unshipped.changed > 0) {
        const { never, changed: edited } = unshipped;
        const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
        const parts = [never > 0 ? `${files(never)} never shipped` : '', edited > 0 ? `${files(edited)} changed since last shipped` : ''].filter(Boolean);
        ctx.out.write(
          `set-time: of them, ${parts.join(' and ')}: their present version never reached the destination, and they ship only if modified after that time (gsync set-time --never ships everything again)\n`,
        );
      }
      logger.info({ path: shown, paths, neverShipped: unshipped?.never, changedSinceShipped: unshipped?.changed, timeNs: timeNs?.toString() ?? null }, 'last-transfer time set');
    } finally {
      state.close();
    }
  } finally {
    lock.release();
  }
  return EXIT.ok;
}

/** ns since the epoch, or null for --never; exactly one of the three flags. */
export function parseTimeFlags(opts: SetTimeOptions, nowMs: number = Date.now()): bigint | null {
  const given = [opts.time !== undefined, opts.now === true, opts.never === true].filter(Boolean).length;
  if (given !== 1) throw usageError('give exactly one of --time <iso8601>, --now or --never');
  if (opts.never) return null;
  if (opts.now) return BigInt(nowMs) * 1_000_000n;
  const text = opts.time!.trim();
  // Date.parse alone accepts "March 3" and "1"; only ISO 8601 dates and date-times are meant here.
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/i;
  const ms = iso.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw usageError(`--time ${opts.time}: not an ISO 8601 time such as 2025-01-31T12:00:00Z`);
  if (ms > nowMs) throw usageError(`--time ${opts.time}: is in the future; files modified later could never ship`);
  return BigInt(ms) * 1_000_000n;
}

