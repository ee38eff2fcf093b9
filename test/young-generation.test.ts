import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GROWTH_FLAG, semiSpaceChosen } from '../src/heap/young-generation.js';
import { tempDir } from './helpers/temp.js';

/**
 * Peak RSS (issue 34): gsync keeps V8's young generation at its initial size
 * for the whole process, the scan's worker threads included. Measured in a
 * child process of the built gsync, by the new space's size, which V8 reports
 * exactly: without the flag a long run of surviving allocations doubles it to
 * 32 MB (Node 20, 22) or more (Node 24).
 */
const DIST = path.resolve(__dirname, '../dist/src');
const built = (rel: string) => pathToFileURL(path.join(DIST, rel)).href;

function assertBuilt(): void {
  if (!fs.existsSync(path.join(DIST, 'heap/at-start.js'))) throw new Error(`build first: npm run build (${DIST} is missing)`);
}

/** What the child prints: the largest new space seen while it allocates after a scan, and who compared the directories. */
function childRun(root: string, env: NodeJS.ProcessEnv = {}): { newSpaceMb: number; workers: number; stderr: string } {
  const script = `
    import v8 from 'node:v8';
    await import(${JSON.stringify(built('heap/at-start.js'))});
    const { scan } = await import(${JSON.stringify(built('scan/scanner.js'))});
    let stats;
    scan({ root: ${JSON.stringify(root)}, trie: null, threads: 2, onStats: (s) => (stats = s) });
    // Time for the worker thread to have started (and, on Node 20 and 22, reset V8's flags) before the loop below.
    await new Promise((r) => setTimeout(r, 1000));
    const keep = [];
    let most = 0;
    for (let i = 0; i < 2e6; i++) {
      keep.push({ a: 'x' + i, b: [i, i + 1] });
      if (keep.length > 200000) keep.splice(0, 100000);
      if (i % 50000 === 0) most = Math.max(most, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
    }
    process.stdout.write(JSON.stringify({ newSpaceMb: most / 1048576, workers: stats.workers }));
  `;
  const env2 = { ...process.env, ...env };
  if (!('NODE_OPTIONS' in env)) delete env2.NODE_OPTIONS;
  // A file, not -e: a worker inherits the parent's execArgv, and with -e in it the flag did not hold (gsync runs from a file).
  const file = path.join(tempDir('gsync-young-gen-script-'), 'child.mjs');
  fs.writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { env: env2, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as { newSpaceMb: number; workers: number }), stderr: r.stderr };
}

function smallTree(): string {
  const root = tempDir('gsync-young-gen-');
  for (let d = 0; d < 20; d++) {
    fs.mkdirSync(path.join(root, `d${d}`));
    for (let f = 0; f < 5; f++) fs.writeFileSync(path.join(root, `d${d}`, `f${f}`), 'x');
  }
  return root;
}

describe('the young generation stays small (issue 34, peak RSS)', () => {
  it('after a scan that started a worker thread, surviving allocations do not grow the new space', () => {
    assertBuilt();
    const r = childRun(smallTree());
    expect(r.workers).toBe(1);
    // Kept small: 2-8 MB (Node 20 and 22: 2 MB; 24 and 26 start larger); grown, it is 32 MB (Node 20, 22) to 128 MB (Node 24).
    expect(r.newSpaceMb).toBeLessThanOrEqual(12);
    expect(r.stderr).toBe('');
  }, 60_000);

  it("leaves an operator's own semi-space setting alone", () => {
    assertBuilt();
    const r = childRun(smallTree(), { NODE_OPTIONS: '--max-semi-space-size=8' });
    // Their 8 MB semi-spaces: 16 MB of new space, reached because gsync did not stop its growth.
    expect(r.newSpaceMb).toBeGreaterThan(12);
  }, 60_000);

  it('knows the flags that choose a semi-space size', () => {
    expect(semiSpaceChosen([], undefined)).toBe(false);
    expect(semiSpaceChosen([], '--max-old-space-size=512 --enable-source-maps')).toBe(false);
    expect(semiSpaceChosen(['--max-semi-space-size=4'], undefined)).toBe(true);
    expect(semiSpaceChosen([], '--max_semi_space_size=4')).toBe(true);
    expect(semiSpaceChosen([], ' --min-semi-space-size=1')).toBe(true);
    expect(semiSpaceChosen(['--semi-space-growth-factor=2'], undefined)).toBe(true);
    expect(GROWTH_FLAG).toBe('--semi-space-growth-factor=1');
  });

  it('main.ts imports the setting before anything else, so it runs before the CLI loads', () => {
    const main = fs.readFileSync(path.resolve(__dirname, '../src/main.ts'), 'utf8');
    const firstImport = /^import .*$/m.exec(main)?.[0];
    expect(firstImport).toBe("import './heap/at-start.js';");
  });
});
