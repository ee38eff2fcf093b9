import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A minimal Globus stand-in on 127.0.0.1 for the auth tests, until the
 * project's local server covers them: authorize (auto-approve, code in
 * HTML), token grants with PKCE and refresh rotation, revoke, GET endpoint.
 */
const fixtures = '/work/shared/fixtures/globus';
export const fx = (f: string) => JSON.parse(fs.readFileSync(path.join(fixtures, f), 'utf8'));
export const MAPPED = fx('endpoint_get_mapped.json');
export const GUEST = fx('endpoint_get_guest.json');

export interface Stub {
  url: string;
  codes: Map<string, { challenge: string; scope: string }>;
  liveRefresh: Set<string>;
  liveAccess: Set<string>;
  revoked: string[];
  refreshGrants: () => number;
  close(): Promise<void>;
}

export async function startStub(): Promise<Stub> {
  const codes = new Map<string, { challenge: string; scope: string }>();
  const liveRefresh = new Set<string>();
  const liveAccess = new Set<string>();
  const revoked: string[] = [];
  let refreshGrants = 0;
  const rand = (p: string) => p + crypto.randomBytes(9).toString('hex');
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const tokenSet = (scope: string) => {
    const access_token = rand('AT');
    const refresh_token = rand('RT');
    liveAccess.add(access_token);
    liveRefresh.add(refresh_token);
    return { access_token, refresh_token, scope, expires_in: 172800, token_type: 'Bearer', resource_server: 'transfer.api.globus.org', other_tokens: [] };
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    let body = '';
    for await (const c of req) body += c;
    const form = new URLSearchParams(body);
    if (req.method === 'GET' && url.pathname === '/v2/oauth2/authorize') {
      const code = rand('CODE');
      codes.set(code, { challenge: url.searchParams.get('code_challenge')!, scope: url.searchParams.get('scope')! });
      return res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><code id="auth-code">${code}</code></html>`);
    }
    if (req.method === 'POST' && url.pathname === '/v2/oauth2/token') {
      if (form.get('grant_type') === 'authorization_code') {
        const entry = codes.get(form.get('code')!);
        const verifier = form.get('code_verifier') ?? '';
        if (!entry || crypto.createHash('sha256').update(verifier).digest('base64url') !== entry.challenge) return json(res, 401, fx('token_error_invalid_grant.json'));
        codes.delete(form.get('code')!);
        return json(res, 200, tokenSet(entry.scope));
      }
      if (form.get('grant_type') === 'refresh_token') {
        refreshGrants++;
        const rt = form.get('refresh_token')!;
        if (!liveRefresh.delete(rt)) return json(res, 401, fx('token_error_invalid_grant.json'));
        return json(res, 200, tokenSet('urn:globus:auth:scope:transfer.api.globus.org:all'));
      }
    }
    if (req.method === 'POST' && url.pathname === '/v2/oauth2/token/revoke') {
      const t = form.get('token')!;
      revoked.push(t);
      liveRefresh.delete(t);
      liveAccess.delete(t);
      return json(res, 200, fx('token_revoke.json'));
    }
    const ep = /^\/v0\.10\/endpoint\/([0-9a-f-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && ep) {
      if (!liveAccess.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) return json(res, 401, fx('error_authentication_failed.json'));
      const doc = [MAPPED, GUEST].find((d) => d.id === ep[1]);
      return doc ? json(res, 200, doc) : json(res, 404, { code: 'EndpointNotFound', message: 'no such endpoint' });
    }
    json(res, 404, { code: 'NotFound', message: `${req.method} ${url.pathname}` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, codes, liveRefresh, liveAccess, revoked, refreshGrants: () => refreshGrants, close: () => new Promise((r) => server.close(() => r())) };
}

