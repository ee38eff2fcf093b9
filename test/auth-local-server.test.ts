import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { globusAuthFactory, globusCollectionLookup } from '../src/auth/globus-clients.js';
import { login, type LoginIO } from '../src/auth/login-flow.js';
import { TokenStore } from '../src/auth/token-store.js';
import { parseConfig } from '../src/config/load.js';
import { GsyncError } from '../src/errors/errors.js';
import { silentLogger } from '../src/log/logger.js';
import { DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT_ENV, DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET, type GlobusServerOptions } from '../src/server/index.js';
import { pkce, SRC_ID } from './server-support.js';
import {
  approve,
  assertBuilt,
  authWorld,
  gsync,
  loginCli,
  messageLines,
  refreshWorks,
  savedTransferToken,
  seedLogin,
  tokenPosts,
  transferStatus,
  type AuthWorld,
} from './helpers/auth.js';

/**
 * Issue 4's credential behaviours against the project's local
 * Globus-compatible server (real HTTP, real token registry), through gsync's
 * own code: the login flow in-process, and the built CLI spawned.
 */
let w: AuthWorld | undefined;
const open = async (server: GlobusServerOptions = {}) => (w = await authWorld(server));

beforeAll(() => assertBuilt());
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

/** Put a file in the source tree so a run has something to ship (and so must call Transfer). */
let n = 0;
function addSourceFile(world: AuthWorld): string {
  const name = `f${++n}.txt`;
  fs.writeFileSync(path.join(world.src, name), `content ${n}\n`);
  return name;
}

const run = (world: AuthWorld, env: NodeJS.ProcessEnv = world.env) =>
  gsync(['run', '--wait', '--config', world.configFile], { env, keepStdinOpen: true, timeoutMs: 30_000 });

/** Transfer requests the server refused for the token (401). */
const transfer401s = (world: AuthWorld) => world.srv.requests.entries.filter((e) => e.path.startsWith('/v0.10/') && e.outcome === 401).length;

describe('PKCE through gsync\'s login flow (in-process, real AuthClient)', () => {
  function setup(world: AuthWorld) {
    const parsed = parseConfig(JSON.parse(fs.readFileSync(world.configFile, 'utf8')), world.configFile, world.env);
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const real = globusAuthFactory(world.env, silentLogger)({ clientId: DEMO_CLIENT_ID });
    const pending: string[] = [];
    const io: LoginIO = {
      say: (line) => {
        if (/^https?:\/\//.test(line)) pending.push(line);
      },
      readLine: async () => approve(pending.shift()!),
    };
    return { config: parsed.config, real, io, store: new TokenStore(world.tokenFile) };
  }

  it('the right verifier yields tokens Transfer accepts; the same flow with another verifier is refused (invalid_grant) and saves nothing', async () => {
    const world = await open();
    const { config, real, io, store } = setup(world);

    // gsync's exchange, but sending a verifier that does not hash to the challenge in the URL.
    const verifiers: string[] = [];
    const wrong = Object.create(real) as typeof real;
    wrong.exchangeAuthorizationCode = (o) => {
      verifiers.push(o.codeVerifier);
      return real.exchangeAuthorizationCode({ ...o, codeVerifier: pkce().verifier });
    };
    const refused = await login(config, io, { auth: wrong, store, lookup: globusCollectionLookup(world.env, silentLogger), logger: silentLogger }).catch((e) => e);
    expect(refused).toBeInstanceOf(GsyncError);
    expect(refused.kind).toBe('auth');
    expect(refused.message).toBe('Globus did not accept the authorization code (invalid_grant)');
    expect(fs.existsSync(world.tokenFile)).toBe(false);
    expect(verifiers).toHaveLength(1);

    const ok = await login(config, io, { auth: real, store, lookup: globusCollectionLookup(world.env, silentLogger), logger: silentLogger });
    expect(ok.dataAccess).toEqual([SRC_ID]);
    const t = savedTransferToken(world);
    expect(t.scope).toContain(`${SRC_ID}/data_access`);
    expect(await transferStatus(world, t.access_token)).toBe(200);
    expect(fs.statSync(world.tokenFile).mode & 0o777).toBe(0o600);
  });
});

describe('refresh on expiry (spawned gsync run, no login)', () => {
  it('an access token near expiry (and expired at the server) is refreshed before use; the new one ships the files', async () => {
    const world = await open();
    const seeded = seedLogin(world, { expiresIn: 60 }); // inside REFRESH_MARGIN_SECONDS
    world.srv.faults.expireTokens(); // the old access token is dead at the server too
    const name = addSourceFile(world);
    const r = await run(world);
    expect(r.timedOut).toBe(false);
    expect(messageLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/Open this URL|paste/);
    expect(world.srv.requests.count('/v2/oauth2/authorize')).toBe(0);
    expect(tokenPosts(world.srv)).toBe(1);
    // Refreshed before use: Transfer never saw the expired token.
    expect(transfer401s(world)).toBe(0);
    expect(fs.readFileSync(path.join(world.dst, name), 'utf8')).toBe(fs.readFileSync(path.join(world.src, name), 'utf8'));
    const saved = savedTransferToken(world);
    expect(saved.access_token).not.toBe(seeded.access);
    expect(saved.expires_at).toBeGreaterThan(Date.now() / 1000 + 3600);
    expect(await transferStatus(world, seeded.access)).toBe(401);
    expect(await transferStatus(world, saved.access_token)).toBe(200);
    // No rotation on this server: the same refresh token stays, and still works.
    expect(saved.refresh_token).toBe(seeded.refresh);
  });

  it('a fresh access token is used as it is: no token request at all', async () => {
    const world = await open();
    const seeded = seedLogin(world);
    addSourceFile(world);
    const r = await run(world);
    expect(r.code).toBe(0);
    expect(tokenPosts(world.srv)).toBe(0);
    expect(savedTransferToken(world).access_token).toBe(seeded.access);
  });

  it('an access token revoked early (401 from Transfer) is refreshed once and the call retried', async () => {
    const world = await open();
    const seeded = seedLogin(world);
    // Revoke only the access token: its refresh token stays good.
    const res = await fetch(new URL('v2/oauth2/token/revoke', world.srv.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: seeded.access, client_id: DEMO_CLIENT_ID }).toString(),
    });
    expect(res.status).toBe(200);
    const name = addSourceFile(world);
    const r = await run(world);
    expect(r.code).toBe(0);
    expect(tokenPosts(world.srv)).toBe(1);
    expect(transfer401s(world)).toBe(1);
    expect(fs.existsSync(path.join(world.dst, name))).toBe(true);
    expect(savedTransferToken(world).access_token).not.toBe(seeded.access);
  });
});

describe('refresh-token rotation persisted (rotateRefreshTokens)', () => {
  it('each refresh saves the new refresh token; the old one is invalid_grant; the saved one keeps working run after run', async () => {
    const world = await open({ rotateRefreshTokens: true });
    const seeded = seedLogin(world, { expiresIn: 60 });
    const chain = [seeded.refresh];
    for (let i = 0; i < 3; i++) {
      // Make the stored token look (and be) expiring again.
      const file = JSON.parse(fs.readFileSync(world.tokenFile, 'utf8'));
      file.tokens['transfer.api.globus.org'].expires_at = Math.floor(Date.now() / 1000) + 60;
      fs.writeFileSync(world.tokenFile, JSON.stringify(file));
      world.srv.faults.expireTokens();
      addSourceFile(world);
      const r = await run(world);
      expect(messageLines(r.stderr)).toEqual([]);
      expect(r.code).toBe(0);
      const saved = savedTransferToken(world);
      expect(chain).not.toContain(saved.refresh_token);
      chain.push(saved.refresh_token!);
      expect(fs.statSync(world.tokenFile).mode & 0o777).toBe(0o600);
    }
    expect(tokenPosts(world.srv)).toBe(3);
    // Every superseded refresh token is dead; the saved one is alive.
    for (const old of chain.slice(0, -1)) expect(await refreshWorks(world, old)).toEqual({ ok: false, error: 'invalid_grant' });
    expect(await refreshWorks(world, chain.at(-1)!)).toEqual({ ok: true });
  });
});

describe('client credentials (service account)', () => {
  const SERVICE = DEMO_SERVICE_ACCOUNT_ENV;

  it('GLOBUS_CLIENT_ID/SECRET: a run ships with a client-credentials token, no token file, no secret or token on disk', async () => {
    const world = await open();
    const name = addSourceFile(world);
    const r = await run(world, { ...world.env, ...SERVICE });
    expect(messageLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(world.dst, name))).toBe(true);
    expect(tokenPosts(world.srv)).toBeGreaterThanOrEqual(1);
    expect(world.srv.requests.count('/v2/oauth2/authorize')).toBe(0);
    expect(fs.existsSync(world.tokenFile)).toBe(false);
    expect(fs.existsSync(world.tokenDir)).toBe(false);
    // Nothing the server handed out (nor the secret) was written anywhere under the job's folders.
    const secrets = [...world.srv.tokenValues(), DEMO_SERVICE_CLIENT_SECRET];
    expect(world.srv.tokenValues().length).toBeGreaterThanOrEqual(1);
    const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    for (const f of walk(world.base)) {
      const text = fs.readFileSync(f).toString('latin1');
      for (const s of secrets) expect(text.includes(s), `${s.slice(0, 4)}… in ${f}`).toBe(false);
    }
    expect(r.stdout + r.stderr).not.toContain(DEMO_SERVICE_CLIENT_SECRET);
  });

  it('a wrong client secret: exit 77, one line, no prompt', async () => {
    const world = await open();
    addSourceFile(world);
    const r = await run(world, { ...world.env, GLOBUS_CLIENT_ID: DEMO_SERVICE_CLIENT_ID, GLOBUS_CLIENT_SECRET: 'not-the-secret' });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(77);
    expect(messageLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).not.toContain('not-the-secret');
    expect(fs.existsSync(world.tokenFile)).toBe(false);
  });
});

describe('invalid_grant: a revoked login exits 77 naming gsync login, and never prompts', () => {
  it.each([
    ['run', 'near expiry (refresh first)', 60],
    ['run', 'fresh but revoked (401, then refresh)', undefined],
    // test-config (a checklist on stdout) is covered through the built CLI in test/test-config.test.ts.
  ] as const)('%s, access token %s', async (command, _how, expiresIn) => {
    const world = await open();
    seedLogin(world, expiresIn === undefined ? {} : { expiresIn });
    world.srv.faults.revokeTokens();
    addSourceFile(world);
    // stdin is a pipe that stays open: a prompt would wait on it until the timeout kills the child.
    const r = await gsync([command, '--config', world.configFile], { env: world.env, keepStdinOpen: true, timeoutMs: 15_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(77);
    const lines = messageLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`gsync login --config ${world.configFile}`);
    expect(lines[0]).toContain('invalid_grant');
    expect(r.stdout).not.toMatch(/Open this URL|paste|https?:\/\//);
    expect(world.srv.requests.count('/v2/oauth2/authorize')).toBe(0);
    expect(fs.readdirSync(world.dst)).toEqual([]);
  });
});

describe('the token file is 0600 at every moment it exists', () => {
  /**
   * A separate process stats every entry of the directory in a tight loop
   * (temp files included) until told to stop, while this process also stats
   * every name fs.watch reports.
   */
  function startWatcher(dir: string, stopFile: string) {
    const script = `
      const fs = require('node:fs'), path = require('node:path');
      const dir = ${JSON.stringify(dir)}, stop = ${JSON.stringify(stopFile)};
      const seen = {}, bad = [];
      let polls = 0;
      while (!fs.existsSync(stop)) {
        polls++;
        let names = [];
        try { names = fs.readdirSync(dir); } catch {}
        for (const name of names) {
          let st;
          try { st = fs.lstatSync(path.join(dir, name)); } catch { continue; }
          seen[name] = (seen[name] || 0) + 1;
          if ((st.mode & 0o077) !== 0) bad.push({ name, mode: (st.mode & 0o777).toString(8) });
        }
      }
      process.stdout.write(JSON.stringify({ polls, seen, bad }));
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<{ polls: number; seen: Record<string, number>; bad: Array<{ name: string; mode: string }> }>((resolve) =>
      child.on('close', () => resolve(JSON.parse(out))),
    );
    return {
      async stop() {
        fs.writeFileSync(stopFile, '');
        return done;
      },
    };
  }

  it('during a login (two rounds) and several refreshes by spawned runs, every file seen in its directory is 0600', async () => {
    // Tokens live 60 s, inside the refresh margin: every token use refreshes (rotating), so each run rewrites the file.
    const world = await open({ tokenTtlSeconds: 60, rotateRefreshTokens: true });
    fs.mkdirSync(world.tokenDir, { mode: 0o700 });
    const poller = startWatcher(world.tokenDir, path.join(world.base, 'stop-watching'));
    const events: Array<{ name: string; mode?: number }> = [];
    const watcher = fs.watch(world.tokenDir, (_event, name) => {
      if (!name) return;
      try {
        events.push({ name, mode: fs.statSync(path.join(world.tokenDir, name)).mode });
      } catch {
        events.push({ name }); // gone already (a renamed temp file, a released lock)
      }
    });
    try {
      const r = await loginCli(world);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      for (let i = 0; i < 4; i++) {
        addSourceFile(world);
        const ran = await run(world);
        expect(messageLines(ran.stderr)).toEqual([]);
        expect(ran.code).toBe(0);
      }
    } finally {
      watcher.close();
    }
    const polled = await poller.stop();
    const refreshes = tokenPosts(world.srv) - 2; // two code exchanges in the login
    expect(refreshes).toBeGreaterThanOrEqual(4);

    expect(polled.bad).toEqual([]);
    expect(polled.seen['job.tokens.json']).toBeGreaterThan(0);
    const statted = events.filter((e) => e.mode !== undefined);
    expect(statted.filter((e) => (e.mode! & 0o077) !== 0)).toEqual([]);
    expect(statted.length).toBeGreaterThan(0);
    // fs.watch names every temp file the store created: there was one per write, and none is left.
    const temps = new Set(events.map((e) => e.name).filter((nm) => nm.endsWith('.tmp')));
    expect(temps.size).toBeGreaterThanOrEqual(refreshes);
    expect(fs.readdirSync(world.tokenDir)).toEqual(['job.tokens.json']);
    expect(fs.statSync(world.tokenDir).mode & 0o777).toBe(0o700);
    console.info(
      `mode watch: ${polled.polls} polls, entries seen ${JSON.stringify(polled.seen)}; fs.watch ${events.length} events, ${statted.length} statted, ${temps.size} temp files; ${refreshes} refreshes`,
    );
  });
});
