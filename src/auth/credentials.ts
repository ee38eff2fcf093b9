import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import type { TokenSource } from '../globus/token-source.js';
import type { Logger } from '../log/logger.js';
import type { AuthApiFactory } from './auth-api.js';
import { rejectedClient, resolveClientCredentials } from './client-secret.js';
import { ClientTokenSource } from './client-token-source.js';
import { consentError, isConsentRequired, mergeScopes } from './consent.js';
import { globusAuthFactory } from './globus-clients.js';
import { TokenStore } from './token-store.js';
import { UserTokenSource } from './user-token-source.js';

export interface CredentialsDescription {
  kind: 'user' | 'client';
  clientId: string;
  /** User logins: where the tokens are kept. */
  tokenFile?: string;
  /** When the current access token expires, if one is held. */
  expiresAt?: Date;
  /** User logins: whether a refresh token is stored (a run can go on without a login). */
  refreshable?: boolean;
}

export interface Credentials {
  readonly kind: 'user' | 'client';
  /** Hand this to the Transfer client. */
  readonly tokens: TokenSource;
  /** What is held now, reading only local state: for `gsync status`. */
  describe(): CredentialsDescription;
  /**
   * Prove a token can be had without a person: a user login is refreshed
   * (the rotated token is saved), a service account is granted one. For
   * `gsync test-config`; throws a GsyncError of kind 'auth' when not.
   */
  verify(): Promise<CredentialsDescription>;
  /**
   * Local check only, no network: throws the 'auth' error a user login is sure
   * to meet (no token file, or nothing left to refresh with), so a run under
   * cron exits 77 before it scans. Service accounts always pass.
   */
  requireUsable(): void;
  /**
   * Call with an error from a Transfer call. Resolves when the caller should
   * retry the call once (a service account obtained the required scopes);
   * throws an 'auth' GsyncError naming the collection and scope otherwise,
   * and rethrows anything that is not ConsentRequired.
   */
  handleConsentRequired(err: unknown): Promise<void>;
  /** When the login stops working unless a person renews it: a user login with no refresh token; undefined otherwise. */
  loginExpiresAt(): Date | undefined;
}

export interface CredentialsDeps {
  /** Default: the real AuthClient, at GLOBUS_SDK_SERVICE_URL_AUTH when set. */
  authFactory?: AuthApiFactory;
  now?: () => number;
}

export function loginHintFor(config: Pick<Config, 'file'>): string {
  return config.file && config.file !== '<inline>' ? `run: gsync login --config ${config.file}` : 'run: gsync login';
}

/**
 * The one way commands get Globus credentials: a service account when
 * GLOBUS_CLIENT_ID/GLOBUS_CLIENT_SECRET (or auth.clientSecretFile) are set,
 * otherwise the tokens `gsync login` stored. Never prompts.
 */
export function createCredentials(config: Config, env: NodeJS.ProcessEnv, logger: Logger, deps: CredentialsDeps = {}): Credentials {
  const hint = loginHintFor(config);
  const authFactory = deps.authFactory ?? globusAuthFactory(env, logger);
  const client = resolveClientCredentials(config.auth, env, config.file);
  if (client) {
    const api = authFactory({ clientId: client.clientId, clientSecret: client.clientSecret });
    // Every grant, for test-config and runs alike: a refused client names the variables to fix.
    const grant = (scopes: string) => api.clientCredentials(scopes).catch((err: unknown) => Promise.reject(rejectedClient(err, client, config.file)));
    const source = new ClientTokenSource({ clientCredentials: grant }, { now: deps.now });
    const tried = new Set<string>();
    const describe = (): CredentialsDescription => {
      const exp = source.expiresAt();
      return { kind: 'client', clientId: client.clientId, ...(exp ? { expiresAt: new Date(exp * 1000) } : {}) };
    };
    logger.debug({ clientId: client.clientId, secretFrom: client.secretSource }, 'using client credentials');
    return {
      kind: 'client',
      tokens: source,
      describe,
      async verify() {
        await source.transferToken();
        return describe();
      },
      requireUsable() {},
      loginExpiresAt: () => undefined,
      async handleConsentRequired(err) {
        if (!isConsentRequired(err)) throw err;
        const scope = mergeScopes(source.currentScope, err.requiredScopes);
        const clientHint = `grant client ${client.clientId} access to the collection, or check its permissions`;
        if (tried.has(scope) || scope === source.currentScope) throw consentError(err, clientHint);
        tried.add(scope);
        logger.info({ scope }, 'Globus asked for more consent: requesting the scopes with the client-credentials grant');
        try {
          await source.requestScope(scope);
        } catch (grantErr) {
          throw new GsyncError('auth', `client ${client.clientId} cannot get scope ${scope}: ${(grantErr as Error).message}`, {
            hint: clientHint,
            cause: grantErr,
          });
        }
      },
    };
  }

  const store = new TokenStore(config.auth.tokenFile);
  if (store.isExposed()) logger.warn({ tokenFile: store.file }, 'the token file is readable by group or others; run: chmod 600 on it');
  const source = new UserTokenSource({ store, auth: authFactory({ clientId: config.auth.clientId }), loginHint: hint, now: deps.now });
  const describe = (): CredentialsDescription => {
    const t = store.read()?.tokens['transfer.api.globus.org'];
    return {
      kind: 'user',
      clientId: config.auth.clientId,
      tokenFile: store.file,
      ...(t ? { expiresAt: new Date(t.expires_at * 1000), refreshable: Boolean(t.refresh_token) } : {}),
    };
  };
  return {
    kind: 'user',
    tokens: source,
    describe,
    async verify() {
      await source.refreshAfterUnauthorized();
      return describe();
    },
    loginExpiresAt() {
      const d = describe();
      return d.refreshable === false ? d.expiresAt : undefined;
    },
    requireUsable() {
      source.requireStoredLogin();
    },
    async handleConsentRequired(err) {
      if (!isConsentRequired(err)) throw err;
      // A person must consent in a browser; gsync login asks for data_access on the job's collections.
      throw consentError(err, hint);
    },
  };
}
