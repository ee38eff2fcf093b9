import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SERVICE_ACCOUNT_ENV } from '../src/server/index.js';
import { approve, mistype, assertBuilt, authWorld, savedTransferToken, seedLogin, tokenPosts, transferStatus, writeLogin, type AuthWorld } from './helpers/auth.js';
import { gsyncAtTerminal, hasScript } from './helpers/pty.js';
import { DST_ID, SRC_ID, TRANSFER_SCOPE } from './server-support.js';

/**
 * `gsync test-config` as the one-off setup command, at a real pseudo-terminal
 * (script(1)) against the local Globus-compatible server: a missing or refused
 * login, or a missing consent, is fixed by logging in inline, and the checks
 * go on in the same run. The server approves each authorize URL at once and
 * shows the code, which the test types at the terminal.
 */
let w: AuthWorld;
beforeAll(() => {
  assertBuilt();
  if (!hasScript()) throw new Error('these tests need script(1) from util-linux (Debian: bsdutils) for a pseudo-terminal');
});
afterEach(() => w.cleanup());

const dataAccess = (id: string) => `https://auth.globus.org/scopes/${id}/data_access`;
const scopeOf = (url: string) => new URL(url).searchParams.get('scope');
const testConfig = (extra: string[] = [], opts: Parameters<typeof gsyncAtTerminal>[1] = { env: w.env }) =>
  gsyncAtTerminal(['test-config', '--config', w.configFile, ...extra], { env: w.env, ...opts });
const lineOf = (output: string, prefix: string) => output.split('\n').find((l) => l.startsWith(prefix));
const lastLine = (output: string) => output.trimEnd().split('\n').at(-1);

describe('gsync test-config at a terminal logs in inline', () => {
  it('no token: the URL is printed, the code typed, tokens saved 0600, and the collection checks pass in the same run (exit 0)', async () => {
    w = await authWorld();
    const r = await testConfig([], { env: w.env, answer: (url) => approve(url) });
    expect(r.timedOut).toBe(false);
    // gsync login's two rounds: Transfer, then data_access for the mapped source (the guest destination has none).
    expect(r.urls).toHaveLength(2);
    expect(scopeOf(r.urls[0]!)).toBe(TRANSFER_SCOPE);
    expect(scopeOf(r.urls[1]!)).toBe(`${TRANSFER_SCOPE}[*${dataAccess(SRC_ID)}]`);
    expect(r.output).toContain('No usable Globus login for this job: logging in now');
    expect(lineOf(r.output, 'ok   credentials')).toMatch(new RegExp(`^ok   credentials user login \\(${w.tokenFile}\\) can get a token, valid until \\S+ \\(logged in just now\\)$`));
    expect(lineOf(r.output, 'ok   source data access')).toBe(`ok   source data access to ${SRC_ID} is granted`);
    expect(lineOf(r.output, 'ok   destination path')).toBe('ok   destination path / exists');
    expect(r.output).not.toContain('FAIL');
    expect(lastLine(r.output)).toBe('all 11 checks passed: this job is ready for cron');
    expect(r.code).toBe(0);

    expect(fs.statSync(w.tokenFile).mode & 0o777).toBe(0o600);
    const t = savedTransferToken(w);
    expect(t.scope).toContain(dataAccess(SRC_ID));
    // What cron will use: the server honours the saved tokens, and none was shown.
    expect(await transferStatus(w, t.access_token)).toBe(200);
    expect(w.srv.tokenValues()).toContain(t.refresh_token);
    expect(r.output).not.toContain(t.refresh_token!);
    // Two code exchanges, then one refresh: the credentials check ran again and proved the new refresh token works.
    expect(tokenPosts(w.srv)).toBe(3);
  });

  it('stdout redirected to a file: the login talks on the terminal (stderr), the file holds the checklist alone', async () => {
    w = await authWorld();
    const report = path.join(w.base, 'report.txt');
    const r = await testConfig([], { env: w.env, answer: (url) => approve(url), redirect: `> '${report}'` });
    expect(r.urls).toHaveLength(2);
    expect(r.code).toBe(0);
    const lines = fs.readFileSync(report, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines.slice(0, -1).filter((l) => !/^(ok  |FAIL|skip) /.test(l))).toEqual([]);
    expect(lines.at(-1)).toBe('all 11 checks passed: this job is ready for cron');
  });

  it('a refused refresh token (invalid_grant): logs in again and passes', async () => {
    w = await authWorld();
    const old = seedLogin(w, { expiresIn: 3600 });
    w.srv.faults.revokeTokens();
    const r = await testConfig([], { env: w.env, answer: (url) => approve(url) });
    expect(r.urls.length).toBeGreaterThan(0);
    expect(lineOf(r.output, 'ok   credentials')).toContain('(logged in just now)');
    expect(lastLine(r.output)).toBe('all 11 checks passed: this job is ready for cron');
    expect(r.code).toBe(0);
    expect(savedTransferToken(w).refresh_token).not.toBe(old.refresh);
  });

  it('a mistyped code: exit 77, nothing stored, the collections not checked', async () => {
    w = await authWorld();
    const r = await testConfig([], { env: w.env, answer: async (url) => mistype(await approve(url)) });
    expect(r.urls).toHaveLength(1);
    expect(lineOf(r.output, 'FAIL credentials')).toMatch(/^FAIL credentials: Globus did not accept the authorization code \(invalid_grant\) -> run: gsync login --config \S+ again/);
    expect(lineOf(r.output, 'skip source collection')).toBeDefined();
    expect(lastLine(r.output)).toBe('1 of 6 checks failed (credentials), 2 skipped: not ready for cron');
    expect(r.code).toBe(77);
    expect(fs.existsSync(w.tokenFile)).toBe(false);
  });

  it('ConsentRequired with a stored login: one inline login asking for exactly the named scope, then the check passes', async () => {
    w = await authWorld();
    fs.mkdirSync(w.tokenDir, { recursive: true, mode: 0o700 });
    writeLogin(w.srv, w.tokenFile, { scope: TRANSFER_SCOPE });
    w.srv.faults.requireConsent(SRC_ID);
    const lsBefore = w.srv.requests.entries.filter((e) => e.path.endsWith(`/${SRC_ID}/ls`)).length;
    const r = await testConfig([], { env: w.env, answer: (url) => approve(url) });
    expect(r.urls).toHaveLength(1);
    expect(scopeOf(r.urls[0]!)).toBe(`${TRANSFER_SCOPE}[*${dataAccess(SRC_ID)}]`);
    expect(r.output).toContain(`Globus needs your consent for data access on collection ${SRC_ID}: logging in for it.`);
    // Credentials were fine, so no login for them.
    expect(lineOf(r.output, 'ok   credentials')).not.toContain('logged in just now');
    expect(lineOf(r.output, 'ok   source data access')).toBe(`ok   source data access to ${SRC_ID} is granted`);
    expect(lastLine(r.output)).toBe('all 11 checks passed: this job is ready for cron');
    expect(r.code).toBe(0);
    expect(savedTransferToken(w).scope).toContain(dataAccess(SRC_ID));
    // The check ran again after the login: the ls refused, then the one that passed.
    expect(w.srv.requests.entries.filter((e) => e.path.endsWith(`/${SRC_ID}/ls`)).length - lsBefore).toBe(2);
  });

  it('ConsentRequired on both collections: still one login, for both data_access scopes', async () => {
    w = await authWorld();
    // A second mapped collection as the destination: it needs data_access too.
    const mappedDst = 'b1a2c3d4-0000-4000-8000-00000000d0d0';
    w.srv.addCollection({ id: mappedDst, root: w.dst, kind: 'mapped' });
    const cfg = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
    fs.writeFileSync(w.configFile, JSON.stringify({ ...cfg, destination: { collection: mappedDst, path: '/' } }));
    fs.mkdirSync(w.tokenDir, { recursive: true, mode: 0o700 });
    writeLogin(w.srv, w.tokenFile, { scope: TRANSFER_SCOPE });
    w.srv.faults.requireConsent(SRC_ID);
    w.srv.faults.requireConsent(mappedDst);
    const r = await testConfig([], { env: w.env, answer: (url) => approve(url) });
    expect(r.urls).toHaveLength(1);
    expect(scopeOf(r.urls[0]!)).toBe(`${TRANSFER_SCOPE}[*${dataAccess(SRC_ID)} *${dataAccess(mappedDst)}]`);
    expect(lineOf(r.output, 'ok   destination data access')).toBe(`ok   destination data access to ${mappedDst} is granted`);
    expect(r.code).toBe(0);
  });
});

describe('gsync test-config: Globus names the consent, gsync asks once', () => {
  it('a consent gsync cannot foresee (a guest collection that asks anyway): the other collection is probed, one login covers both', async () => {
    w = await authWorld();
    fs.mkdirSync(w.tokenDir, { recursive: true, mode: 0o700 });
    writeLogin(w.srv, w.tokenFile, { scope: TRANSFER_SCOPE });
    w.srv.faults.requireConsent(SRC_ID);
    w.srv.faults.requireConsent(DST_ID);
    const r = await testConfig([], { env: w.env, answer: (url) => approve(url) });
    expect(r.urls).toHaveLength(1);
    // The destination is a guest collection (no data_access by its type): only its ConsentRequired names the scope.
    expect(scopeOf(r.urls[0]!)).toBe(`${TRANSFER_SCOPE}[*${dataAccess(SRC_ID)} *${dataAccess(DST_ID)}]`);
    expect(lineOf(r.output, 'ok   destination data access')).toBe(`ok   destination data access to ${DST_ID} is granted`);
    expect(r.code).toBe(0);
  });

  it('a consent still missing after the login: no second login, both checks fail naming the scope, exit 77', async () => {
    w = await authWorld();
    const mappedDst = 'b1a2c3d4-0000-4000-8000-00000000d0d1';
    w.srv.addCollection({ id: mappedDst, root: w.dst, kind: 'mapped' });
    const cfg = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
    fs.writeFileSync(w.configFile, JSON.stringify({ ...cfg, destination: { collection: mappedDst, path: '/' } }));
    fs.mkdirSync(w.tokenDir, { recursive: true, mode: 0o700 });
    writeLogin(w.srv, w.tokenFile, { scope: TRANSFER_SCOPE });
    w.srv.faults.requireConsent(SRC_ID);
    w.srv.faults.requireConsent(mappedDst);
    // The person consents to less than asked: the code is for the Transfer scope alone.
    const r = await testConfig([], {
      env: w.env,
      answer: (url) => {
        const u = new URL(url);
        u.searchParams.set('scope', TRANSFER_SCOPE);
        return approve(u.toString());
      },
    });
    expect(r.timedOut).toBe(false);
    expect(r.urls).toHaveLength(1);
    expect(lineOf(r.output, 'FAIL source data access')).toContain(`Globus needs consent for collection ${SRC_ID}`);
    expect(lineOf(r.output, 'FAIL destination data access')).toContain(`Globus needs consent for collection ${mappedDst}`);
    expect(r.code).toBe(77);
  });
});

describe('gsync test-config never prompts when it must not', () => {
  it('--no-login at a terminal: no URL, exit 77, the hint says to run gsync login now', async () => {
    w = await authWorld();
    const r = await testConfig(['--no-login']);
    expect(r.timedOut).toBe(false);
    expect(r.urls).toEqual([]);
    expect(lineOf(r.output, 'FAIL credentials')).toMatch(/^FAIL credentials: no Globus login for this job .* -> run gsync login now \(gsync login --config \S+\), then this check again$/);
    expect(r.code).toBe(77);
    expect(fs.existsSync(w.tokenFile)).toBe(false);
  });

  it('stdin not a terminal (stderr is): no URL, exit 77 with the one-line hint', async () => {
    w = await authWorld();
    const r = await testConfig([], { env: w.env, redirect: '< /dev/null' });
    expect(r.urls).toEqual([]);
    expect(lineOf(r.output, 'FAIL credentials')).toBe(`FAIL credentials: no Globus login for this job (no token file at ${w.tokenFile}) -> run: gsync login --config ${w.configFile}`);
    expect(r.code).toBe(77);
  });

  it('ConsentRequired with --no-login: no URL, the data access check fails naming the scope, exit 77', async () => {
    w = await authWorld();
    fs.mkdirSync(w.tokenDir, { recursive: true, mode: 0o700 });
    writeLogin(w.srv, w.tokenFile, { scope: TRANSFER_SCOPE });
    w.srv.faults.requireConsent(SRC_ID);
    const r = await testConfig(['--no-login']);
    expect(r.urls).toEqual([]);
    expect(lineOf(r.output, 'FAIL source data access')).toContain(`Globus needs consent for collection ${SRC_ID}`);
    expect(lastLine(r.output)).toBe('1 of 11 checks failed (source data access), 2 skipped: not ready for cron');
    expect(r.code).toBe(77);
  });

  it('a service account with a wrong secret at a terminal: no URL, the line names GLOBUS_CLIENT_SECRET', async () => {
    w = await authWorld();
    const r = await testConfig([], { env: { ...w.env, ...DEMO_SERVICE_ACCOUNT_ENV, GLOBUS_CLIENT_SECRET: 'wrong' } });
    expect(r.urls).toEqual([]);
    expect(lineOf(r.output, 'FAIL credentials')).toMatch(/-> fix GLOBUS_CLIENT_SECRET, or GLOBUS_CLIENT_ID if \S+ is not the service account's client id$/);
    expect(r.code).toBe(77);
    expect(fs.existsSync(w.tokenFile)).toBe(false);
  });
});
