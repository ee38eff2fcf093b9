import { probeMapping, type StatPath } from '../checks/mapping-probe.js';
import type { Config } from '../config/schema.js';
import { configError } from '../errors/errors.js';
import { ConsentRequiredError } from '../globus/errors.js';
import type { Logger } from '../log/logger.js';
import { readBinding, recordProven } from '../state/binding.js';
import type { State } from '../state/open.js';
import { endsOf, sameSource, sourceEndsOf } from './ends.js';

export interface ProveMappingInput {
  state: State;
  config: Config;
  stat: StatPath;
  /** A ConsentRequired answer: resolves when the stat may be tried once more (the run's own rule), throws otherwise. */
  consent(err: ConsentRequiredError): Promise<void>;
  logger: Logger;
  nowNs: bigint;
}

/**
 * Before a run's transfer: the source mapping must have been proven for the
 * config's source ends (once per job, and again after they changed). A failed
 * probe refuses the transfer with exit 2: every file it carried would come
 * from the wrong folder. A read-only source with no file yet proves nothing
 * and ships nothing wrong either (there is no file to ship); it is tried again
 * next time.
 */
export async function proveMappingBeforeTransfer(p: ProveMappingInput): Promise<void> {
  const source = sourceEndsOf(endsOf(p.config));
  const b = readBinding(p.state);
  if (b?.proven && sameSource(b.proven, source)) return;
  const stat: StatPath = async (collection, at) => {
    try {
      return await p.stat(collection, at);
    } catch (err) {
      if (!(err instanceof ConsentRequiredError)) throw err;
      await p.consent(err);
      return p.stat(collection, at);
    }
  };
  const r = await probeMapping({ collection: p.config.source.collection, sourcePath: p.config.source.path, collectionPath: p.config.source.collectionPath }, stat);
  if (r.status === 'failed') throw configError(`source mapping not proven, nothing was transferred: ${r.problem}`, r.hint);
  if (r.status === 'unproven') {
    p.logger.warn({ why: r.why }, `source mapping not checked: ${r.why}; gsync tries again before the next transfer`);
    return;
  }
  recordProven(p.state, source, p.nowNs, r.used);
  p.logger.info({ used: r.used }, `source mapping proven: ${r.detail}`);
}
