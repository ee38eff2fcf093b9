import type { Config } from '../config/schema.js';
import { configError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { hasHistory, hasSubmissions, readBinding, recordEnds, type BindingRecord } from '../state/binding.js';
import type { State } from '../state/open.js';
import { changedEnds, describeChanges, describeEnds, destinationChanged, endsOf, sameSource, sourceEndsOf, type EndChange } from './ends.js';

export interface BindingCheck {
  /** The source mapping was never proven for the current source ends: prove it before the first transfer. */
  needsProbe: boolean;
}

/**
 * Before a run (or plan) uses the trie: the database must describe the
 * config's ends. A new database takes them silently; one from before the
 * binding (it has history but no ends) adopts them and says so, once, since
 * the row it writes is there next time. Different ends refuse with exit 2.
 * `write` false (plan) never records anything.
 */
export function checkBinding(state: State, config: Config, opts: { write: boolean; nowNs: bigint; logger: Logger }): BindingCheck {
  const current = endsOf(config);
  const recorded = readBinding(state);
  if (recorded === null) {
    if (opts.write) {
      const adopt = hasHistory(state);
      recordEnds(state, current, adopt ? 'adopted' : 'new', opts.nowNs);
      if (adopt) {
        opts.logger.warn(
          { state: state.path, ends: current },
          `state database ${state.path} did not record which ends it was built for (made before gsync bound it to them); it now takes the config's: ${describeEnds(current)}`,
        );
      }
    }
    return { needsProbe: true };
  }
  const changes = changedEnds(recorded.ends, current);
  if (changes.length > 0 && untried(state, recorded, changes)) {
    // The usual fix after a refused probe: nothing was ever sent under the old source ends, so there is nothing to rebind.
    if (opts.write) recordEnds(state, current, recorded.how, opts.nowNs);
    opts.logger.info({ changes }, `source changed before anything was sent (${describeChanges(changes)}); the new mapping is proven before the first transfer`);
    return { needsProbe: true };
  }
  if (changes.length > 0) throw refusal(state, config, changes);
  return { needsProbe: !provenFor(recorded, config) };
}

/** Only source ends changed, they were never proven, and no task was ever submitted under them. */
function untried(state: State, b: BindingRecord, changes: readonly EndChange[]): boolean {
  return !destinationChanged(changes) && b.proven === null && !hasSubmissions(state);
}

function provenFor(b: BindingRecord, config: Config): boolean {
  return b.proven !== null && sameSource(b.proven, sourceEndsOf(endsOf(config)));
}

/** One line: what changed, and the two ways on. */
export function refusal(state: State, config: Config, changes: readonly EndChange[]): Error {
  const what = destinationChanged(changes)
    ? 'a new destination has received nothing yet, so gsync rebind makes everything owed again there'
    : 'gsync rebind keeps what was shipped and proves the new source mapping before the next transfer';
  return configError(
    `state database ${state.path} was built for other ends than ${config.file} names (${describeChanges(changes)})`,
    `run gsync rebind --config ${config.file} to accept the new ends (${what}), or point state.path at a new file`,
  );
}
