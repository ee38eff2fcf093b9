import { EXIT } from '../errors/exit-codes.js';
import { logSkipped, planScan } from '../plan/plan.js';
import { jsonLinesPrinter, textPrinter } from '../plan/render.js';
import { defaultScanThreads } from '../scan/scanner.js';
import { explainStateError, openExistingState } from '../state/open.js';
import { TrieStore } from '../state/trie.js';
import { loadJob, type CommandContext } from './context.js';

export interface PlanCommandOptions {
  json?: boolean;
}

/** Read-only: a missing state DB means everything is new, and it is not created. */
export async function planCommand(opts: PlanCommandOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  const state = openExistingState(config.state.path);
  try {
    const printer = opts.json ? jsonLinesPrinter(ctx.out) : textPrinter(ctx.out);
    const totals = planScan({
      root: config.source.path,
      trie: state === null ? null : new TrieStore(state),
      exclude: config.scan.exclude,
      minAgeSeconds: config.scan.minAgeSeconds,
      threads: config.scan.threads ?? defaultScanThreads(),
      mapping: { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path },
      onItem: printer.item,
      onWarning: logSkipped(logger),
    });
    printer.totals(totals);
  } catch (err) {
    throw explainStateError(err, config.state.path);
  } finally {
    state?.close();
  }
  return EXIT.ok;
}
