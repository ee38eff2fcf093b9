import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { exitCodeForRun } from '../src/run/outcome.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { integrityCheck, recordedSubmissionIds, TaskLedger, VersionedTree } from './helpers/reliability.js';
import { DST_ID, readTree } from './server-support.js';

/**
 * gsync rebind under SIGKILL (issue 26): killed before its transaction commits
 * the old ends stand (runs still refuse); killed after, the new ones do. Then a
 * run to the new destination is killed after its POST, and normal runs finish:
 * the new destination must equal the source (0 lost), and no file version may
 * go to it in two tasks (0 duplicated). Tasks to the old destination, one of
 * them still open at the rebind, are left out of the count: sending everything
 * again to a new destination is the point.
 */
let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

function moveDestination(to: string): void {
  const raw = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
  raw.destination.path = to;
  fs.writeFileSync(w.configFile, JSON.stringify(raw, null, 2));
  const parsed = parseConfig(raw, w.configFile, w.env);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  Object.assign(w.config, parsed.config);
}

describe('crash suite: gsync rebind', () => {
  it('killed before and after its commit, then a run killed after its POST: 0 lost, 0 duplicated at the new destination', async () => {
    w = await jobWorld({}, { destination: { collection: DST_ID, path: '/a' }, scan: { minAgeSeconds: 0, threads: 2 } });
    fs.mkdirSync(path.join(w.dst, 'a'));
    fs.mkdirSync(path.join(w.dst, 'b'));
    const env = { ...process.env, ...w.env };
    delete env.GSYNC_CRASH_AT;
    const tree = new VersionedTree(w.src);
    for (let d = 0; d < 6; d++) for (let f = 0; f < 8; f++) tree.write(`d${d}/f${f}.txt`);
    const tally = { runs: 0, kills: 0, losses: 0, duplicates: 0 };
    const cli = async (args: string[], crashAt?: string) => {
      const r = await gsync([...args, '--config', w.configFile], { env: crashAt ? { ...env, GSYNC_CRASH_AT: crashAt } : env });
      tally.runs++;
      if (r.signal === 'SIGKILL') tally.kills++;
      expect(integrityCheck(w.config.state.path)).toMatch(/^ok/);
      return r;
    };

    expect((await cli(['run', '--wait'])).code).toBe(0);
    // Changes in flight to the old destination when it is given up: a task left open (no --wait).
    for (let f = 0; f < 4; f++) tree.write(`d1/f${f}.txt`);
    tree.write('new/x.txt');
    expect((await cli(['run'])).code).toBe(0);

    moveDestination('/b');
    expect((await cli(['rebind'], 'rebind-before-commit')).signal).toBe('SIGKILL');
    const refused = await cli(['run', '--wait']);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('destination.path /a -> /b');
    expect((await cli(['rebind'], 'rebind-after-commit')).signal).toBe('SIGKILL');

    const ledger = new TaskLedger('/');
    ledger.startRound(tree.snapshot());
    const posted = await cli(['run', '--wait'], 'after-post');
    expect(posted.signal, posted.stderr).toBe('SIGKILL');
    ledger.noteSubmissions(recordedSubmissionIds(w.config.state.path));
    for (let i = 0; ; i++) {
      expect(i, 'gsync kept finding work').toBeLessThan(5);
      await Promise.all(w.srv.tasks.list().map((t) => w.srv.tasks.waitFor(t.id)));
      const r = await w.run();
      tally.runs++;
      ledger.noteSubmissions(recordedSubmissionIds(w.config.state.path));
      expect(exitCodeForRun(r), r.settled.problems.join('; ')).toBe(0);
      if (r.result === 'nothing-to-do' && r.settled.active === 0) break;
    }
    const toB = w.srv.tasks.list().filter((t) => t.items.every((i) => i.destination_path.startsWith('/b/')));
    ledger.noteTasks(toB);
    const a = readTree(w.src);
    const b = readTree(path.join(w.dst, 'b'));
    const lost = Object.keys(a).filter((k) => a[k] !== b[k]);
    if (lost.length > 0) tally.losses++;
    tally.duplicates += ledger.duplicates().length;
    console.log(`crash tallies (scenario | runs | kills | losses | duplicates):\n  rebind (rebind-before-commit, rebind-after-commit, after-post) | ${tally.runs} | ${tally.kills} | ${tally.losses} | ${tally.duplicates}`);
    expect(lost).toEqual([]);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(ledger.duplicates()).toEqual([]);
    expect(ledger.unrecorded).toEqual([]);
    expect(tally.kills).toBe(3);
  }, 120_000);
});
