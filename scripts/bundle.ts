/**
 * The CLI as shipped: tsc's dist/src/ bundled by esbuild into dist/bin/ (issue 34).
 *
 * A cron tick on a small tree is mostly start-up, and most of start-up was Node's
 * ESM loader resolving, reading and compiling about 350 files, 227 of them zod's.
 * Bundled, a plan loads about 30 files. `splitting` keeps every dynamic import a
 * separate chunk, so what a tick does not use (the server, login, watch, undici)
 * is still never loaded (test/startup.test.ts checks it through the metafile).
 *
 * Inlined: the pure-JavaScript dependencies every tick loads (zod, commander,
 * picomatch). gsync's modules import zod as `import * as z from 'zod'`, never
 * `import { z }`: that binding is one object holding all of zod (forty locales,
 * JSON Schema conversion), which no bundler can trim, while the namespace's
 * properties can be (zod's share of the bundle: 755 KB with `{ z }`, 187 KB). Left as packages: better-sqlite3 (a native addon), pino and undici
 * (loaded only when a run logs or talks to Globus) and chokidar (watch only).
 * The scan worker is an entry of its own: src/scan/pool.ts starts it from the
 * file beside the chunk that holds the pool, which here is dist/bin/scan-worker.js.
 *
 * Usage (npm run build runs it after tsc): node dist/scripts/bundle.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the shipped CLI goes: the package's `bin` is OUT/gsync.js. */
const OUT = path.join(ROOT, 'dist/bin');
/** esbuild's record of which modules went into which chunk; kept outside the package. */
const METAFILE = path.join(ROOT, 'dist/bundle-meta.json');

const INLINED = new Set(['zod', 'commander', 'picomatch']);

/** Every runtime dependency that stays an installed package. */
function externals(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const names = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
  for (const name of INLINED) if (!names.includes(name)) throw new Error(`bundle: ${name} is no longer a dependency; update INLINED`);
  return names.filter((n) => !INLINED.has(n));
}

async function main(): Promise<void> {
  fs.rmSync(OUT, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { gsync: 'dist/src/index.js', 'scan-worker': 'dist/src/scan/scan-worker.js' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: OUT,
    external: externals(),
    // commander and picomatch are CommonJS and require() Node's modules; an ES module has no require of its own.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  });
  fs.writeFileSync(METAFILE, JSON.stringify(result.metafile));
  fs.chmodSync(path.join(OUT, 'gsync.js'), 0o755);
}

await main();
