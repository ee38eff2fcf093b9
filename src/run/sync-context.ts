import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { State } from '../state/open.js';
import type { CrashPointName } from './crash-point.js';
import type { SyncAuth, SyncRemote } from './remote.js';

/** What every step of a sync run works with; built once per run by runJob. */
export interface SyncContext {
  config: Config;
  logger: Logger;
  state: State;
  remote: SyncRemote;
  auth: SyncAuth;
  /** ns since the epoch; injectable so tests can move time. */
  now(): bigint;
  /** The crash harness's hook (see crash-point.ts); a no-op in a deployed run. */
  crashPoint(name: CrashPointName): void;
  /** This run's row in the run table (src/state/runs.ts), linked to its first transfer once that is recorded; absent outside runJob. */
  runId?: number;
}

export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
