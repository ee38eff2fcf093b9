import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTree } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';

import { assertBuilt, CLI } from './helpers/cli.js';

function gsync(args: string[], input?: string | Buffer, cwd = tempDir()) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, input, encoding: 'utf8', env: { ...process.env, GSYNC_CONFIG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function job(source: string): string {
  const home = tempDir('gsync-changes-cli-');
  const config = path.join(home, 'gsync.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      name: 'chg',
      source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: source, collectionPath: '/' },
      destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/dst/' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2' },
      state: { path: path.join(home, 'state.db') },
      scan: { minAgeSeconds: 0 },
    }),
  );
  return config;
}

const sources = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { DATA_TYPE: string; source_path?: string })
    .filter((o) => o.DATA_TYPE === 'transfer_item')
    .map((o) => o.source_path);

describe('gsync plan --changes (built CLI)', () => {
  beforeAll(() => {
    assertBuilt();
  });

  it('lines from stdin: only the listed paths are planned; a path outside the source is refused with a warning naming it', () => {
    const source = makeTree({ 'a.dat': 'a', 'b.dat': 'b', 'd/c.dat': 'c', 'd/e.dat': 'e' });
    const r = gsync(['plan', '--json', '-c', job(source), '--changes', '-'], `${source}/a.dat\nd/c.dat\n/etc/passwd\n`);
    expect(r.code).toBe(0);
    expect(sources(r.stdout)).toEqual(['/a.dat', '/d/c.dat']);
    expect(r.stderr).toContain('/etc/passwd is outside source.path');
  });

  it('relative paths as find printed them, from the working directory; paths that exist nowhere are counted in a warning (issue 31.4)', () => {
    const source = makeTree({ 'raw/a.dat': 'a', 'raw/b.dat': 'b', 'c.dat': 'c' });
    const config = job(source);
    // find srccoll/raw -newer mark, run beside the source directory; then a path relative to source.path, and two typos.
    const list = `${path.basename(source)}/raw/a.dat\nc.dat\n${path.basename(source)}/raw/nope.dat\nelsewhere/x.dat\n`;
    const r = gsync(['plan', '--json', '-c', config, '--changes', '-'], list, path.dirname(source));
    expect(r.code).toBe(0);
    expect(sources(r.stdout)).toEqual(['/c.dat', '/raw/a.dat']);
    expect(r.stderr).toContain(`change list: 2 of 4 listed paths exist nowhere under ${source}`);
  });

  it('nul and gpfs files, names with a newline and escaped bytes included', () => {
    const source = makeTree({ 'two\nlines.dat': 'x', 'sp ace.dat': 's', 'other.dat': 'o' });
    const config = job(source);
    const nul = path.join(tempDir(), 'list.nul');
    fs.writeFileSync(nul, `${source}/two\nlines.dat\0`);
    expect(sources(gsync(['plan', '--json', '-c', config, '--changes', nul, '--changes-format', 'nul']).stdout)).toEqual(['/two\nlines.dat']);
    const gpfs = path.join(tempDir(), 'list.gpfs');
    fs.writeFileSync(gpfs, `101 7 0 -- ${source}/sp%20ace.dat\n102 7 0 -- ${source}/two%0Alines.dat\n`);
    const r = gsync(['plan', '--json', '-c', config, '--changes', gpfs, '--changes-format', 'gpfs']);
    expect(r.code).toBe(0);
    expect(sources(r.stdout)).toEqual(['/sp ace.dat', '/two\nlines.dat']);
  });

  it('a bad --changes-format, an unreadable list or a malformed gpfs record: one line, exit 2', () => {
    const source = makeTree({ 'a.dat': 'a' });
    const config = job(source);
    const badFormat = gsync(['plan', '-c', config, '--changes', '-', '--changes-format', 'csv'], '');
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr.trim().split('\n')).toHaveLength(1);
    expect(badFormat.stderr).toContain('--changes-format');
    const missing = gsync(['run', '-c', config, '--changes', '/nonexistent/list']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('--changes /nonexistent/list: cannot be read (ENOENT)');
    const malformed = gsync(['plan', '-c', config, '--changes', '-', '--changes-format', 'gpfs'], `1 2 0 -- ${source}/a.dat\n${source}/a.dat\n`);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('record 2 is not a gpfs change-list entry');
  });
});
