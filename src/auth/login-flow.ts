import crypto from 'node:crypto';
import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import { createPkcePair } from '../globus/auth-client.js';
import { GlobusApiError } from '../globus/errors.js';
import { TRANSFER_RESOURCE_SERVER, TRANSFER_SCOPE, transferScopeWithDataAccess, type TokenSource } from '../globus/token-source.js';
import type { Logger } from '../log/logger.js';
import type { AuthApi, CollectionLookup, TokenResponse } from './auth-api.js';
import { loginHintFor } from './credentials.js';
import { mergeScopes } from './consent.js';
import { collectionsInScopes, dataAccessCollections } from './scopes.js';
import type { TokenFile, TokenStore } from './token-store.js';
import { mergeTokens, UserTokenSource } from './user-token-source.js';

export interface LoginIO {
  /** A line for the person (the URL, what to do next). */
  say(line: string): void;
  /** The next line typed or piped in, or undefined at end of input. */
  readLine(): Promise<string | undefined>;
  /** Best effort: show the URL in a browser. */
  open?(url: string): void;
}

export interface LoginDeps {
  auth: AuthApi;
  store: TokenStore;
  lookup: (tokens: TokenSource) => CollectionLookup;
  logger: Logger;
  now?: () => number;
}

export interface LoginResult {
  expiresAt: Date;
  scope: string;
  /** Collections given a data_access consent. */
  dataAccess: string[];
}

/**
 * The native-app flow with PKCE. Which collections need a data_access
 * consent can only be learnt with a Transfer token (GET endpoint/<id>), so:
 * with a usable earlier login, look them up first and ask for everything in
 * one round; on a first login, ask for Transfer alone, look them up with the
 * new token, and ask once more only if some collection needs data_access.
 * `scopes` (what a ConsentRequired answer named) are asked for in the first
 * round too, merged into the same Transfer scope.
 */
export async function login(config: Config, io: LoginIO, deps: LoginDeps, opts: { scopes?: string[] } = {}): Promise<LoginResult> {
  const now = deps.now ?? Date.now;
  const collections = [config.source.collection, config.destination.collection];
  const hint = loginHintFor(config);
  const tokensFrom = () => new UserTokenSource({ store: deps.store, auth: deps.auth, loginHint: hint, now });

  let known: string[] | undefined;
  if (deps.store.read()?.tokens[TRANSFER_RESOURCE_SERVER]) {
    try {
      known = await dataAccessCollections(deps.lookup(tokensFrom()), collections);
    } catch (err) {
      deps.logger.debug({ err: (err as Error).message }, 'the earlier login cannot look up the collections; starting afresh');
    }
  }

  let scope = mergeScopes(transferScopeWithDataAccess(known ?? []), opts.scopes ?? []);
  await round(scope, io, deps, config, now);
  if (known === undefined) {
    let needed: string[] = [];
    try {
      needed = await dataAccessCollections(deps.lookup(tokensFrom()), collections);
    } catch (err) {
      io.say(`Logged in, but the collections could not be looked up (${(err as Error).message}); run gsync test-config to check them.`);
    }
    const held = collectionsInScopes([scope]);
    const missing = needed.filter((id) => !held.includes(id));
    if (missing.length > 0) {
      scope = mergeScopes(scope, [transferScopeWithDataAccess(missing)]);
      io.say(`Globus also needs your consent for data access on collection${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
      await round(scope, io, deps, config, now);
    }
  }
  const t = deps.store.read()?.tokens[TRANSFER_RESOURCE_SERVER];
  return { expiresAt: new Date((t?.expires_at ?? 0) * 1000), scope, dataAccess: collectionsInScopes([scope]) };
}

async function round(scope: string, io: LoginIO, deps: LoginDeps, config: Config, now: () => number): Promise<void> {
  const pkce = createPkcePair();
  const url = deps.auth.authorizeUrl({ scopes: scope, codeChallenge: pkce.challenge, state: crypto.randomBytes(16).toString('base64url') });
  io.say('Open this URL, log in, and paste the authorization code shown at the end:');
  io.say(url);
  io.open?.(url);
  const line = await io.readLine();
  const code = line === undefined ? undefined : extractCode(line);
  if (!code) {
    throw new GsyncError('auth', line === undefined ? 'no authorization code on standard input' : 'the line read is not an authorization code', {
      hint: `run ${loginHintFor(config).replace(/^run: /, '')} at a terminal and paste the code`,
    });
  }
  let res: TokenResponse;
  try {
    res = await deps.auth.exchangeAuthorizationCode({ code, codeVerifier: pkce.verifier });
  } catch (err) {
    if (err instanceof GlobusApiError && err.httpStatus >= 400 && err.httpStatus < 500) {
      throw new GsyncError('auth', `Globus did not accept the authorization code (${err.code})`, {
        hint: `${loginHintFor(config)} again and paste the new code within a few minutes`,
        cause: err,
      });
    }
    throw err;
  }
  const file: TokenFile = mergeTokens({ version: 1, client_id: config.auth.clientId, tokens: {} }, res, TRANSFER_RESOURCE_SERVER, Math.floor(now() / 1000));
  if (!file.tokens[TRANSFER_RESOURCE_SERVER]) {
    throw new GsyncError('failure', `Globus returned no Transfer token (asked for ${TRANSFER_SCOPE})`);
  }
  await deps.store.update(async () => ({ next: file, result: undefined }));
  deps.logger.debug({ resourceServers: Object.keys(file.tokens) }, 'tokens saved');
}

/** The code alone, or a pasted redirect URL carrying ?code=. */
export function extractCode(line: string): string | undefined {
  const s = line.trim();
  if (!s) return undefined;
  if (/^https?:\/\//.test(s)) {
    try {
      return new URL(s).searchParams.get('code') ?? undefined;
    } catch {
      return undefined;
    }
  }
  return /^[A-Za-z0-9._~-]+$/.test(s) ? s : undefined;
}
