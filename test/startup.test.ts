import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import module from 'node:module';
import { tempDir } from './helpers/temp.js';

/**
 * The cron tick's start-up: `gsync run` loads only what the run uses. With nothing
 * to ship and no task open it never talks to Globus, so it does not even load the
 * HTTP client (undici); server, watch, demo and login code it never loads.
 * test/helpers/record-imports.mjs logs every module the child process resolves.
 */
const PRELOAD = pathToFileURL(path.resolve(__dirname, 'helpers/record-imports.mjs')).href;

let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

const ROOT = path.resolve(__dirname, '..');
/** esbuild's record of the bundle (scripts/bundle.ts): which modules went into which file of dist/bin/. */
const METAFILE = path.join(ROOT, 'dist/bundle-meta.json');

interface BundleMeta {
  outputs: Record<string, { inputs: Record<string, unknown>; entryPoint?: string }>;
}

const bundleMeta = (): BundleMeta => JSON.parse(fs.readFileSync(METAFILE, 'utf8')) as BundleMeta;

/**
 * The modules a process loaded: each file of the bundle it loaded stands for the
 * modules esbuild put into that file; a package left external is loaded as itself.
 */
function modulesIn(loaded: string[]): string[] {
  const meta = bundleMeta();
  const inputs = new Map(Object.entries(meta.outputs).map(([out, o]) => [path.resolve(ROOT, out), Object.keys(o.inputs).map((i) => path.resolve(ROOT, i))]));
  return loaded.flatMap((url) => {
    if (!url.startsWith('file:')) return [url];
    const file = fileURLToPath(url);
    return inputs.get(file) ?? [file];
  });
}

async function runLoading(world: JobWorld, command: 'run' | 'plan' = 'run'): Promise<{ stdout: string; files: string[]; modules: string[] }> {
  const log = path.join(world.base, `imports-${Date.now()}-${Math.random()}.log`);
  const r = await gsync([command, '--config', world.configFile], {
    env: { ...world.env, GSYNC_IMPORTS_LOG: log, NODE_OPTIONS: `--import=${PRELOAD}` },
  });
  expect(r.code, r.stderr).toBe(0);
  const files = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { stdout: r.stdout, files, modules: modulesIn(files) };
}

const undici = (m: string) => m.includes('/node_modules/undici/');
const dist = (m: string) => m.replace(/^.*\/dist\/src\//, '');

describe('gsync run start-up', () => {
  it('with nothing to ship loads no HTTP client and no server, watch, demo or login code; a run that ships loads undici', async () => {
    assertBuilt();
    w = await jobWorld();
    fs.writeFileSync(path.join(w.src, 'a.txt'), 'a');
    const shipped = await w.run();
    expect(shipped.result).toBe('succeeded');

    const quiet = await runLoading(w);
    expect(quiet.stdout).toMatch(/nothing to ship/);
    expect(quiet.modules.some((m) => m.includes('/dist/src/commands/run.js'))).toBe(true);
    expect(quiet.modules.filter(undici)).toEqual([]);
    expect(quiet.modules.map(dist).filter((m) => /^(server|watch|demo)\/|^commands\/(login|server|watch|demo)\.js/.test(m))).toEqual([]);
    // Pull mode's lister is loaded only for a source listed through Globus.
    expect(quiet.modules.map(dist).filter((m) => m.startsWith('listing/'))).toEqual([]);

    // A plan of a local source never talks to Globus: no client, no login, no lister is loaded.
    const plan = await runLoading(w, 'plan');
    expect(plan.stdout).toMatch(/nothing to ship/);
    expect(plan.modules.map(dist).filter((m) => /^(globus|auth|listing)\/|^commands\/globus-session\.js/.test(m))).toEqual([]);
    // What the bundle is for: gsync's own modules and the pure-JavaScript packages every tick
    // uses come from dist/bin/, in a few files, instead of hundreds of module files.
    expect(plan.files.filter((f) => /\/dist\/src\/|\/node_modules\/(zod|commander|picomatch)\//.test(f))).toEqual([]);
    expect(plan.modules.some((m) => m.includes('/node_modules/zod/'))).toBe(true);

    // The detector sees undici where it is loaded: a run that submits.
    fs.writeFileSync(path.join(w.src, 'b.txt'), 'b');
    const submitting = await runLoading(w);
    expect(submitting.stdout).toMatch(/submitted task/);
    expect(submitting.modules.some(undici)).toBe(true);
    // Only its Agent and request API (src/globus/undici-core.ts): undici's index would load fetch, WebSocket and caches too, 10 MB more.
    expect(submitting.modules.filter(undici).map((m) => m.replace(/^.*\/node_modules\/undici\//, ''))).toEqual(
      expect.arrayContaining(['lib/dispatcher/agent.js', 'lib/api/api-request.js']),
    );
    expect(submitting.modules.filter((m) => /\/node_modules\/undici\/(index\.js|lib\/web\/)/.test(m))).toEqual([]);
  }, 60_000);
});

describe('the bundle (scripts/bundle.ts)', () => {
  it("ships the scan worker beside the file that holds the pool, where the pool looks for it", () => {
    assertBuilt();
    const meta = bundleMeta();
    const outputs = Object.entries(meta.outputs);
    const pool = outputs.filter(([, o]) => Object.keys(o.inputs).includes('dist/src/scan/pool.js'));
    expect(pool).toHaveLength(1);
    // src/scan/pool.ts starts the worker from path.join(dirname(its own file), 'scan-worker.js').
    const beside = path.join(path.dirname(pool[0]![0]), 'scan-worker.js');
    expect(meta.outputs[beside]?.entryPoint).toBe('dist/src/scan/scan-worker.js');
    expect(fs.existsSync(path.resolve(ROOT, beside))).toBe(true);
  });

  it("carries only the parts of zod gsync uses: English messages, none of zod's other locales", () => {
    assertBuilt();
    const meta = bundleMeta();
    const zod = Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs)).filter((i) => i.startsWith('node_modules/zod/'));
    expect(zod).toContain('node_modules/zod/v4/locales/en.js');
    expect(zod.filter((i) => i.includes('/locales/') && !i.endsWith('/en.js'))).toEqual([]);
  });
});

describe('the compile cache (issue 34)', () => {
  const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

  it(`keeps compiled modules under the temporary folder where Node has the cache (this Node: ${hasCompileCache ? 'has it' : 'has not'}), and starts without it`, async () => {
    assertBuilt();
    const tmp = tempDir('gsync-compile-cache-');
    const env = { ...process.env, TMPDIR: tmp };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const r = await gsync(['--version'], { env });
    expect(r.code, r.stderr).toBe(0);
    const cache = path.join(tmp, 'node-compile-cache');
    // Node 22.1+ writes V8's code cache there for every module gsync loaded; Node 20 has no cache to write.
    expect(fs.existsSync(cache) && fs.readdirSync(cache).length > 0).toBe(hasCompileCache);

    const off = tempDir('gsync-compile-cache-off-');
    const r2 = await gsync(['--version'], { env: { ...env, TMPDIR: off, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(r2.code, r2.stderr).toBe(0);
    expect(fs.existsSync(path.join(off, 'node-compile-cache'))).toBe(false);
  });
});

