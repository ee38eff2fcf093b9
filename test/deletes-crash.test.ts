import { exitCodeForRun } from '../src/run/outcome.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeleteTask } from '../src/server/delete-task.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { integrityCheck, VersionedTree } from './helpers/reliability.js';

/**
 * A `gsync run --wait` child is SIGKILLed at each named point around the delete
 * submission (src/run/crash-point.ts); then normal runs go on until nothing is
 * owed. Afterwards the destination equals the source (nothing lost, nothing
 * recreated deleted) and no path went out in two delete tasks.
 */
let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

const POINTS = ['delete-after-submission-id', 'delete-after-record', 'delete-after-post', 'delete-before-commit'] as const;

async function runUntilIdle(): Promise<void> {
  for (let i = 0; ; i++) {
    expect(i, 'gsync kept finding work').toBeLessThan(6);
    await Promise.all(w.srv.tasks.list().map((t) => w.srv.tasks.waitFor(t.id)));
    const r = await w.run();
    expect(exitCodeForRun(r), r.settled.problems.join('; ')).toBe(0);
    if (r.result === 'nothing-to-do' && r.settled.active === 0 && r.deletes.active === 0) return;
  }
}

describe('crash around the delete submission: nothing lost, nothing deleted twice', () => {
  it.each(POINTS)('SIGKILL at %s', async (point) => {
    w = await jobWorld({}, { deletes: { enabled: true, maxPercent: 100 } });
    const tree = new VersionedTree(w.src);
    for (let d = 0; d < 4; d++) for (let f = 0; f < 3; f++) tree.write(`d${d}/f${f}.txt`);
    tree.write('top.txt');
    await runUntilIdle();

    for (let round = 0; round < 2; round++) {
      // Remove a directory and a file; crash the run that deletes them.
      fs.rmSync(path.join(w.src, `d${round}`), { recursive: true });
      fs.rmSync(path.join(w.src, round === 0 ? 'top.txt' : 'd3/f0.txt'));
      const env = { ...process.env, ...w.env, GSYNC_CRASH_AT: point };
      const r = await gsync(['run', '--wait', '--config', w.configFile], { env });
      expect(r.signal, `${point}: ${r.stderr.slice(-2000)}`).toBe('SIGKILL');
      expect(integrityCheck(w.config.state.path)).toMatch(/^ok/);
      // The file comes back while its fate is unknown: it must end up at the destination, new version.
      if (round === 1) tree.write('d3/f0.txt', 'recreated after the crash');
      await runUntilIdle();
      expect(w.diff()).toBe('');
    }

    const tasks = w.srv.tasks.list().filter((t): t is DeleteTask => t instanceof DeleteTask);
    const sent = tasks.flatMap((t) => t.paths);
    expect(new Set(sent).size, `paths in delete tasks: ${sent.join(' ')}`).toBe(sent.length);
    // The recreated file made it, as recreated.
    expect(fs.readFileSync(path.join(w.dst, 'd3/f0.txt'), 'utf8')).toBe('recreated after the crash');
  }, 120_000);
});
