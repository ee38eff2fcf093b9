import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_GCS_ENDPOINT_ID } from '../src/server/collections.js';
import { DEMO_SERVICE_CLIENT_ID } from '../src/server/index.js';
import { assertBuilt, gsync, messageLines } from './helpers/cli.js';
import { ARCHIVE_ID, ENDPOINT_ID, GCP_ID, initWorld, type InitWorld } from './helpers/init-world.js';

/**
 * gsync init without a terminal (stdin a pipe), as configuration management
 * runs it: every answer from a flag, never a prompt; the local collection
 * found by itself; each refusal one line and exit 2, nothing written.
 */
let w: InitWorld;
beforeAll(() => assertBuilt());
afterEach(async () => {
  await w?.cleanup();
});

const out = () => path.join(w.base, 'job.json');
const init = (args: string[], env = w.serviceEnv) => gsync(['init', '--output', out(), ...args], { env, cwd: w.base });
const flags = (extra: string[] = []) => ['--name', 'beamline-7', '--source', w.source, '--destination', `${ARCHIVE_ID}:/incoming`, ...extra];
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1);

describe('gsync init with flags and no terminal', () => {
  it('finds the Globus Connect Personal collection, writes a minimal config, and test-config passes at once (exit 0)', async () => {
    w = await initWorld();
    const r = await init(flags());
    expect(r.stderr).not.toContain('?');
    expect(lastLine(r.stdout)).toBe('all 11 checks passed: this job is ready for cron');
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out(), 'utf8'))).toEqual({
      name: 'beamline-7',
      source: { collection: GCP_ID, path: w.source },
      destination: { collection: ARCHIVE_ID, path: '/incoming' },
      auth: { clientId: DEMO_SERVICE_CLIENT_ID },
      scan: { exclude: [] },
      deletes: { enabled: false },
    });
    // What was detected, and from where.
    expect(r.stderr).toContain(`Source collection ${GCP_ID}: Globus Connect Personal (from ${path.join(w.gcpDir, 'client-id.txt')}); ${w.source} is shared under ${w.shared} (line 1 of ${path.join(w.gcpDir, 'config-paths')}).`);
    expect(r.stderr).toContain(`Destination path /incoming on Tape archive incoming exists.`);
    expect(fs.statSync(out()).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(w.base).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a source reached through a symlink: source.collectionPath is the real path Globus Connect Personal shares', async () => {
    w = await initWorld();
    const link = path.join(w.base, 'raw-link');
    fs.symlinkSync(w.source, link);
    const r = await init(['--name', 'b7', '--source', link, '--destination', `${ARCHIVE_ID}:/incoming`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out(), 'utf8')).source).toEqual({ collection: GCP_ID, path: link, collectionPath: w.source });
  });

  it('GSYNC_LOCAL_COLLECTION comes before Globus Connect Personal, and says so', async () => {
    w = await initWorld();
    const r = await init(flags(), { ...w.serviceEnv, GSYNC_LOCAL_COLLECTION: GCP_ID.toUpperCase() });
    expect(r.stderr).toContain(`Source collection ${GCP_ID}: from GSYNC_LOCAL_COLLECTION.`);
    expect(r.code).toBe(0);
  });

  it('no login and no terminal: the config is still written, test-config names the login to run (exit 77)', async () => {
    w = await initWorld();
    const r = await init([...flags(), '--client-id', '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001'], w.env);
    expect(r.stderr).toContain('No Globus login for this job and no terminal to log in at');
    expect(fs.existsSync(out())).toBe(true);
    expect(r.stdout).toContain(`run: gsync login --config ${out()}`);
    expect(r.code).toBe(77);
  });

  it('--force replaces an existing file in one step', async () => {
    w = await initWorld();
    fs.writeFileSync(out(), '{"old": true}\n');
    const r = await init([...flags(), '--force']);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out(), 'utf8')).name).toBe('beamline-7');
    expect(fs.readdirSync(w.base).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('gsync init refusals: one line, exit 2, nothing written', () => {
  const refused = (r: Awaited<ReturnType<typeof gsync>>) => {
    expect(messageLines(r.stderr)).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    return messageLines(r.stderr)[0];
  };

  it('an existing file without --force: left as it was', async () => {
    w = await initWorld();
    fs.writeFileSync(out(), '{"mine": 1}\n');
    const line = refused(await init(flags()));
    expect(line).toBe(`gsync: ${out()} already exists; gsync init never overwrites a config (pass --force to replace it, or --output FILE to write elsewhere)`);
    expect(fs.readFileSync(out(), 'utf8')).toBe('{"mine": 1}\n');
  });

  it('a source directory Globus Connect Personal does not share', async () => {
    w = await initWorld();
    const outside = path.join(w.home, 'elsewhere');
    fs.mkdirSync(outside);
    const line = refused(await init(['--name', 'b7', '--source', outside, '--destination', `${ARCHIVE_ID}:/incoming`]));
    expect(line).toBe(
      `gsync: source directory ${outside} is not shared by Globus Connect Personal ${GCP_ID} (it shares ~/instrument) (add a line "${outside},0,0" to ${path.join(w.gcpDir, 'config-paths')} and restart Globus Connect Personal, or pass --source-collection UUID)`,
    );
    expect(fs.existsSync(out())).toBe(false);
  });

  it('an unknown destination collection', async () => {
    w = await initWorld();
    const unknown = 'a0a0a0a0-0000-4000-8000-00000000ffff';
    const line = refused(await init(['--name', 'b7', '--source', w.source, '--destination', `${unknown}:/incoming`]));
    expect(line).toBe(`gsync: destination collection ${unknown}: no such collection (check the id; gsync collections TEXT searches for it)`);
    expect(fs.existsSync(out())).toBe(false);
  });

  it('a destination that is an endpoint, not a collection', async () => {
    w = await initWorld();
    const line = refused(await init(['--name', 'b7', '--source', w.source, '--destination', `${ENDPOINT_ID}:/incoming`]));
    expect(line).toBe(
      `gsync: destination ${ENDPOINT_ID} (Tape archive endpoint) is a Globus Connect Server endpoint, not a collection (pick one of its mapped or guest collections; gsync collections TEXT lists them)`,
    );
    expect(fs.existsSync(out())).toBe(false);
  });

  it('an answer missing without a terminal names its flag, and nothing is asked', async () => {
    w = await initWorld();
    const line = refused(await init(['--name', 'b7', '--source', w.source]));
    expect(line).toBe('gsync: the destination is needed: pass --destination UUID:PATH (no terminal to ask at)');
    expect(refused(await init(['--source', w.source]))).toBe('gsync: the job name is needed: pass --name NAME (no terminal to ask at)');
    expect(refused(await init([...flags().slice(0, 4), '--destination', `${ARCHIVE_ID}:incoming`]))).toContain('the path after ":" must be absolute');
  });
});

describe('gsync init on a Globus Connect Server node (info.json)', () => {
  const gcsEnv = (extra: NodeJS.ProcessEnv = {}) => {
    const info = path.join(w.base, 'info.json');
    fs.writeFileSync(info, JSON.stringify({ endpoint_id: LOCAL_GCS_ENDPOINT_ID, domain_name: 'abc.xyz.data.globus.org' }));
    return { ...w.serviceEnv, GSYNC_GCP_DIR: path.join(w.base, 'no-gcp'), GSYNC_GCS_INFO: info, ...extra };
  };

  it("the endpoint's one mapped collection is chosen, and said", async () => {
    w = await initWorld();
    const mapped = 'a0a0a0a0-0000-4000-8000-0000000000f1';
    w.srv.addCollection({ id: mapped, root: '/', kind: 'mapped', displayName: 'Facility POSIX', mine: true });
    const r = await init(flags(), gcsEnv());
    expect(r.stderr).toContain(`Source collection ${mapped} (Facility POSIX): the mapped collection of Globus Connect Server endpoint ${LOCAL_GCS_ENDPOINT_ID} (from ${path.join(w.base, 'info.json')}).`);
    expect(JSON.parse(fs.readFileSync(out(), 'utf8')).source.collection).toBe(mapped);
    expect(r.code).toBe(0);
  });

  it('several mapped collections and no terminal: refused, naming them (exit 2)', async () => {
    w = await initWorld();
    w.srv.addCollection({ id: 'a0a0a0a0-0000-4000-8000-0000000000f1', root: '/', kind: 'mapped', displayName: 'POSIX', mine: true });
    w.srv.addCollection({ id: 'a0a0a0a0-0000-4000-8000-0000000000f2', root: '/', kind: 'mapped', displayName: 'Scratch', mine: true });
    const r = await init(flags(), gcsEnv());
    expect(messageLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('it has 2 mapped collections: a0a0a0a0-0000-4000-8000-0000000000f1 (POSIX), a0a0a0a0-0000-4000-8000-0000000000f2 (Scratch) (pass --source-collection UUID)');
    expect(r.code).toBe(2);
  });
});

describe('gsync collections', () => {
  it('TEXT searches everything and leaves out endpoints, saying how many; --json; --mine', async () => {
    w = await initWorld();
    const r = await gsync(['collections', 'tape archive'], { env: w.serviceEnv, cwd: w.base });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DISPLAY NAME +OWNER +TYPE +ID$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^Tape archive incoming .* guest \\(GCSv5\\) +${ARCHIVE_ID}$`));
    expect(r.stderr).toContain('1 endpoint left out: not collections');

    const j = await gsync(['collections', '--json'], { env: w.serviceEnv, cwd: w.base });
    expect(j.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).id)).toEqual([GCP_ID, ARCHIVE_ID]); // mine, and the guest collection shared with me
    const mine = await gsync(['collections', '--mine', 'laptop'], { env: w.serviceEnv, cwd: w.base });
    expect(mine.stdout).toContain(GCP_ID);
    expect(mine.stdout).not.toContain(ARCHIVE_ID);
  });

  it('without a job config or a service account: one line naming both ways, exit 2', async () => {
    w = await initWorld();
    const r = await gsync(['collections', 'tape'], { env: w.env, cwd: w.base });
    expect(messageLines(r.stderr)).toEqual([expect.stringContaining('gsync collections needs a Globus login')]);
    expect(r.code).toBe(2);
  });
});
