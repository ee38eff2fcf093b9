import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCredentials } from '../src/auth/credentials.js';
import { dataAccessCollections } from '../src/auth/scopes.js';
import { TokenStore, type TokenFile } from '../src/auth/token-store.js';
import { UserTokenSource } from '../src/auth/user-token-source.js';
import { parseConfig, type Config } from '../src/config/load.js';
import { GsyncError } from '../src/errors/errors.js';
import { ConsentRequiredError } from '../src/globus/errors.js';
import { TRANSFER_SCOPE } from '../src/globus/token-source.js';
import { capturedLogger, fakeCollections, FakeAuth } from './auth-fake.js';
import { FIXTURES } from './server-support.js';
import { tempDir } from './helpers/temp.js';

const MAPPED = '1405823f-0597-4a16-b296-46d4f0ae4b15';
const GUEST = '0e4a77f8-b778-4d5c-abaa-e1254e71427f';
const T0 = Date.UTC(2025, 0, 1);

let dir: string;
let config: Config;
let auth: FakeAuth;
let clock: number;
const now = () => clock;

beforeEach(() => {
  dir = tempDir('gsync-auth-cred-');
  const parsed = parseConfig(
    {
      name: 'job',
      source: { collection: MAPPED, path: '/data' },
      destination: { collection: GUEST, path: '/archive' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2', tokenFile: path.join(dir, 'job.tokens.json') },
    },
    path.join(dir, 'gsync.json'),
    {},
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  config = parsed.config;
  auth = new FakeAuth();
  clock = T0;
});

/** A token file as login leaves it, expiring `inSeconds` from the test clock. */
function seed(inSeconds: number): { at: string; rt: string } {
  const rt = auth.mintRefreshToken();
  const at = 'AT-seeded-' + Math.random().toString(36).slice(2);
  auth.issued.push(at);
  const file: TokenFile = {
    version: 1,
    client_id: config.auth.clientId,
    tokens: { 'transfer.api.globus.org': { access_token: at, expires_at: Math.floor(clock / 1000) + inSeconds, refresh_token: rt, scope: TRANSFER_SCOPE } },
  };
  fs.writeFileSync(config.auth.tokenFile, JSON.stringify(file), { mode: 0o600 });
  return { at, rt };
}

const stored = () => JSON.parse(fs.readFileSync(config.auth.tokenFile, 'utf8')) as TokenFile;
const user = (logger = capturedLogger().logger) => createCredentials(config, {}, logger, { authFactory: () => auth, now });

async function authErrorOf(p: Promise<unknown>): Promise<GsyncError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(GsyncError);
  expect((err as GsyncError).kind).toBe('auth');
  return err as GsyncError;
}

describe('user login tokens', () => {
  it('returns the stored token while it is fresh, without a refresh', async () => {
    const { at } = seed(3600);
    expect(await user().tokens.transferToken()).toBe(at);
    expect(auth.refreshCalls).toBe(0);
  });

  it('refreshes a token that expires within the margin, and saves the rotated refresh token 0600', async () => {
    const { at, rt } = seed(120);
    const token = await user().tokens.transferToken();
    expect(token).not.toBe(at);
    expect(auth.refreshCalls).toBe(1);
    const t = stored().tokens['transfer.api.globus.org']!;
    expect(t.access_token).toBe(token);
    expect(t.refresh_token).not.toBe(rt);
    expect(auth.liveRefresh.has(t.refresh_token!)).toBe(true); // the saved one is the live one
    expect(t.expires_at).toBe(Math.floor(T0 / 1000) + auth.expiresIn);
    expect(fs.statSync(config.auth.tokenFile).mode & 0o777).toBe(0o600);
  });

  it('keeps the old refresh token when Globus does not rotate it', async () => {
    const { rt } = seed(-10);
    auth.rotate = false;
    await user().tokens.transferToken();
    expect(stored().tokens['transfer.api.globus.org']!.refresh_token).toBe(rt);
  });

  it('keeps working across many expiries, each rotation saved before the next', async () => {
    seed(60);
    const creds = user();
    for (let i = 0; i < 5; i++) {
      clock += (auth.expiresIn - 10) * 1000;
      await creds.tokens.transferToken();
    }
    expect(auth.refreshCalls).toBe(5);
  });

  it('refreshAfterUnauthorized refreshes a token that looked fresh', async () => {
    const { at } = seed(3600);
    const creds = user();
    expect(await creds.tokens.transferToken()).toBe(at);
    const next = await creds.tokens.refreshAfterUnauthorized();
    expect(next).not.toBe(at);
    expect(auth.refreshCalls).toBe(1);
  });

  it('ten sources refreshing the same expiring file at once spend the refresh token once', async () => {
    seed(10);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => user().tokens.transferToken()));
    expect(auth.refreshCalls).toBe(1);
    expect(new Set(tokens).size).toBe(1);
  });

  it('invalid_grant (expired or revoked refresh token) is an auth error naming gsync login --config', async () => {
    const { rt } = seed(10);
    auth.liveRefresh.delete(rt);
    const err = await authErrorOf(user().tokens.transferToken());
    expect(err.message).toContain('invalid_grant');
    expect(err.hint).toBe(`run: gsync login --config ${config.file}`);
    expect(err.message + err.hint).not.toContain(rt);
  });

  it('no token file is an auth error at once, with no request', async () => {
    const err = await authErrorOf(user().tokens.transferToken());
    expect(err.message).toContain(config.auth.tokenFile);
    expect(err.hint).toContain('gsync login --config');
    expect(auth.refreshCalls).toBe(0);
  });

  it('an expired token without a refresh token is an auth error', async () => {
    seed(-1);
    const f = stored();
    delete f.tokens['transfer.api.globus.org']!.refresh_token;
    fs.writeFileSync(config.auth.tokenFile, JSON.stringify(f));
    await authErrorOf(user().tokens.transferToken());
  });

  it('describe reads expiry from the file; verify proves a refresh works', async () => {
    seed(3600);
    const creds = user();
    expect(creds.describe()).toMatchObject({ kind: 'user', refreshable: true, expiresAt: new Date(T0 + 3600_000) });
    const d = await creds.verify();
    expect(auth.refreshCalls).toBe(1);
    expect(d.expiresAt).toEqual(new Date(T0 + auth.expiresIn * 1000));
  });

  it('a ConsentRequired error for a user login is an auth error naming collection and scope', async () => {
    seed(3600);
    const scope = `${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${MAPPED}/data_access]`;
    const err = await authErrorOf(user().handleConsentRequired(consentRequired([scope])));
    expect(err.message).toContain(`collection ${MAPPED}`);
    expect(err.message).toContain(scope);
    expect(err.hint).toContain('gsync login --config');
  });

  it('no token value reaches the log, even at trace level', async () => {
    const { rt } = seed(10);
    const cap = capturedLogger();
    const creds = user(cap.logger);
    await creds.tokens.transferToken();
    await creds.tokens.refreshAfterUnauthorized();
    auth.liveRefresh.clear();
    await creds.tokens.refreshAfterUnauthorized().catch(() => {});
    cap.logger.flush();
    expect(auth.issued.length).toBeGreaterThan(3);
    for (const v of [...auth.issued, rt]) expect(cap.text()).not.toContain(v);
  });
});

describe('service account (client credentials)', () => {
  const env = { GLOBUS_CLIENT_ID: 'b5e1f1a2-0000-4000-8000-000000000001', GLOBUS_CLIENT_SECRET: 's3cret-value' };
  const client = (e: NodeJS.ProcessEnv = env) => {
    const cap = capturedLogger();
    const made: { clientId: string; clientSecret?: string }[] = [];
    const creds = createCredentials(config, e, cap.logger, { authFactory: (c) => (made.push(c), auth), now });
    return { creds, made, cap };
  };

  it('uses the client-credentials grant with the env id and secret, needing no token file', async () => {
    const { creds, made } = client();
    expect(creds.kind).toBe('client');
    const token = await creds.tokens.transferToken();
    expect(auth.issued).toContain(token);
    expect(made).toEqual([{ clientId: env.GLOBUS_CLIENT_ID, clientSecret: env.GLOBUS_CLIENT_SECRET }]);
    expect(auth.clientScopes).toEqual([TRANSFER_SCOPE]);
    expect(fs.existsSync(config.auth.tokenFile)).toBe(false);
    // cached until near expiry, then granted again
    expect(await creds.tokens.transferToken()).toBe(token);
    clock += auth.expiresIn * 1000;
    expect(await creds.tokens.transferToken()).not.toBe(token);
    expect(auth.clientScopes).toHaveLength(2);
  });

  it('meets ConsentRequired by requesting the required scopes once, then gives up naming the collection', async () => {
    const { creds } = client();
    await creds.tokens.transferToken();
    const scope = `${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${MAPPED}/data_access]`;
    await creds.handleConsentRequired(consentRequired([scope]));
    expect(auth.clientScopes.at(-1)).toBe(scope);
    const err = await authErrorOf(creds.handleConsentRequired(consentRequired([scope])));
    expect(err.message).toContain(MAPPED);
    expect(auth.clientScopes).toHaveLength(2);
  });

  it('rethrows errors that are not ConsentRequired', async () => {
    const { creds } = client();
    const other = new Error('boom');
    await expect(creds.handleConsentRequired(other)).rejects.toBe(other);
  });

  it('reads auth.clientSecretFile when private, and refuses one readable by others', async () => {
    const secretFile = path.join(dir, 'secret');
    fs.writeFileSync(secretFile, 'file-secret\n', { mode: 0o600 });
    config.auth.clientSecretFile = secretFile;
    const { made } = client({});
    expect(made).toEqual([{ clientId: config.auth.clientId, clientSecret: 'file-secret' }]);
    fs.chmodSync(secretFile, 0o640);
    let err: unknown;
    try {
      client({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GsyncError);
    expect((err as GsyncError).kind).toBe('config');
    expect((err as GsyncError).message).toContain('mode 640');
    expect((err as GsyncError).message).not.toContain('file-secret');
  });

  it('GLOBUS_CLIENT_ID without a secret is a config error, not a silent user login', () => {
    expect(() => client({ GLOBUS_CLIENT_ID: env.GLOBUS_CLIENT_ID })).toThrow(/GLOBUS_CLIENT_SECRET is not/);
  });

  it('never logs the secret or the token', async () => {
    const { creds, cap } = client();
    await creds.tokens.transferToken();
    await creds.handleConsentRequired(consentRequired([`${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${MAPPED}/data_access]`]));
    cap.logger.flush();
    expect(cap.text()).not.toContain(env.GLOBUS_CLIENT_SECRET);
    for (const v of auth.issued) expect(cap.text()).not.toContain(v);
  });
});

describe('scopes', () => {
  it('asks data_access only for non-high-assurance GCSv5 mapped collections, read from the fixtures', async () => {
    const fx = (f: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8'));
    const mapped = fx('endpoint_get_mapped.json');
    const ha = { ...mapped, id: 'aaaaaaaa-0597-4a16-b296-46d4f0ae4b15', high_assurance: true };
    const lookup = fakeCollections([mapped, fx('endpoint_get_guest.json'), fx('endpoint_get_gcp_mapped.json'), fx('endpoint_get_gcsv5_endpoint.json'), ha]);
    const ids = [mapped.id, GUEST, '06e2c959-d311-4bab-b2ea-25ad77d9fc12', 'cf37806c-572c-47ff-88e2-511c646ef1a4', ha.id, mapped.id.toUpperCase()];
    expect(await dataAccessCollections(lookup, ids)).toEqual([mapped.id]);
    expect(lookup.calls).toHaveLength(5); // the repeated id is looked up once
  });
});

describe('UserTokenSource alone', () => {
  it('after a 401, uses the token another source saved meanwhile instead of refreshing again', async () => {
    const { at } = seed(3600);
    const store = new TokenStore(config.auth.tokenFile);
    const a = new UserTokenSource({ store, auth, loginHint: 'x', now });
    const b = new UserTokenSource({ store, auth, loginHint: 'x', now });
    expect(await a.transferToken()).toBe(at);
    expect(await b.transferToken()).toBe(at);
    const fresh = await a.refreshAfterUnauthorized();
    expect(await b.refreshAfterUnauthorized()).toBe(fresh);
    expect(auth.refreshCalls).toBe(1);
  });
});

function consentRequired(requiredScopes: string[]): ConsentRequiredError {
  return new ConsentRequiredError({ service: 'transfer', httpStatus: 403, code: 'ConsentRequired', message: 'Missing required data_access consent', method: 'GET', path: `operation/endpoint/${MAPPED}/ls`, requiredScopes });
}
