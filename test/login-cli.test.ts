import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GUEST, MAPPED, startStub, type Stub } from './auth-stub-server.js';

/**
 * The built CLI end to end, against a minimal Globus stand-in on 127.0.0.1
 * reached through GLOBUS_SDK_SERVICE_URL_AUTH / _TRANSFER, as the real clients are.
 */
const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist/src/index.js');

let stub: Stub;
let dir: string;
let configFile: string;
let tokenFile: string;

beforeAll(async () => {
  if (!fs.existsSync(cli)) throw new Error('build first: npx tsc -p .');
  stub = await startStub();
});
afterAll(() => stub.close());
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-login-cli-'));
  tokenFile = path.join(dir, 'cfg', 'job.tokens.json');
  configFile = path.join(dir, 'gsync.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      name: 'job',
      source: { collection: MAPPED.id, path: '/data' },
      destination: { collection: GUEST.id, path: '/archive' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2', tokenFile },
    }),
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const env = () => ({
  PATH: process.env.PATH,
  HOME: dir,
  GLOBUS_SDK_SERVICE_URL_AUTH: stub.url,
  GLOBUS_SDK_SERVICE_URL_TRANSFER: stub.url,
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI; for each authorize URL it prints, "approve" it at the stub and
 * type back what `answer` makes of the code (undefined closes stdin instead).
 */
function gsync(args: string[], answer?: (code: string) => string | undefined): Promise<Ran> {
  const child = spawn(process.execPath, [cli, ...args, '--config', configFile], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let answered = 0;
  child.stdout.on('data', async (chunk: Buffer) => {
    stdout += chunk.toString();
    const urls = stdout.split('\n').filter((l) => l.startsWith('http'));
    while (answered < urls.length) {
      const url = urls[answered++]!;
      if (!answer) {
        child.stdin.end();
        continue;
      }
      const html = await (await fetch(url)).text();
      const line = answer(/<code id="auth-code">([^<]+)<\/code>/.exec(html)![1]!);
      if (line === undefined) child.stdin.end();
      else child.stdin.write(line + '\n');
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  if (!answer && !args.includes('login')) child.stdin.end();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('gsync login / logout through the built CLI', () => {
  it('logs in with PKCE (two rounds: Transfer, then data_access for the mapped collection) and saves tokens 0600', async () => {
    const r = await gsync(['login'], (code) => code);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const urls = r.stdout.split('\n').filter((l) => l.startsWith('http'));
    expect(urls).toHaveLength(2);
    expect(new URL(urls[1]!).searchParams.get('scope')).toContain(`${MAPPED.id}/data_access`);
    expect(new URL(urls[0]!).searchParams.get('access_type')).toBe('offline');
    expect(r.stdout).toMatch(/The access token expires \d{4}-\d\d-\d\dT/);
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(tokenFile)).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(fs.readFileSync(tokenFile, 'utf8'));
    const t = saved.tokens['transfer.api.globus.org'];
    expect(stub.liveRefresh.has(t.refresh_token)).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(t.refresh_token);
    expect(r.stdout + r.stderr).not.toContain(t.access_token);

    const out = await gsync(['logout']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Logged out: 2 token(s) revoked');
    expect(stub.revoked).toEqual(expect.arrayContaining([t.refresh_token, t.access_token]));
    expect(fs.existsSync(tokenFile)).toBe(false);
  });

  it('the server checks the PKCE verifier: against another challenge the exchange fails, exit 77, one line, nothing saved', async () => {
    const r = await gsync(['login'], (code) => {
      stub.codes.get(code)!.challenge = crypto.createHash('sha256').update('some other verifier').digest('base64url');
      return code;
    });
    expect(r.code).toBe(77);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('Globus did not accept the authorization code (invalid_grant)');
    expect(fs.existsSync(tokenFile)).toBe(false);
  });

  it('a mistyped code: exit 77, one line, nothing saved', async () => {
    const r = await gsync(['login'], (code) => code.slice(0, -1) + 'x');
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('Globus did not accept the authorization code');
    expect(fs.existsSync(tokenFile)).toBe(false);
  });

  it('with stdin closed and no terminal, exits 77 at once with one line and no prompt wait', async () => {
    const r = await gsync(['login']);
    expect(r.code).toBe(77);
    expect(r.stderr).toBe(`gsync: no authorization code on standard input (run gsync login --config ${configFile} at a terminal and paste the code)\n`);
    expect(fs.existsSync(tokenFile)).toBe(false);
  });

  it('logout without a login says so and exits 0', async () => {
    const r = await gsync(['logout']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Not logged in: no token file at ${tokenFile}`);
  });
});
