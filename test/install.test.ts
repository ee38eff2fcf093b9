import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

/**
 * The package as a user gets it: `npm pack`, then an install of that tarball
 * with no network, from the npm cache that `npm ci` filled (as in CI).
 *
 * Two things differ from `npm install -g ./gsync-X.tgz`, both forced by "offline":
 * - npm resolves a tarball's dependency ranges through the registry's package
 *   documents, which `npm ci` never caches; so the tarball goes into a scratch
 *   project whose lockfile pins exactly the runtime packages of ours, and
 *   `npm ci --offline` installs it (same layout: node_modules/gsync, a bin link).
 * - better-sqlite3 12 (installed as better-sqlite3-12, src/state/sqlite-driver.ts)
 *   has no prebuilt binary without network and builds from source in 1 to 5
 *   minutes; on four Node versions that is too much for every run, so by default
 *   scripts are skipped and the addon this checkout built (same version, same
 *   Node) is copied in. GSYNC_INSTALL_TEST_BUILD=1 builds it instead. (13 needs no
 *   script: its binary is in its tarball.)
 * Packing uses --ignore-scripts because `prepare` would rebuild dist/ while other
 * test files run it; `npm test` has just built it.
 */
const REPO = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
};
const BUILD_ADDON = process.env.GSYNC_INSTALL_TEST_BUILD === '1';
/** Where npm builds better-sqlite3's addon, in each folder it may be installed under. */
const BUILT_ADDONS = ['better-sqlite3', 'better-sqlite3-12'].map((dir) => ({ dir, addon: path.join(dir, 'build', 'Release', 'better_sqlite3.node') }));

interface PackResult {
  filename: string;
  integrity: string;
  size: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

let work: string;
let pack: PackResult;
let bin: string;

/** npm with none of the npm_* variables `npm test` passes down, which would steer it. */
function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r;
}

/** A lockfile for a project that depends only on the tarball, with our lockfile's runtime packages. */
function scratchProject(dir: string, tarball: PackResult): void {
  const ours = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const spec = `file:${tarball.filename}`;
  const packages: Record<string, unknown> = {
    '': { name: 'gsync-install-test', dependencies: { gsync: spec } },
    'node_modules/gsync': {
      version: pkg.version,
      resolved: spec,
      integrity: tarball.integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      optionalDependencies: pkg.optionalDependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [where, entry] of Object.entries(ours.packages)) if (where !== '' && !entry.dev) packages[where] = entry;
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'gsync-install-test', private: true, dependencies: { gsync: spec } }));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'gsync-install-test', lockfileVersion: 3, requires: true, packages }));
}

function run(args: string[]): SpawnSyncReturns<string> {
  // The bin link runs through `#!/usr/bin/env node`: put this Node first on PATH.
  const env = { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, HOME: work, TMPDIR: work };
  return spawnSync(bin, args, { cwd: work, encoding: 'utf8', env, timeout: 120_000 });
}

beforeAll(() => {
  assertBuilt();
  work = tempDir('gsync-install-');
  const project = path.join(work, 'project');
  fs.mkdirSync(project);
  pack = (JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', project], REPO).stdout) as PackResult[])[0]!;
  scratchProject(project, pack);
  npm(['ci', '--offline', ...(BUILD_ADDON ? [] : ['--ignore-scripts'])], project);
  const modules = path.join(project, 'node_modules');
  if (!BUILD_ADDON) {
    const version = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    for (const { dir, addon } of BUILT_ADDONS) {
      if (!fs.existsSync(path.join(REPO, 'node_modules', addon))) continue;
      expect(version(path.join(modules, dir)), 'the copied addon must come from the same better-sqlite3').toBe(version(path.join(REPO, 'node_modules', dir)));
      fs.mkdirSync(path.dirname(path.join(modules, addon)), { recursive: true });
      fs.copyFileSync(path.join(REPO, 'node_modules', addon), path.join(modules, addon));
    }
  }
  bin = path.join(modules, '.bin', 'gsync');
}, BUILD_ADDON ? 20 * 60_000 : 5 * 60_000);

describe('the packed tarball', () => {
  it('holds what runs and the documents, and no tests, benchmark, sources or source maps', () => {
    const files = pack.files.map((f) => f.path).sort();
    expect(files.filter((f) => f.startsWith('test/'))).toEqual([]);
    const top = ['LICENSE', 'README.md', 'config.example.json', 'package.json'];
    // Anything else that ever leaks in (bench/, scripts/, src/*.ts, *.map) fails here.
    const monitoring = ['monitoring/gsync.rules.yml', 'monitoring/gsync.rules.test.yml'];
    expect(files.filter((f) => !top.includes(f) && !monitoring.includes(f) && !f.startsWith('systemd/') && !(f.startsWith('dist/bin/') && f.endsWith('.js')))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([...top, ...monitoring, 'dist/bin/gsync.js', 'dist/bin/scan-worker.js', 'systemd/gsync@.service', 'systemd/gsync@.timer', 'systemd/gsync-watch@.service', 'systemd/gsync-verify@.service', 'systemd/gsync-verify@.timer']),
    );
    expect(fs.readFileSync(path.join(REPO, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });

  it('has no install-time script of its own (prepare runs only in a checkout), and ships its built entry point', () => {
    const installed = JSON.parse(fs.readFileSync(path.join(work, 'project', 'node_modules', 'gsync', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    for (const hook of ['preinstall', 'install', 'postinstall']) expect(installed.scripts?.[hook], hook).toBeUndefined();
    expect(fs.existsSync(path.join(work, 'project', 'node_modules', 'gsync', pkg.bin.gsync!))).toBe(true);
  });

  it('the installed gsync prints its version', () => {
    const r = run(['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it('the installed gsync demo syncs the sample tree and finds both trees equal', () => {
    const r = run(['demo']);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^The destination equals the source: 38 files, [\d.]+ MB, contents compared byte for byte\.$/m);
  });
});
