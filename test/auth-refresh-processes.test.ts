import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GUEST, MAPPED, startStub, type Stub } from './auth-stub-server.js';

/**
 * Separate processes sharing one token file, refreshing through the real
 * AuthClient (built dist) against the stand-in on 127.0.0.1.
 */
const root = path.resolve(__dirname, '..');
const distCredentials = path.join(root, 'dist/src/auth/credentials.js');
const distConfig = path.join(root, 'dist/src/config/load.js');
const distLog = path.join(root, 'dist/src/log/logger.js');

let stub: Stub;
let dir: string;
let tokenFile: string;

beforeAll(async () => {
  if (!fs.existsSync(distCredentials)) throw new Error('build first: npx tsc -p .');
  stub = await startStub();
});
afterAll(() => stub.close());
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-auth-procs-'));
  tokenFile = path.join(dir, 'job.tokens.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A token file whose access token is about to expire and whose refresh token the stub honours. */
function seedExpiring(): string {
  const rt = 'RT-seed-' + crypto.randomBytes(6).toString('hex');
  stub.liveRefresh.add(rt);
  const file = {
    version: 1,
    tokens: { 'transfer.api.globus.org': { access_token: 'AT-old', expires_at: Math.floor(Date.now() / 1000) + 30, refresh_token: rt, scope: 'x' } },
  };
  fs.writeFileSync(tokenFile, JSON.stringify(file), { mode: 0o600 });
  return rt;
}

/** A child that gets a Transfer token and prints its SHA-256 (never the token), or the error's kind and message. */
function child(): Promise<{ code: number | null; out: string }> {
  const script = `
    const { createCredentials } = await import(${JSON.stringify(distCredentials)});
    const { parseConfig } = await import(${JSON.stringify(distConfig)});
    const { silentLogger } = await import(${JSON.stringify(distLog)});
    const crypto = await import('node:crypto');
    const parsed = parseConfig({ name: 'job', source: { collection: '${MAPPED.id}', path: '/d' }, destination: { collection: '${GUEST.id}', path: '/a' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2', tokenFile: ${JSON.stringify(tokenFile)} } }, '/etc/gsync/job.json', {});
    try {
      const token = await createCredentials(parsed.config, process.env, silentLogger).tokens.transferToken();
      process.stdout.write(crypto.createHash('sha256').update(token).digest('hex'));
    } catch (err) {
      process.stdout.write(err.kind + ': ' + err.message + ' (' + err.hint + ')');
      process.exitCode = 3;
    }
    setImmediate(() => process.exit());
  `;
  const c = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, HOME: dir, GLOBUS_SDK_SERVICE_URL_AUTH: stub.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => c.on('close', (code) => resolve({ code, out })));
}

describe('refresh across processes', () => {
  it('10 processes finding the token expiring refresh once, all get the new token, the rotated refresh token is saved', async () => {
    const rt = seedExpiring();
    const before = stub.refreshGrants();
    const results = await Promise.all(Array.from({ length: 10 }, child));
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    expect(stub.refreshGrants() - before).toBe(1);
    const saved = JSON.parse(fs.readFileSync(tokenFile, 'utf8')).tokens['transfer.api.globus.org'];
    expect(saved.refresh_token).not.toBe(rt);
    expect(stub.liveRefresh.has(saved.refresh_token)).toBe(true);
    const hash = crypto.createHash('sha256').update(saved.access_token).digest('hex');
    expect(new Set(results.map((r) => r.out))).toEqual(new Set([hash]));
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['job.tokens.json']);
  });

  it('a revoked refresh token (invalid_grant) is an auth error naming gsync login --config', async () => {
    const rt = seedExpiring();
    stub.liveRefresh.delete(rt);
    const r = await child();
    expect(r.code).toBe(3);
    expect(r.out).toBe(
      'auth: Globus rejected the stored refresh token (invalid_grant: it expired or was revoked) (run: gsync login --config /etc/gsync/job.json)',
    );
  });
});
