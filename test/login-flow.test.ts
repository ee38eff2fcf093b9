import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { extractCode, login, type LoginIO } from '../src/auth/login-flow.js';
import { logout } from '../src/auth/logout.js';
import { TokenStore, type TokenFile } from '../src/auth/token-store.js';
import { parseConfig, type Config } from '../src/config/load.js';
import { GsyncError } from '../src/errors/errors.js';
import { pkceChallenge } from '../src/globus/auth-client.js';
import { TRANSFER_SCOPE } from '../src/globus/token-source.js';
import { capturedLogger, fakeCollections, FakeAuth } from './auth-fake.js';

import { FIXTURES } from './server-support.js';
import { tempDir } from './helpers/temp.js';
const fx = (f: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8'));
const MAPPED = fx('endpoint_get_mapped.json');
const GUEST = fx('endpoint_get_guest.json');
const DATA_ACCESS_SCOPE = `${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${MAPPED.id}/data_access]`;

let dir: string;
let config: Config;
let auth: FakeAuth;
let store: TokenStore;

beforeEach(() => {
  dir = tempDir('gsync-login-');
  const parsed = parseConfig(
    {
      name: 'job',
      source: { collection: MAPPED.id, path: '/data' },
      destination: { collection: GUEST.id, path: '/archive' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2', tokenFile: path.join(dir, 'cfg', 'job.tokens.json') },
    },
    path.join(dir, 'gsync.json'),
    {},
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  config = parsed.config;
  auth = new FakeAuth();
  store = new TokenStore(config.auth.tokenFile);
});

/** A person who approves each URL and types back the code Globus shows. */
function person(answer: (url: string) => string | undefined = (u) => new URL(u).searchParams.get('fake_code') ?? undefined) {
  const said: string[] = [];
  const urls: string[] = [];
  const io: LoginIO = {
    say: (l) => said.push(l),
    readLine: async () => {
      const url = said.filter((l) => l.startsWith('http')).at(-1)!;
      urls.push(url);
      return answer(url);
    },
  };
  return { io, said, urls };
}

const deps = (collections = [MAPPED, GUEST]) => {
  const lookup = fakeCollections(collections);
  return { auth, store, lookup: () => lookup, logger: capturedLogger().logger, calls: lookup.calls };
};

describe('gsync login flow', () => {
  it('first login: Transfer consent, then a second round for data_access on the mapped collection only', async () => {
    const p = person();
    const res = await login(config, p.io, deps());
    expect(p.urls).toHaveLength(2);
    const [first, second] = p.urls.map((u) => new URL(u).searchParams);
    expect(first!.get('scope')).toBe(TRANSFER_SCOPE);
    expect(second!.get('scope')).toBe(DATA_ACCESS_SCOPE);
    for (const q of [first!, second!]) expect(q.get('code_challenge_method')).toBe('S256');
    expect(p.said.join('\n')).toContain(`data access on collection ${MAPPED.id}`);
    expect(res.dataAccess).toEqual([MAPPED.id]);
    const file = JSON.parse(fs.readFileSync(config.auth.tokenFile, 'utf8')) as TokenFile;
    expect(file.tokens['transfer.api.globus.org']!.scope).toBe(DATA_ACCESS_SCOPE);
    expect(auth.liveRefresh.has(file.tokens['transfer.api.globus.org']!.refresh_token!)).toBe(true);
    expect(fs.statSync(config.auth.tokenFile).mode & 0o777).toBe(0o600);
    expect(res.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('one round when no collection needs data_access', async () => {
    const p = person();
    const res = await login(config, p.io, deps([{ ...MAPPED, high_assurance: true }, GUEST]));
    expect(p.urls).toHaveLength(1);
    expect(res.scope).toBe(TRANSFER_SCOPE);
  });

  it('with a working earlier login, looks the collections up first and asks everything in one round', async () => {
    await login(config, person().io, deps());
    const p = person();
    const d = deps();
    await login(config, p.io, d);
    expect(p.urls).toHaveLength(1);
    expect(new URL(p.urls[0]!).searchParams.get('scope')).toBe(DATA_ACCESS_SCOPE);
    expect(d.calls.sort()).toEqual([MAPPED.id, GUEST.id].sort());
  });

  it('the code is exchanged with the verifier whose S256 is the challenge in the URL', async () => {
    const seen: { challenge: string; verifier: string }[] = [];
    const exchange = auth.exchangeAuthorizationCode.bind(auth);
    auth.exchangeAuthorizationCode = async (p) => {
      seen.push({ challenge: auth.codes.get(p.code)!.challenge, verifier: p.codeVerifier });
      return exchange(p);
    };
    await login(config, person().io, deps([GUEST, GUEST]));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(pkceChallenge(seen[0]!.verifier)).toBe(seen[0]!.challenge);
  });

  it('a code Globus refuses (wrong verifier, expired, mistyped) is an auth error saying to log in again; nothing saved', async () => {
    const p = person(() => 'not-the-code');
    const err = await login(config, p.io, deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GsyncError);
    expect((err as GsyncError).kind).toBe('auth');
    expect((err as GsyncError).message).toContain('did not accept the authorization code (invalid_grant)');
    expect(fs.existsSync(config.auth.tokenFile)).toBe(false);
  });

  it('end of input instead of a code is an auth error at once (exit 77), saving nothing', async () => {
    const err = await login(config, person(() => undefined).io, deps()).catch((e: unknown) => e);
    expect((err as GsyncError).kind).toBe('auth');
    expect((err as GsyncError).message).toBe('no authorization code on standard input');
    expect((err as GsyncError).hint).toContain(`gsync login --config ${config.file}`);
    expect(fs.existsSync(config.auth.tokenFile)).toBe(false);
  });

  it('accepts a pasted redirect URL as well as the bare code', () => {
    expect(extractCode('  abc-123_x.y~z \n')).toBe('abc-123_x.y~z');
    expect(extractCode('https://auth.globus.org/v2/web/auth-code?code=XYZ&state=s')).toBe('XYZ');
    expect(extractCode('two words')).toBeUndefined();
    expect(extractCode('')).toBeUndefined();
  });
});

describe('gsync logout flow', () => {
  it('revokes refresh and access tokens, then deletes the file', async () => {
    await login(config, person().io, deps([GUEST, GUEST]));
    const t = store.read()!.tokens['transfer.api.globus.org']!;
    const res = await logout(store, () => auth, capturedLogger().logger);
    expect(res).toEqual({ existed: true, revoked: 2, failed: 0 });
    expect(auth.revoked).toEqual([t.refresh_token, t.access_token]);
    expect(auth.liveRefresh.has(t.refresh_token!)).toBe(false);
    expect(fs.existsSync(config.auth.tokenFile)).toBe(false);
  });

  it('still deletes the file when revocation fails, logging which token without its value', async () => {
    await login(config, person().io, deps([GUEST, GUEST]));
    const t = store.read()!.tokens['transfer.api.globus.org']!;
    const cap = capturedLogger();
    const res = await logout(store, () => ({ revoke: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')) }), cap.logger);
    cap.logger.flush();
    expect(res).toEqual({ existed: true, revoked: 0, failed: 2 });
    expect(fs.existsSync(config.auth.tokenFile)).toBe(false);
    expect(cap.text()).toContain('ECONNREFUSED');
    expect(cap.text()).toContain('"resourceServer":"transfer.api.globus.org"');
    expect(cap.text()).not.toContain(t.refresh_token!);
    expect(cap.text()).not.toContain(t.access_token);
  });

  it('with no token file, reports it and revokes nothing', async () => {
    expect(await logout(store, () => auth, capturedLogger().logger)).toEqual({ existed: false, revoked: 0, failed: 0 });
  });
});
