import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coveringPath, readSharedPaths } from '../src/collections/gcp-paths.js';
import { findLocalCollection } from '../src/collections/local.js';
import { GsyncError } from '../src/errors/errors.js';

/** The local collection found by itself: GSYNC_LOCAL_COLLECTION, Globus Connect Personal's files, Globus Connect Server's info.json. */
let base: string;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-local-'));
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

const GCP = 'c0c0c0c0-0000-4000-8000-000000000001';
const EP = 'c0c0c0c0-0000-4000-8000-0000000000e1';

function machine(opts: { gcpId?: string; configPaths?: string; gcsInfo?: string } = {}): NodeJS.ProcessEnv {
  const home = path.join(base, 'home');
  const lta = path.join(home, '.globusonline', 'lta');
  fs.mkdirSync(lta, { recursive: true });
  if (opts.gcpId !== undefined) fs.writeFileSync(path.join(lta, 'client-id.txt'), opts.gcpId);
  if (opts.configPaths !== undefined) fs.writeFileSync(path.join(lta, 'config-paths'), opts.configPaths);
  const info = path.join(base, 'info.json');
  if (opts.gcsInfo !== undefined) fs.writeFileSync(info, opts.gcsInfo);
  return { HOME: home, GSYNC_GCS_INFO: info };
}

describe("Globus Connect Personal's config-paths", () => {
  it('path,sharing,rw lines: ~ is home, a comma may be in the path, blank and # lines skipped', () => {
    const home = path.join(base, 'h');
    const file = path.join(base, 'config-paths');
    fs.writeFileSync(file, '# shared folders\n~/,0,1\n\n/data/run,a,0,0\n/scratch,1,1\n');
    const shared = readSharedPaths(file, home);
    expect(shared.map((s) => [s.written, s.absolute, s.line, s.writable])).toEqual([
      ['~/', home, 2, true],
      ['/data/run,a', '/data/run,a', 4, false],
      ['/scratch', '/scratch', 5, true],
    ]);
  });

  it('no file: the home directory alone, as Globus Connect Personal shares by default', () => {
    expect(readSharedPaths(path.join(base, 'missing'), '/home/x').map((s) => s.absolute)).toEqual(['/home/x']);
  });

  it('the deepest shared path covering a directory; a sibling with the same prefix is not covered', () => {
    const shared = readSharedPaths(path.join(base, 'missing'), '/data').concat(readSharedPaths(path.join(base, 'missing'), '/data/raw'));
    expect(coveringPath(shared, '/data/raw/run1')?.absolute).toBe('/data/raw');
    expect(coveringPath(shared, '/data')?.absolute).toBe('/data');
    expect(coveringPath(shared, '/database')).toBeUndefined();
  });
});

describe('findLocalCollection', () => {
  it('GSYNC_LOCAL_COLLECTION first, then client-id.txt, then info.json', () => {
    const env = machine({ gcpId: `${GCP}\n`, gcsInfo: JSON.stringify({ endpoint_id: EP }) });
    const src = path.join(base, 'home', 'data');
    fs.mkdirSync(src);
    expect(findLocalCollection(src, { ...env, GSYNC_LOCAL_COLLECTION: EP })).toEqual({ kind: 'env', collection: EP, from: 'GSYNC_LOCAL_COLLECTION' });
    expect(findLocalCollection(src, env)).toMatchObject({ kind: 'gcp', collection: GCP });
    fs.rmSync(path.join(base, 'home', '.globusonline', 'lta', 'client-id.txt'));
    expect(findLocalCollection(src, env)).toEqual({ kind: 'gcs', endpoint: EP, from: env.GSYNC_GCS_INFO });
  });

  it('a source outside what Globus Connect Personal shares is refused (usage)', () => {
    const env = machine({ gcpId: GCP, configPaths: '~/shared,0,1\n' });
    const err = (() => {
      try {
        findLocalCollection(base, env);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GsyncError);
    expect((err as GsyncError).kind).toBe('usage');
    expect((err as GsyncError).message).toBe(`source directory ${base} is not shared by Globus Connect Personal ${GCP} (it shares ~/shared)`);
  });

  it('a malformed info.json counts as no Globus Connect Server (as the SDK reads it); a bad GSYNC_LOCAL_COLLECTION is refused', () => {
    expect(findLocalCollection(base, machine({ gcsInfo: '{not json' }))).toBeUndefined();
    expect(findLocalCollection(base, machine({ gcsInfo: JSON.stringify({ endpoint_id: 7 }) }))).toBeUndefined();
    expect(() => findLocalCollection(base, { ...machine(), GSYNC_LOCAL_COLLECTION: 'laptop' })).toThrow(/not a collection UUID/);
  });
});
