import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../src/commands/context.js';
import { rebindCommand } from '../src/commands/rebind.js';
import { testConfigCommand } from '../src/commands/test-config.js';
import { parseConfig } from '../src/config/load.js';
import { exitCodeForRun } from '../src/run/outcome.js';
import { openState } from '../src/state/open.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { runningAsRoot } from './helpers/unprivileged.js';
import { SRC_ID, writeTree } from './server-support.js';

let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

const transferPosts = () => w.srv.requests.count('/transfer', 'POST');
const probesLeft = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('.gsync-probe-'));

/** Edits the job file and the world's config object alike, so in-process runs and the CLI see the same job. */
function edit(change: (raw: Record<string, any>) => void): void {
  const raw = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
  change(raw);
  fs.writeFileSync(w.configFile, JSON.stringify(raw, null, 2));
  const parsed = parseConfig(raw, w.configFile, w.env);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  Object.assign(w.config, parsed.config);
}

function context(): { ctx: CommandContext; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { ctx: { global: { config: w.configFile, quiet: true }, out, env: w.env, interactive: false, stdin: new PassThrough() }, text: () => text };
}

async function testConfig(): Promise<{ code: number; lines: string[] }> {
  const { ctx, text } = context();
  const code = await testConfigCommand({ login: false }, ctx);
  return { code, lines: text().trimEnd().split('\n') };
}

/**
 * The source collection's root holds two folders: data/run (the source folder, 10 B) and
 * other (an unrelated folder with a 6 B file of the same name).
 */
async function twoFolders(collectionPath: string): Promise<string> {
  w = await jobWorld();
  writeTree(w.src, { 'data/run/sub/real.dat': '0123456789', 'other/sub/real.dat': 'wrong!' });
  const source = path.join(w.src, 'data', 'run');
  edit((raw) => (raw.source = { collection: SRC_ID, path: source, collectionPath }));
  return source;
}

describe('the source mapping is proven', { timeout: 90_000 }, () => {
  it('a wrong collectionPath fails test-config, naming both paths and the mapping that works; the probe is gone', async () => {
    const source = await twoFolders('/other');
    const r = await testConfig();
    const line = r.lines.find((l) => l.startsWith('FAIL source mapping'))!;
    expect(line).toMatch(new RegExp(`^FAIL source mapping ${source} as /other: ${source}/\\.gsync-probe-[0-9a-f]{16} \\(source\\.path ${source}\\) should be /other/\\.gsync-probe-`));
    expect(line).toContain('but Globus finds nothing at /other/.gsync-probe-');
    expect(line).toMatch(/-> it is at \/data\/run\/\.gsync-probe-[0-9a-f]{16}: set source\.collectionPath to "\/data\/run"$/);
    expect(r.lines.at(-1)).toBe('1 of 11 checks failed (source mapping): not ready for cron');
    expect(r.code).toBe(1);
    expect(probesLeft(source)).toEqual([]);
  });

  it('a wrong collectionPath makes run refuse before any transfer: exit 2, one line with the inferred mapping', async () => {
    const source = await twoFolders('/other');
    const r = await gsync(['--config', w.configFile, 'run', '--wait'], { env: w.env });
    expect(r.code).toBe(2);
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('gsync:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^gsync: source mapping not proven, nothing was transferred: .* \(it is at \/data\/run\/\.gsync-probe-[0-9a-f]{16}: set source\.collectionPath to "\/data\/run"\)$/);
    expect(transferPosts()).toBe(0);
    expect(fs.existsSync(path.join(w.dst, 'sub'))).toBe(false);
    expect(probesLeft(source)).toEqual([]);

    // Fixed as suggested: the next run proves it and ships the right file, once.
    edit((raw) => (raw.source.collectionPath = '/data/run'));
    const fixed = await gsync(['--config', w.configFile, 'run', '--wait'], { env: w.env });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fs.readFileSync(path.join(w.dst, 'sub', 'real.dat'), 'utf8')).toBe('0123456789');
    const stats = () => w.srv.requests.count(`/v0.10/operation/endpoint/${SRC_ID}/stat`, 'GET');
    const before = stats();
    fs.writeFileSync(path.join(source, 'more.dat'), 'more');
    expect((await gsync(['--config', w.configFile, 'run', '--wait'], { env: w.env })).code).toBe(0);
    expect(stats()).toBe(before); // proven once per job, not per run
  });

  it('a right collectionPath passes test-config and the run ships', async () => {
    const source = await twoFolders('/data/run');
    const r = await testConfig();
    expect(r.lines.find((l) => l.startsWith('ok   source mapping'))).toMatch(/is right: Globus sees a probe file \(\.gsync-probe-[0-9a-f]{16}, \d+ B\) at \/data\/run\/\.gsync-probe-/);
    expect(r.code).toBe(0);
    expect(probesLeft(source)).toEqual([]);
    const run = await w.run();
    expect(exitCodeForRun(run)).toBe(0);
    expect(fs.readFileSync(path.join(w.dst, 'sub', 'real.dat'), 'utf8')).toBe('0123456789');
  });

  it('a read-only source: an existing file stands in for the probe, and the line says which', async () => {
    const source = await twoFolders('/data/run');
    fs.chmodSync(source, 0o555);
    try {
      const ok = await gsync(['--config', w.configFile, 'test-config', '--no-login'], { env: w.env, unprivileged: true });
      expect(ok.stdout).toMatch(/ok {3}source mapping .* is right: Globus sees the existing file sub\/real\.dat \(10 B, modified .*; source\.path cannot be written, so no probe file\) at \/data\/run\/sub\/real\.dat/);
      // The same file at the wrong place has another size: refused, with the mapping that works.
      edit((raw) => (raw.source.collectionPath = '/other'));
      const bad = await gsync(['--config', w.configFile, 'test-config', '--no-login'], { env: w.env, unprivileged: true });
      expect(bad.stdout).toContain('but Globus finds a different file there (6 B');
      expect(bad.stdout).toContain('set source.collectionPath to "/data/run"');
      expect(bad.code).toBe(1);
    } finally {
      fs.chmodSync(source, 0o755);
    }
    expect(probesLeft(source)).toEqual([]);
  });
  if (!runningAsRoot) it.skip('(the read-only case drops privileges only when run as root)', () => {});
});

describe('the state is bound to both ends', { timeout: 90_000 }, () => {
  it('a changed destination refuses plan and run (exit 2, naming the change and the choices); after gsync rebind everything ships there', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    expect(exitCodeForRun(await w.run())).toBe(0);
    fs.mkdirSync(path.join(w.dst, 'new'));
    edit((raw) => (raw.destination.path = '/new'));

    for (const cmd of [['plan'], ['run', '--wait']]) {
      const r = await gsync(['--config', w.configFile, ...cmd], { env: w.env });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `gsync: state database ${w.config.state.path} was built for other ends than ${w.configFile} names (destination.path / -> /new) ` +
          `(run gsync rebind --config ${w.configFile} to accept the new ends (a new destination has received nothing yet, so gsync rebind makes everything owed again there), or point state.path at a new file)`,
      );
    }
    expect(fs.readdirSync(path.join(w.dst, 'new'))).toEqual([]);

    const { ctx, text } = context();
    expect(await rebindCommand(ctx)).toBe(0);
    expect(text()).toContain('destination.path / -> /new: the new destination has none of the 3 paths shipped before, so the next run ships everything');
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(0);
    expect(r.files).toBe(2);
    expect(fs.readFileSync(path.join(w.dst, 'new', 'd', 'b.txt'), 'utf8')).toBe('b');
    expect(fs.readFileSync(path.join(w.dst, 'new', 'a.txt'), 'utf8')).toBe('a');
    expect((await w.run()).result).toBe('nothing-to-do');
  });

  it('a changed source mapping needs only the probe: nothing ships again', async () => {
    await twoFolders('/data/run');
    expect(exitCodeForRun(await w.run())).toBe(0);
    // The same folder seen through a home-rooted path: the collection path changes, the data does not.
    edit((raw) => (raw.source.collectionPath = '/~/data/run'));
    await expect(w.run()).rejects.toMatchObject({ kind: 'config', message: expect.stringContaining('source.collectionPath /data/run -> /~/data/run') });
    const { ctx, text } = context();
    expect(await rebindCommand(ctx)).toBe(0);
    expect(text()).toContain('what was shipped stands; the next run proves the new source mapping');
    const posts = transferPosts();
    fs.writeFileSync(path.join(w.config.source.path, 'n.dat'), 'n');
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(0);
    expect(r.files).toBe(1);
    expect(transferPosts()).toBe(posts + 1);
  });

  it('a database from before the binding adopts the config\'s ends on its first run and says so once', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    expect((await gsync(['--config', w.configFile, 'run', '--wait'], { env: w.env })).code).toBe(0);
    const state = openState(w.config.state.path);
    state.db.exec('DELETE FROM binding');
    state.close();
    const first = await gsync(['--config', w.configFile, 'run', '--wait'], { env: w.env });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('did not record which ends it was built for');
    expect(first.stderr).toContain(`it now takes the config's: source ${SRC_ID} ${w.src} (as /) -> destination`);
    const second = await gsync(['--config', w.configFile, 'run', '--wait'], { env: w.env });
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('did not record which ends');
  });
});
