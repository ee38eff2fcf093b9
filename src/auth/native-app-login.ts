import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { globusAuthFactory, globusCollectionLookup } from './globus-clients.js';
import { login, type LoginIO, type LoginResult } from './login-flow.js';
import { TokenStore } from './token-store.js';

/** Authorization codes are short-lived; waiting longer than Globus keeps one is pointless. */
export const CODE_WAIT_MS = 10 * 60_000;

/**
 * The login `gsync login` runs, against the real (or GLOBUS_SDK_SERVICE_URL_*)
 * Auth and Transfer, storing into auth.tokenFile; test-config and init run it
 * inline. `scopes` are asked for as well (what a ConsentRequired answer named).
 */
export function nativeAppLogin(config: Config, io: LoginIO, env: NodeJS.ProcessEnv, logger: Logger, scopes: string[] = []): Promise<LoginResult> {
  return login(
    config,
    io,
    {
      auth: globusAuthFactory(env, logger)({ clientId: config.auth.clientId }),
      store: new TokenStore(config.auth.tokenFile),
      lookup: globusCollectionLookup(env, logger),
      logger,
    },
    { scopes },
  );
}
