import { progressFor, runProgress } from '../report/progress-line.js';
import { runJob } from '../sync/run-job.js';
import { watchLoop } from '../watch/watch-loop.js';
import { loadJob, refuseWithGlobusListing, type CommandContext } from './context.js';
import { globusWiring } from './globus-session.js';

/**
 * Runs until SIGTERM or SIGINT. The first one stops the watcher and lets a
 * cycle in progress finish (a task stays recorded and the next run settles
 * it); the handlers are `once`, so a second Ctrl-C kills at once, which is
 * safe too: every state change is committed before the next step.
 */
export async function watchCommand(_opts: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  refuseWithGlobusListing(config, 'gsync watch', 'run gsync run from a timer or cron: a remote collection has no change events to watch');
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    logger.info({ signal: sig }, `${sig}: stopping after the cycle in progress`);
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const wiring = globusWiring(config, ctx.env, logger);
  try {
    const { exitCode } = await watchLoop({
      config,
      logger,
      signal: stop.signal,
      runCycle: async (signal) => {
        const line = progressFor(process.stderr, ctx.global.quiet);
        try {
          return await runJob({ config, logger, ...wiring, wait: false, signal, ...runProgress(line) });
        } finally {
          line?.stop();
        }
      },
    });
    return exitCode;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
