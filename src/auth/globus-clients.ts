import { AuthClient } from '../globus/auth-client.js';
import type { TokenSource } from '../globus/token-source.js';
import { TransferClient } from '../globus/transfer-client.js';
import type { Logger } from '../log/logger.js';
import type { AuthApiFactory, CollectionLookup } from './auth-api.js';

/** The real clients; base URLs come from GLOBUS_SDK_SERVICE_URL_AUTH / _TRANSFER in `env`, as in the SDK. */
export function globusAuthFactory(env: NodeJS.ProcessEnv, logger?: Logger): AuthApiFactory {
  return ({ clientId, clientSecret }) => new AuthClient({ clientId, clientSecret, env, logger });
}

export function globusCollectionLookup(env: NodeJS.ProcessEnv, logger?: Logger): (tokens: TokenSource) => CollectionLookup {
  return (tokens) => new TransferClient({ tokens, env, logger });
}
