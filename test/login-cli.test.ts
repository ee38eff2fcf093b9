import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DST_ID, pkce, SRC_ID } from './server-support.js';
import { approve, mistype, assertBuilt, authWorld, gsync, loginCli, refreshWorks, transferStatus, TRANSFER_RS, type AuthWorld } from './helpers/auth.js';

/**
 * `gsync login` / `gsync logout` through the built CLI against the project's
 * local Globus-compatible server (GLOBUS_SDK_SERVICE_URL_AUTH / _TRANSFER):
 * every authorize URL gsync prints is opened at the server, which approves it
 * at once and shows the code, and the code is typed back on stdin.
 */
let w: AuthWorld;

beforeAll(() => assertBuilt());
beforeEach(async () => {
  w = await authWorld();
});
afterEach(() => w.cleanup());

const logout = () => gsync(['logout', '--config', w.configFile], { env: w.env });

describe('gsync login / logout through the built CLI', () => {
  it('logs in with PKCE (two rounds: Transfer, then data_access for the mapped collection) and saves tokens 0600', async () => {
    const r = await loginCli(w);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const urls = r.stdout.split('\n').filter((l) => l.startsWith('http'));
    expect(urls).toHaveLength(2);
    expect(new URL(urls[0]!).searchParams.get('access_type')).toBe('offline');
    expect(new URL(urls[0]!).searchParams.get('code_challenge_method')).toBe('S256');
    expect(new URL(urls[1]!).searchParams.get('scope')).toContain(`${SRC_ID}/data_access`);
    // The guest destination has no data_access scope to ask for.
    expect(new URL(urls[1]!).searchParams.get('scope')).not.toContain(`${DST_ID}/data_access`);
    expect(r.stdout).toMatch(/The access token expires \d{4}-\d\d-\d\dT/);
    expect(fs.statSync(w.tokenFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(w.tokenFile)).mode & 0o777).toBe(0o700);
    const t = JSON.parse(fs.readFileSync(w.tokenFile, 'utf8')).tokens[TRANSFER_RS];
    expect(t.scope).toContain(`${SRC_ID}/data_access`);
    // The server honours what was saved.
    expect(await transferStatus(w, t.access_token)).toBe(200);
    expect(w.srv.tokenValues()).toContain(t.refresh_token);
    expect(r.stdout + r.stderr).not.toContain(t.refresh_token);
    expect(r.stdout + r.stderr).not.toContain(t.access_token);

    const out = await logout();
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Logged out: 2 token(s) revoked');
    expect(fs.existsSync(w.tokenFile)).toBe(false);
    // Revoked at the server: the access token is refused and the refresh token is invalid_grant.
    expect(await transferStatus(w, t.access_token)).toBe(401);
    expect(await refreshWorks(w, t.refresh_token)).toEqual({ ok: false, error: 'invalid_grant' });
  });

  it('the server checks the PKCE verifier: a code bound to another challenge is refused, exit 77, one line, nothing saved', async () => {
    const other = pkce();
    const r = await gsync(['login', '--config', w.configFile], {
      env: w.env,
      // The code is issued for another verifier's challenge, so gsync's own verifier does not match it.
      answer: (url) => approve(url, { challenge: other.challenge }),
    });
    expect(r.code).toBe(77);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('Globus did not accept the authorization code (invalid_grant)');
    expect(fs.existsSync(w.tokenFile)).toBe(false);
  });

  it('a mistyped code: exit 77, one line, nothing saved', async () => {
    const r = await gsync(['login', '--config', w.configFile], { env: w.env, answer: async (url) => mistype(await approve(url)) });
    expect(r.code).toBe(77);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('Globus did not accept the authorization code');
    expect(fs.existsSync(w.tokenFile)).toBe(false);
  });

  it('with stdin closed and no terminal, exits 77 at once with one line and no prompt wait', async () => {
    const r = await gsync(['login', '--config', w.configFile], { env: w.env, timeoutMs: 10_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(77);
    expect(r.stderr).toBe(`gsync: no authorization code on standard input (run gsync login --config ${w.configFile} at a terminal and paste the code)\n`);
    expect(fs.existsSync(w.tokenFile)).toBe(false);
  });

  it('logout without a login says so and exits 0', async () => {
    const r = await logout();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Not logged in: no token file at ${w.tokenFile}`);
  });
});
