import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/temp.js';
import { startGlobusServer, type GlobusServer, type GlobusServerOptions } from '../src/server/index.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/globus/', import.meta.url));
export const SRC_ID = '1405823f-0597-4a16-b296-46d4f0ae4b15';
export const DST_ID = '0e4a77f8-b778-4d5c-abaa-e1254e71427f';
export const TRANSFER_SCOPE = 'urn:globus:auth:scope:transfer.api.globus.org:all';

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

/**
 * Differences between the key sets of two documents, recursively (values ignored):
 * nested objects key by key, lists by their first elements. Empty when the shapes agree.
 */
export function keyDiff(actual: unknown, expected: unknown, at = '$'): string[] {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return expected.length && actual.length ? keyDiff(actual[0], expected[0], `${at}[0]`) : [];
  }
  if (!isObject(expected) || !isObject(actual)) return [];
  const out: string[] = [];
  for (const k of Object.keys(expected)) if (!(k in actual)) out.push(`${at}.${k} missing`);
  for (const k of Object.keys(actual)) if (!(k in expected)) out.push(`${at}.${k} extra`);
  for (const k of Object.keys(expected)) if (k in actual) out.push(...keyDiff(actual[k], expected[k], `${at}.${k}`));
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface World {
  srv: GlobusServer;
  src: string;
  dst: string;
  token: string;
  /** fetch against the server with the Bearer token; JSON body in, {status, body, headers} out. */
  call(method: string, p: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }>;
  /** GET submission_id then POST transfer; returns the submit answer. */
  submit(doc: Record<string, unknown>): Promise<{ status: number; body: any }>;
  waitDone(taskId: string): Promise<any>;
  cleanup(): Promise<void>;
}

/**
 * The local server over two fresh folders in a new temporary base: SRC_ID (a
 * mapped collection) on base/src and DST_ID (a guest collection) on base/dst,
 * unless `options.collections` says otherwise.
 */
export async function twoCollections(prefix: string, options: GlobusServerOptions = {}): Promise<{ srv: GlobusServer; base: string; src: string; dst: string }> {
  const base = tempDir(`gsync-${prefix}-`);
  const src = path.join(base, 'src');
  const dst = path.join(base, 'dst');
  fs.mkdirSync(src);
  fs.mkdirSync(dst);
  const srv = await startGlobusServer({
    faultRetryMs: 20,
    ...options,
    collections: options.collections ?? [
      { id: SRC_ID, root: src, kind: 'mapped' },
      { id: DST_ID, root: dst, kind: 'guest' },
    ],
  });
  return { srv, base, src, dst };
}

/** Two collections over two fresh temporary folders, and a token that may use both. */
export async function world(options: GlobusServerOptions = {}): Promise<World> {
  const { srv, base, src, dst } = await twoCollections('server', options);
  const token = srv.issueTokens().access_token;
  const call: World['call'] = async (method, p, body, tok = token) => {
    const res = await fetch(new URL(p.replace(/^\//, ''), srv.url), {
      method,
      headers: { authorization: `Bearer ${tok}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const submit: World['submit'] = async (doc) => {
    const sid = (await call('GET', '/v0.10/submission_id')).body.value;
    return call('POST', '/v0.10/transfer', { DATA_TYPE: 'transfer', submission_id: sid, source_endpoint: SRC_ID, destination_endpoint: DST_ID, ...doc });
  };
  const waitDone = async (taskId: string) => {
    await srv.tasks.waitFor(taskId);
    return (await call('GET', `/v0.10/task/${taskId}`)).body;
  };
  return { srv, src, dst, token, call, submit, waitDone, cleanup: () => srv.close() };
}

export const item = (source_path: string, destination_path: string, recursive = false) => ({ DATA_TYPE: 'transfer_item', source_path, destination_path, recursive });

/** Write files from a literal map of relative path → content; a trailing "/" makes an empty directory. */
export function writeTree(root: string, tree: Record<string, string>): void {
  for (const [rel, content] of Object.entries(tree)) {
    const p = path.join(root, rel);
    if (rel.endsWith('/')) fs.mkdirSync(p, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
  }
}

/** Relative path → content ("/" suffix for directories), symlinks not followed. */
export function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[r + '/'] = '';
        walk(path.join(dir, e.name), r);
      } else if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(dir, e.name))}`;
      else out[r] = fs.readFileSync(path.join(dir, e.name), 'utf8');
    }
  };
  walk(root, '');
  return out;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function postForm(url: string, fields: Record<string, string>, basic?: [string, string]): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`;
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(fields).toString() });
  return { status: res.status, body: await res.json() };
}
