import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID } from '../src/server/index.js';
import { DST_ID, SRC_ID } from './server-support.js';
import { authWorld, refreshWorks, savedTransferToken, seedLogin, sha256, tokenPosts, transferStatus, type AuthWorld } from './helpers/auth.js';

/**
 * Separate processes sharing one token file, refreshing through the real
 * AuthClient (built dist) against the project's local Globus-compatible
 * server, which rotates refresh tokens: a second refresh with the same
 * refresh token would be invalid_grant, so only one process may spend it.
 */
const root = path.resolve(__dirname, '..');
const distCredentials = path.join(root, 'dist/src/auth/credentials.js');
const distConfig = path.join(root, 'dist/src/config/load.js');
const distLog = path.join(root, 'dist/src/log/logger.js');

let w: AuthWorld;

beforeAll(() => {
  if (!fs.existsSync(distCredentials)) throw new Error('build first: npm run build');
});
beforeEach(async () => {
  w = await authWorld({ rotateRefreshTokens: true });
});
afterEach(() => w.cleanup());

/** A child that gets a Transfer token and prints its SHA-256 (never the token), or the error's kind and message. */
function child(): Promise<{ code: number | null; out: string }> {
  const script = `
    const { createCredentials } = await import(${JSON.stringify(distCredentials)});
    const { parseConfig } = await import(${JSON.stringify(distConfig)});
    const { silentLogger } = await import(${JSON.stringify(distLog)});
    const crypto = await import('node:crypto');
    const parsed = parseConfig({ name: 'job', source: { collection: '${SRC_ID}', path: '/d' }, destination: { collection: '${DST_ID}', path: '/a' },
      auth: { clientId: '${DEMO_CLIENT_ID}', tokenFile: ${JSON.stringify(w.tokenFile)} } }, '/etc/gsync/job.json', {});
    try {
      const token = await createCredentials(parsed.config, process.env, silentLogger).tokens.transferToken();
      process.stdout.write(crypto.createHash('sha256').update(token).digest('hex'));
    } catch (err) {
      process.stdout.write(err.kind + ': ' + err.message + ' (' + err.hint + ')');
      process.exitCode = 3;
    }
    setImmediate(() => process.exit());
  `;
  const c = spawn(process.execPath, ['--input-type=module', '-e', script], { env: w.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => c.on('close', (code) => resolve({ code, out })));
}

describe('refresh across processes (local server, rotating refresh tokens)', () => {
  it('10 processes finding the token expiring refresh once, all get the new token, the rotated refresh token is saved', async () => {
    // gsync believes the access token expires in 30 s (inside the refresh margin).
    const seeded = seedLogin(w, { expiresIn: 30 });
    const before = tokenPosts(w.srv);
    const results = await Promise.all(Array.from({ length: 10 }, child));
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    expect(tokenPosts(w.srv) - before).toBe(1);
    const saved = savedTransferToken(w);
    expect(saved.access_token).not.toBe(seeded.access);
    expect(saved.refresh_token).not.toBe(seeded.refresh);
    expect(new Set(results.map((r) => r.out))).toEqual(new Set([sha256(saved.access_token)]));
    // The file is whole, 0600, alone (no temp or lock file left), and what it holds works.
    expect(fs.statSync(w.tokenFile).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(w.tokenDir)).toEqual(['job.tokens.json']);
    expect(await transferStatus(w, saved.access_token)).toBe(200);
    expect(await refreshWorks(w, seeded.refresh)).toEqual({ ok: false, error: 'invalid_grant' });
    expect(await refreshWorks(w, saved.refresh_token!)).toEqual({ ok: true });
  });

  it('three waves of 6 processes, the token forced to look expiring before each: every wave refreshes once and the chain of rotations holds', async () => {
    seedLogin(w, { expiresIn: 30 });
    for (let wave = 0; wave < 3; wave++) {
      const prev = savedTransferToken(w);
      const file = JSON.parse(fs.readFileSync(w.tokenFile, 'utf8'));
      file.tokens['transfer.api.globus.org'].expires_at = Math.floor(Date.now() / 1000) + 30;
      fs.writeFileSync(w.tokenFile, JSON.stringify(file));
      const before = tokenPosts(w.srv);
      const results = await Promise.all(Array.from({ length: 6 }, child));
      expect(results.map((r) => r.code)).toEqual(Array(6).fill(0));
      expect(tokenPosts(w.srv) - before).toBe(1);
      const saved = savedTransferToken(w);
      expect(saved.refresh_token).not.toBe(prev.refresh_token);
      expect(new Set(results.map((r) => r.out))).toEqual(new Set([sha256(saved.access_token)]));
    }
    expect(await transferStatus(w, savedTransferToken(w).access_token)).toBe(200);
  });

  it('a revoked refresh token (invalid_grant) is an auth error naming gsync login --config', async () => {
    const seeded = seedLogin(w, { expiresIn: 30 });
    const revoke = await fetch(new URL('v2/oauth2/token/revoke', w.srv.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: seeded.refresh, client_id: DEMO_CLIENT_ID }).toString(),
    });
    expect(revoke.status).toBe(200);
    const r = await child();
    expect(r.code).toBe(3);
    expect(r.out).toBe(
      'auth: Globus rejected the stored refresh token (invalid_grant: it expired or was revoked) (run: gsync login --config /etc/gsync/job.json)',
    );
    // Nothing was written over the file.
    expect(savedTransferToken(w).refresh_token).toBe(seeded.refresh);
  });
});
