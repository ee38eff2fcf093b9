import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openState } from '../src/state/open.js';
import { ship } from './helpers/ship.js';
import { dir, makeTree } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';

import { assertBuilt, CLI } from './helpers/cli.js';

function gsync(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, GSYNC_CONFIG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function job(source: string, extra: Record<string, unknown> = {}): { config: string; statePath: string } {
  const home = tempDir('gsync-plan-cli-');
  const statePath = path.join(home, 'state', 'job.db');
  const config = path.join(home, 'gsync.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      name: 'cli',
      source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: source, collectionPath: '/~/instrument' },
      destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/archive/instrument' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2' },
      state: { path: statePath },
      scan: { minAgeSeconds: 0 },
      ...extra,
    }),
  );
  return { config, statePath };
}

const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('gsync plan (built CLI)', () => {
  beforeAll(() => {
    assertBuilt();
  });

  it('--json: one transfer_item per line, then one totals object without item keys; no state is created', () => {
    const source = makeTree({ 'a.dat': 'aaaa', 'b/c.dat': 'cc', 'e/': dir() });
    const { config, statePath } = job(source);
    const r = gsync(['plan', '--json', '-c', config], tempDir());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toEqual([
      { DATA_TYPE: 'transfer_item', source_path: '/~/instrument/', destination_path: '/archive/instrument/', recursive: true },
      expect.objectContaining({ DATA_TYPE: 'gsync_plan_totals', items: 1, files: 2, bytes: 6, deferred: 0, excluded: 0, skipped: 0 }),
    ]);
    expect(Object.keys(out[1]!)).not.toContain('source_path');
    expect(fs.existsSync(statePath)).toBe(false);
    expect(fs.existsSync(path.dirname(statePath))).toBe(false);
  });

  it('against existing state: lists only what changed, and changes neither the database bytes nor its rows', () => {
    const source = makeTree({ 'old/a.dat': 'a', 'skip.tmp': 't' });
    const { config, statePath } = job(source, { scan: { minAgeSeconds: 0, exclude: ['*.tmp'] } });
    const state = openState(statePath);
    ship(source, state);
    state.close();
    makeTree({ 'old/new.dat': 'new', 'fresh/x.dat': 'x', 'line\nbreak.dat': 'n' }, source);
    fs.rmSync(path.join(source, 'old/a.dat'));
    const snapshot = () => fs.readFileSync(statePath);
    const before = snapshot();
    const r = gsync(['plan', '--json', '-c', config], tempDir());
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out.slice(0, -1)).toEqual([
      { DATA_TYPE: 'transfer_item', source_path: '/~/instrument/fresh/', destination_path: '/archive/instrument/fresh/', recursive: true },
      { DATA_TYPE: 'transfer_item', source_path: '/~/instrument/line\nbreak.dat', destination_path: '/archive/instrument/line\nbreak.dat', recursive: false },
      { DATA_TYPE: 'transfer_item', source_path: '/~/instrument/old/new.dat', destination_path: '/archive/instrument/old/new.dat', recursive: false },
    ]);
    expect(out.at(-1)).toMatchObject({ items: 3, files: 3, excluded: 1, gone: 1 });
    expect(snapshot().equals(before)).toBe(true);
    const after = openState(statePath, { readonly: true });
    expect(after.db.prepare(`SELECT count(*) FROM node WHERE seen_kind IS NOT NULL OR gone = 1`).pluck().get()).toBe(0);
    after.close();

    const text = gsync(['plan', '-c', config], tempDir());
    expect(text.stdout.trim().split('\n')).toEqual([
      '/~/instrument/fresh/ -> /archive/instrument/fresh/  (dir  1 files, 1 B)',
      '"/~/instrument/line\\nbreak.dat" -> "/archive/instrument/line\\nbreak.dat"  (file 1 B)',
      '/~/instrument/old/new.dat -> /archive/instrument/old/new.dat  (file 3 B)',
      'plan: 3 item(s), 3 file(s), 5 B; deferred 0 (too recent), excluded 1, skipped 0, in flight 0, gone 1',
    ]);
  });

  it('a missing source directory: exit 2 and one line naming source.path', () => {
    const missing = path.join(tempDir(), 'not-there');
    const r = gsync(['plan', '-c', job(missing).config], tempDir());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`gsync: source.path ${missing}: does not exist`);
  });
});
