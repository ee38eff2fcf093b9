import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CommandContext } from '../src/commands/context.js';
import { versionCommand } from '../src/commands/version.js';
import { SCHEMA_VERSION } from '../src/state/migrations.js';
import { assertBuilt, CLI, gsync } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

// `gsync version` is what someone runs when things are broken: it must not need
// the SQLite addon (nor pay for loading it). The addon is loaded only through
// sqliteDatabase() (src/state/sqlite-driver.ts, with require, which vi.mock of the
// package would not see): calling it fails this file.
vi.mock('../src/state/sqlite-driver.js', () => ({
  sqliteDatabase: () => {
    throw new Error('gsync version loaded better-sqlite3');
  },
  sqliteDriverName: () => null,
}));

const REPO = path.resolve(import.meta.dirname, '..');
const repoVersion = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

let copy: string;
beforeAll(() => {
  assertBuilt();
  // The built CLI beside a package.json of another version: what it prints must come from that file.
  copy = tempDir('gsync-version-');
  fs.cpSync(path.dirname(CLI), path.join(copy, 'dist', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: 'gsync', version: '7.8.9-rc.1', type: 'module' }));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
});

describe('gsync --version', () => {
  it('prints the version in package.json, alone on stdout', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await gsync([flag]);
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${repoVersion}\n`, stderr: '' });
    }
  });

  it('is read from package.json when it runs, not fixed at build time', () => {
    const r = spawnSync(process.execPath, [path.join(copy, 'dist', 'bin', path.basename(CLI)), '--version'], { encoding: 'utf8' });
    expect(r.stdout, r.stderr).toBe('7.8.9-rc.1\n');
  });
});

describe('gsync version', () => {
  it('--json: gsync, Node and state schema versions as one object', async () => {
    const r = await gsync(['version', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      gsync: repoVersion,
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      stateSchema: SCHEMA_VERSION,
    });
  });

  it('prints readable lines without --json, and needs no config and no SQLite', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    // A config path that does not exist: version must not look at it.
    const ctx: CommandContext = { global: { config: path.join(copy, 'missing.json') }, out, env: {}, interactive: false, stdin: new PassThrough() };
    expect(await versionCommand({}, ctx)).toBe(0);
    expect(text).toBe(`gsync ${repoVersion}\nnode ${process.version} (${process.platform} ${process.arch})\nstate schema ${SCHEMA_VERSION}\n`);
  });
});
