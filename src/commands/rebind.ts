import { changedEnds, describeChanges, describeEnds, destinationChanged, endsOf } from '../binding/ends.js';
import { EXIT } from '../errors/exit-codes.js';
import { acquireJobLock, lockPathFor } from '../lock/job-lock.js';
import { forgetDestination, hasHistory, readBinding, recordEnds } from '../state/binding.js';
import { explainStateError, openState } from '../state/open.js';
import { nowNs } from '../run/sync-context.js';
import { loadJob, type CommandContext } from './context.js';
import { crashHookFrom } from './globus-session.js';

/**
 * `gsync rebind`: the state database accepts the config's ends (issue 26). A
 * command, not a run flag, so that accepting new ends is a deliberate act done
 * once: a flag left in a crontab would accept any later edit too, silently.
 * A new destination (collection or path) has received nothing, so everything
 * is owed again there, and tasks still open for the old one are abandoned; a
 * changed source only needs its mapping proven, which the next run does
 * before it transfers. One transaction: a crash leaves the old ends or the new.
 */
export async function rebindCommand(ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  const lock = acquireJobLock(lockPathFor(config.state.path));
  try {
    const state = openState(config.state.path);
    try {
      const current = endsOf(config);
      const recorded = readBinding(state);
      const say = (line: string) => ctx.out.write(`rebind: ${line}\n`);
      if (recorded === null) {
        recordEnds(state, current, hasHistory(state) ? 'adopted' : 'new', nowNs());
        say(`state database ${state.path} now records its ends: ${describeEnds(current)}`);
        return EXIT.ok;
      }
      const changes = changedEnds(recorded.ends, current);
      if (changes.length === 0) {
        say(`state database ${state.path} is already bound to ${describeEnds(current)}; nothing changed`);
        return EXIT.ok;
      }
      if (destinationChanged(changes)) {
        const crash = crashHookFrom(ctx.env);
        const f = forgetDestination(state, current, nowNs(), () => crash('rebind-before-commit'));
        crash('rebind-after-commit');
        const abandoned = f.transfers + f.deletes > 0 ? `; ${f.transfers} transfer and ${f.deletes} delete task(s) still open for the old destination were abandoned` : '';
        say(`${describeChanges(changes)}: the new destination has none of the ${f.paths} paths shipped before, so the next run ships everything${abandoned}`);
        logger.info({ changes, ...f }, 'state rebound to a new destination');
      } else {
        recordEnds(state, current, 'rebound', nowNs());
        say(`${describeChanges(changes)}: what was shipped stands; the next run proves the new source mapping before it transfers`);
        logger.info({ changes }, 'state rebound to a new source');
      }
      return EXIT.ok;
    } catch (err) {
      throw explainStateError(err, config.state.path);
    } finally {
      state.close();
    }
  } finally {
    lock.release();
  }
}
