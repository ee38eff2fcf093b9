import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../src/commands/context.js';
import { testConfigCommand } from '../src/commands/test-config.js';
import { DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT_ENV } from '../src/server/index.js';
import { tempDir } from './helpers/temp.js';
import { DST_ID, SRC_ID, world, type World } from './server-support.js';

/**
 * test-config in pull mode (issue 29): the source path is listed through Globus
 * (never looked at on this host), the destination path exists, and with
 * destination.localPath a probe file written there is found through a Globus
 * listing of destination.path, then removed.
 */
let w: World;
beforeAll(async () => {
  w = await world();
  fs.mkdirSync(path.join(w.src, 'remote'));
});
afterAll(() => w.cleanup());

let jobs = 0;
function job(opts: { sourcePath?: string; localPath?: (destDir: string) => string | undefined } = {}) {
  const home = tempDir('gsync-pull-checks-');
  const destRel = `pulled-${++jobs}`;
  const destDir = path.join(w.dst, destRel);
  fs.mkdirSync(destDir);
  const localPath = opts.localPath ? opts.localPath(destDir) : destDir;
  const raw = {
    name: 'pc',
    source: { collection: SRC_ID, path: opts.sourcePath ?? '/remote', listing: 'globus' },
    destination: { collection: DST_ID, path: `/${destRel}`, ...(localPath === undefined ? {} : { localPath }) },
    auth: { clientId: DEMO_CLIENT_ID, tokenFile: path.join(home, 'tokens.json') },
    state: { path: path.join(home, 'state', 'job.db') },
  };
  const config = path.join(home, 'gsync.json');
  fs.writeFileSync(config, JSON.stringify(raw));
  return { config, destDir };
}

async function check(config: string) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const ctx: CommandContext = { global: { config, quiet: true }, out, env: { ...w.srv.env, ...DEMO_SERVICE_ACCOUNT_ENV }, interactive: false, stdin: new PassThrough() };
  const code = await testConfigCommand({}, ctx);
  const lines = text.trimEnd().split('\n');
  return { code, lines, line: (prefix: string) => lines.find((l) => l.startsWith(prefix)) };
}

describe('gsync test-config in pull mode', () => {
  it('all in order: the source is listed through Globus, the local destination folder proven by a probe that is then removed', async () => {
    const j = job();
    const r = await check(j.config);
    expect(r.line('ok   source directory /remote')).toMatch(/is listed through Globus .*never read on this host/);
    expect(r.line('ok   source path /remote')).toBe('ok   source path /remote exists');
    expect(r.line('ok   destination path')).toBeDefined();
    expect(r.line('ok   destination local path')).toMatch(new RegExp(`^ok   destination local path ${j.destDir} as /pulled-\\d+ is right: Globus lists the probe file \\.gsync-probe-[0-9a-f]{16} \\(\\d+ B\\)`));
    expect(r.lines.at(-1)).toMatch(/^all \d+ checks passed/);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(j.destDir)).toEqual([]);
  });

  it('a localPath that is another folder fails, naming the key to fix; the probe is gone', async () => {
    const elsewhere = tempDir('gsync-pull-elsewhere-');
    const j = job({ localPath: () => elsewhere });
    const r = await check(j.config);
    expect(r.line('FAIL destination local path')).toMatch(/a probe file written in .* is not in \/pulled-\d+ on collection/);
    expect(r.lines.join('\n')).toMatch(/set destination\.localPath in .* to the folder destination\.path is on this host/);
    expect(r.code).toBe(1);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('a source path the collection lacks fails its line; no localPath is a remote-to-remote pull (skipped, not failed)', async () => {
    const j = job({ sourcePath: '/nowhere', localPath: () => undefined });
    const r = await check(j.config);
    expect(r.line('FAIL source path /nowhere')).toBeDefined();
    expect(r.lines.join('\n')).toMatch(/fix source\.path in .*: with source\.listing "globus" it is the folder's path on the source collection/);
    expect(r.line('skip destination local path')).toMatch(/remote-to-remote/);
  });
});
