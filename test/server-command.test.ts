import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET } from '../src/server/index.js';
import { postForm, SRC_ID, TRANSFER_SCOPE } from './server-support.js';
import { tempDir } from './helpers/temp.js';

import { CLI } from './helpers/cli.js';
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts `gsync server ...` and resolves with the env lines it printed, once it is listening. */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [CLI, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^export GLOBUS_SDK_SERVICE_URL_AUTH=(\S+)$/m.exec(out);
      if (m) resolve({ child, url: m[1]!, out: () => out });
    });
    child.on('exit', (code) => reject(new Error(`gsync server exited ${code} before listening: ${out}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))));

async function serviceToken(url: string): Promise<string> {
  const res = await postForm(new URL('v2/oauth2/token', url).toString(), { grant_type: 'client_credentials', scope: TRANSFER_SCOPE }, [DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET]);
  expect(res.status).toBe(200);
  return res.body.access_token;
}

describe('gsync server', () => {
  it('serves --collection ID=DIR, prints both env lines with one URL, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir('gsync-cmd-');
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'hi');
    const { child, url, out } = await startCli(['--collection', `${SRC_ID}=${dir}`]);
    expect(out()).toContain(`export GLOBUS_SDK_SERVICE_URL_TRANSFER=${url}`);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const token = await serviceToken(url);
    const ls = await fetch(new URL(`v0.10/operation/endpoint/${SRC_ID}/ls?path=/`, url), { headers: { authorization: `Bearer ${token}` } });
    expect((await ls.json()).DATA.map((e: any) => e.name)).toEqual(['hello.txt']);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(out()).toMatch(/stopped\n$/);
  });

  it('reads --server-config: roots relative to the file, fault rules active from the start', async () => {
    const dir = tempDir('gsync-cmdcfg-');
    fs.mkdirSync(path.join(dir, 'data'));
    const cfg = path.join(dir, 'server.json');
    fs.writeFileSync(cfg, JSON.stringify({ collections: [{ id: SRC_ID, root: 'data', kind: 'guest' }], faults: [{ path: '/endpoint/', count: 1, action: { type: 'status', status: 429, retryAfterSeconds: 2 } }] }));
    const { child, url, out } = await startCli(['--server-config', cfg]);
    expect(out()).toContain(`collection ${SRC_ID} (guest) -> ${path.join(dir, 'data')}`);
    const token = await serviceToken(url);
    const get = () => fetch(new URL(`v0.10/endpoint/${SRC_ID}`, url), { headers: { authorization: `Bearer ${token}` } });
    const first = await get();
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('2');
    expect((await (await get()).json()).entity_type).toBe('GCSv5_guest_collection');
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
  });

  it('exits 2 with one line naming the problem: no collections, a bad ID=DIR, a missing folder, a bad config key', () => {
    const dir = tempDir('gsync-cmdbad-');
    const cfg = path.join(dir, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ collections: [{ id: 'nope', root: '.' }] }));
    const cases: Array<[string[], RegExp]> = [
      [[], /no collections/],
      [['--collection', 'abc'], /must look like ID=DIR/],
      [['--collection', `not-a-uuid=${dir}`], /is not a UUID/],
      [['--collection', `${SRC_ID}=${path.join(dir, 'missing')}`], /does not exist/],
      [['--server-config', cfg], /collections\.0\.id: must be a UUID/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [CLI, 'server', ...args], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
