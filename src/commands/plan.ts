import { changeListFor, type ChangeListFlags } from '../changes/change-list.js';
import { atOrUnder, collectRemovals, planDeletes } from '../deletes/plan-deletes.js';
import { renderDeletePlan } from '../deletes/render-deletes.js';
import { EXIT } from '../errors/exit-codes.js';
import type { TransferItem } from '../plan/coalescer.js';
import { logSkipped, planScan } from '../plan/plan-scan.js';
import { heldPath, itemized } from '../plan/itemize.js';
import { repairJudge } from '../state/repair.js';
import { jsonLinesPrinter, textPrinter } from '../report/plan-printers.js';
import { defaultScanThreads } from '../scan/scanner.js';
import { explainStateError, openExistingState } from '../state/open.js';
import { TrieStore } from '../state/trie.js';
import { checkBinding } from '../binding/check.js';
import { loadJob, refuseWithGlobusListing, type CommandContext } from './context.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { State } from '../state/open.js';
import type { ScanSource } from '../sync/pull-source.js';

export interface PlanCommandOptions extends ChangeListFlags {
  json?: boolean;
  /** -v / --itemize: each path with why it ships or waits (src/plan/itemize.ts). */
  itemize?: boolean;
}

/** Read-only: a missing state DB means everything is new, and it is not created. */
export async function planCommand(opts: PlanCommandOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  if (opts.changes !== undefined) refuseWithGlobusListing(config, '--changes', 'leave --changes out: the plan lists the source through Globus');
  const only = await changeListFor(opts, config.source.path, ctx.stdin, logger);
  const state = openExistingState(config.state.path);
  try {
    // A plan against other ends than the database's would show nothing owed where everything is (issue 26).
    if (state !== null) checkBinding(state, config, { write: false, nowNs: 0n, logger });
    const printer = opts.json ? jsonLinesPrinter(ctx.out) : textPrinter(ctx.out);
    // With deletes on, items wait until the delete plan says which ones a delete still covers.
    const removals = config.deletes.enabled && state !== null ? collectRemovals() : null;
    const buffered: TransferItem[] = [];
    const mapping = { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path };
    // -v: as the run would split them (src/sync/batches.ts), released paths ship as repair unless everything goes with checksum.
    const repair = opts.itemize && state !== null && config.transfer.syncLevel !== 'checksum' ? repairJudge(state) : null;
    const show = opts.itemize ? (item: TransferItem) => printer.itemized(itemized(item, repair?.(item) === true)) : printer.item;
    // Pull mode (issue 29): the source listed through Globus, read-only, as a run would see it.
    const source = await listedSource(config, ctx.env, logger, state);
    let totals;
    try {
      totals = planScan({
        fs: source?.fs,
        settling: source?.settling,
        root: config.source.path,
        only,
        trie: state === null ? null : new TrieStore(state),
        exclude: config.scan.exclude,
        minAgeSeconds: config.scan.minAgeSeconds,
        threads: config.scan.threads ?? defaultScanThreads(),
        mapping,
        onItem: removals ? (item) => buffered.push(item) : show,
        onHeld: opts.itemize
          ? (relPath, hold) => {
              const it = heldPath(relPath, hold, mapping);
              if (it) printer.itemized(it);
            }
          : undefined,
        onWarning: logSkipped(logger),
        onRemoved: removals?.onRemoved,
        onUnreadable: removals?.onUnreadable,
      });
    } finally {
      source?.close();
    }
    for (const p of source?.problems ?? []) logger.warn(p);
    const deletes = removals && state ? planDeletes({ state, config, removals, totals }) : null;
    if (deletes) {
      const held = new Set(deletes.held);
      for (const item of buffered) if (!atOrUnder(item.relPath, held)) show(item);
    }
    printer.totals(totals);
    // After the totals, so that without deletes.enabled the output is exactly what it always was.
    if (deletes) ctx.out.write(renderDeletePlan(deletes, opts.json === true, opts.itemize === true));
  } catch (err) {
    throw explainStateError(err, config.state.path);
  } finally {
    state?.close();
  }
  return EXIT.ok;
}

/** source.listing "globus": the source's listing through Globus with the job's credentials; undefined for a local source. */
async function listedSource(config: Config, env: NodeJS.ProcessEnv, logger: Logger, state: State | null): Promise<ScanSource | undefined> {
  if (config.source.listing !== 'globus') return undefined;
  // Loaded only here: a plan of a local source (the cron tick's kind) never loads a Globus client (issue 34, start-up).
  const [{ createCredentials }, { transferClientFor }, { openSourceListing }] = await Promise.all([
    import('../auth/credentials.js'),
    import('./globus-session.js'),
    import('../sync/pull-source.js'),
  ]);
  const credentials = createCredentials(config, env, logger);
  credentials.requireUsable();
  const client = transferClientFor(credentials, env, logger);
  try {
    return await openSourceListing({ config, logger, state, nowNs: BigInt(Date.now()) * 1_000_000n, ls: (c, p, o) => client.ls(c, p, o) }, {});
  } finally {
    await client.close();
  }
}
