import type { Config } from '../config/schema.js';
import type { Credentials } from '../auth/credentials.js';
import type { TransferClient } from '../globus/transfer-client.js';
import type { Logger } from '../log/logger.js';
import type { State } from '../state/open.js';

/** What every step of a sync run works with; built once per run by runJob. */
export interface SyncContext {
  config: Config;
  logger: Logger;
  state: State;
  client: TransferClient;
  credentials: Credentials;
  /** ns since the epoch; injectable so tests can move time. */
  now(): bigint;
}

export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
