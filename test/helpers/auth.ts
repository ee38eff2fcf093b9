import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_CLIENT_ID, type GlobusServer, type GlobusServerOptions } from '../../src/server/index.js';
import { DST_ID, postForm, SRC_ID, twoCollections } from '../server-support.js';
import { assertBuilt, CLI } from './cli.js';

export { assertBuilt, CLI };

/**
 * Auth tests against the project's local Globus-compatible server: a job whose
 * token file sits alone in its own directory (so a watcher sees only what the
 * token store writes there), and the built CLI spawned as cron or a person would.
 */
export const TRANSFER_RS = 'transfer.api.globus.org';


export interface AuthWorld {
  srv: GlobusServer;
  base: string;
  /** Source folder (a mapped collection: needs data_access) and destination folder (a guest collection). */
  src: string;
  dst: string;
  /** The token file's own directory (created by gsync, 0700). */
  tokenDir: string;
  tokenFile: string;
  configFile: string;
  /** What a child gsync needs: server URLs and a HOME, no service-account variables. */
  env: NodeJS.ProcessEnv;
  /** Token endpoint URL (for checking refresh tokens directly). */
  tokenUrl: string;
  cleanup(): Promise<void>;
}

export async function authWorld(server: GlobusServerOptions = {}): Promise<AuthWorld> {
  const { srv, base, src, dst } = await twoCollections('auth', { ...server, collections: undefined });
  const tokenDir = path.join(base, 'cfg');
  const tokenFile = path.join(tokenDir, 'job.tokens.json');
  const configFile = path.join(base, 'gsync.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      name: 'job',
      source: { collection: SRC_ID, path: src, collectionPath: '/' },
      destination: { collection: DST_ID, path: '/' },
      auth: { clientId: DEMO_CLIENT_ID, tokenFile },
      state: { path: path.join(base, 'state', 'job.db') },
      scan: { minAgeSeconds: 0 },
    }),
  );
  return {
    srv,
    base,
    src,
    dst,
    tokenDir,
    tokenFile,
    configFile,
    env: { PATH: process.env.PATH, HOME: base, ...srv.env },
    tokenUrl: new URL('v2/oauth2/token', srv.url).toString(),
    // The folders go with the test that made them (test/helpers/temp.ts); the server is the caller's to close.
    cleanup: () => srv.close(),
  };
}

/**
 * A token file as `gsync login` leaves it, from the server's issueTokens (its
 * directory must exist); `expiresIn` overrides the lifetime gsync believes.
 */
export function writeLogin(srv: GlobusServer, tokenFile: string, opts: { scope?: string; expiresIn?: number } = {}): { access: string; refresh: string } {
  const t = srv.issueTokens({ clientId: DEMO_CLIENT_ID, ...(opts.scope ? { scope: opts.scope } : {}) });
  const file = {
    version: 1,
    client_id: DEMO_CLIENT_ID,
    tokens: {
      [TRANSFER_RS]: {
        access_token: t.access_token,
        expires_at: Math.floor(Date.now() / 1000) + (opts.expiresIn ?? t.expires_in),
        refresh_token: t.refresh_token,
        scope: t.scope,
      },
    },
  };
  fs.writeFileSync(tokenFile, JSON.stringify(file), { mode: 0o600 });
  return { access: t.access_token, refresh: t.refresh_token! };
}

/** writeLogin into the world's own token directory (0700, as gsync makes it). */
export function seedLogin(w: AuthWorld, opts: { expiresIn?: number } = {}): { access: string; refresh: string } {
  fs.mkdirSync(w.tokenDir, { recursive: true, mode: 0o700 });
  return writeLogin(w.srv, w.tokenFile, opts);
}

export function savedTransferToken(w: AuthWorld): { access_token: string; refresh_token?: string; expires_at: number; scope: string } {
  return JSON.parse(fs.readFileSync(w.tokenFile, 'utf8')).tokens[TRANSFER_RS];
}

/** Whether the server still honours this refresh token (note: with rotation on, a success spends it). */
export async function refreshWorks(w: AuthWorld, refreshToken: string): Promise<{ ok: boolean; error?: string }> {
  const r = await postForm(w.tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: DEMO_CLIENT_ID });
  return r.status === 200 ? { ok: true } : { ok: false, error: r.body.error };
}

/** Status of GET endpoint/<SRC_ID> with this access token: 200 when Transfer accepts it, 401 when not. */
export async function transferStatus(w: AuthWorld, accessToken: string): Promise<number> {
  const res = await fetch(new URL(`v0.10/endpoint/${SRC_ID}`, w.srv.url), { headers: { authorization: `Bearer ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}

/** Token-endpoint requests the server has answered so far (refresh, code and client-credentials grants alike). */
export const tokenPosts = (srv: GlobusServer) => srv.requests.count('/v2/oauth2/token', 'POST') - srv.requests.count('/v2/oauth2/token/revoke', 'POST');

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * "Approve" an authorize URL at the server as a browser would: the server
 * auto-approves and shows the code on its native-app page. `challenge`
 * replaces the URL's code_challenge first (the code is then bound to that one).
 */
/** A code with its last character changed: never the code itself (one that already ends in 'x' would otherwise pass). */
export const mistype = (code: string) => code.slice(0, -1) + (code.endsWith('x') ? 'y' : 'x');

export async function approve(url: string, opts: { challenge?: string } = {}): Promise<string> {
  const u = new URL(url);
  if (opts.challenge !== undefined) u.searchParams.set('code_challenge', opts.challenge);
  const res = await fetch(u);
  const html = await res.text();
  const code = /<code id="auth-code">([^<]+)<\/code>/.exec(html)?.[1];
  if (res.status !== 200 || !code) throw new Error(`authorize answered ${res.status}: ${html.slice(0, 200)}`);
  return code;
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child was still running at the timeout and was killed. */
  timedOut: boolean;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** Kill the child after this long (default 20 s) and report timedOut. */
  timeoutMs?: number;
  /** Leave stdin an open pipe (nothing written, never ended): a prompt would wait on it. Default: end it at once. */
  keepStdinOpen?: boolean;
  /**
   * For each authorize URL printed on stdout: the line to type back (undefined
   * ends stdin). Implies stdin stays open until then.
   */
  answer?: (url: string) => Promise<string | undefined>;
}

/** `node dist/bin/gsync.js ...args`; never rejects for an exit code. */
export function gsync(args: string[], opts: SpawnOptions): Promise<Ran> {
  const child = spawn(process.execPath, [CLI, ...args], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let seen = 0;
  let answering = Promise.resolve();
  child.stdin.on('error', () => {}); // the child may exit before reading
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!opts.answer) return;
    const urls = stdout.split('\n').filter((l) => /^https?:\/\/\S+$/.test(l));
    for (; seen < urls.length; seen++) {
      const url = urls[seen]!;
      answering = answering.then(async () => {
        let line: string | undefined;
        try {
          line = await opts.answer!(url);
        } catch (err) {
          stderr += `[test] answering failed: ${(err as Error).message}\n`;
          line = undefined;
        }
        if (line === undefined) child.stdin.end();
        else child.stdin.write(line + '\n');
      });
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  if (!opts.answer && !opts.keepStdinOpen) child.stdin.end();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** `gsync login --config` with every authorize URL approved at the server and its code typed back. */
export function loginCli(w: AuthWorld, extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return gsync(['login', '--config', w.configFile], { env: { ...w.env, ...extraEnv }, answer: (url) => approve(url) });
}

/** Non-empty stderr lines that are not JSON log records. */
export function messageLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}
