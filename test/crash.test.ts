import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { VANISHED_MIN_FAULTS } from '../src/sync/vanished-sources.js';
import { assertBuilt, gsync, type CliResult } from './helpers/cli.js';
import { HookRecorder } from './helpers/hook-recorder.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { tempDir } from './helpers/temp.js';
import { integrityCheck, recordedReconcileIds, recordedSubmissionIds, seededRandom, TaskLedger, VersionedTree } from './helpers/reliability.js';
import { exitCodeForRun } from '../src/run/outcome.js';
import { sqliteDatabase } from '../src/state/sqlite-driver.js';

/** better-sqlite3 as gsync loads it on this Node (13, or 12 on Node 20). */
const Database = sqliteDatabase();

/**
 * Crash anywhere: `gsync run --wait` child processes are SIGKILLed at every
 * named crash point (GSYNC_CRASH_AT, src/run/crash-point.ts) and by an
 * external SIGKILL after a seeded random delay. After each kill the harness
 * checks the state database with PRAGMA integrity_check, then runs
 * `gsync run --wait` until it has nothing to ship, and checks that
 *  - nothing was lost: the destination equals the source, and
 *  - nothing was sent twice: no file version went out in two tasks
 *    (see TaskLedger in helpers/reliability.ts for how versions are dated).
 * Between rounds the harness edits and adds files, so every round has work.
 * The tallies are printed for the README's Reliability table.
 */

interface Tally {
  scenario: string;
  runs: number;
  kills: number;
  losses: number;
  duplicates: number;
}
const tallies: Tally[] = [];

let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});
afterAll(() => {
  if (tallies.length === 0) return;
  const total = tallies.reduce((t, x) => ({ scenario: 'total', runs: t.runs + x.runs, kills: t.kills + x.kills, losses: t.losses + x.losses, duplicates: t.duplicates + x.duplicates }), {
    scenario: 'total',
    runs: 0,
    kills: 0,
    losses: 0,
    duplicates: 0,
  });
  console.log(['crash tallies (scenario | runs | kills | losses | duplicates):', ...[...tallies, total].map((t) => `  ${t.scenario} | ${t.runs} | ${t.kills} | ${t.losses} | ${t.duplicates}`)].join('\n'));
});

/** One job, its versioned source tree and the bookkeeping of a crash campaign. */
class Campaign {
  readonly tree: VersionedTree;
  readonly ledger = new TaskLedger('/');
  tally: Tally;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly w: JobWorld,
    scenario: string,
  ) {
    this.tree = new VersionedTree(w.src);
    this.tally = { scenario, runs: 0, kills: 0, losses: 0, duplicates: 0 };
    tallies.push(this.tally);
    this.env = { ...process.env, ...w.env };
    delete this.env.GSYNC_CRASH_AT;
  }

  /** Counts what follows under another scenario name. */
  useTally(scenario: string): void {
    this.tally = { scenario, runs: 0, kills: 0, losses: 0, duplicates: 0 };
    tallies.push(this.tally);
  }

  /** Starts a round: the harness's edits are done, gsync's runs begin. */
  startRound(): void {
    this.ledger.startRound(this.tree.snapshot());
  }

  private note(): void {
    this.ledger.noteSubmissions(recordedSubmissionIds(this.w.config.state.path));
    for (const id of recordedReconcileIds(this.w.config.state.path)) this.ledger.reconcileSubmissionIds.add(id);
  }

  /**
   * One `gsync run [--wait]` child process that should die: at a named point,
   * or killed from outside after `killAfterMs`. Without a kill it must succeed.
   */
  async crash(how: { at: string } | { killAfterMs?: number }, wait = true, extra: readonly string[] = []): Promise<CliResult> {
    const env = 'at' in how ? { ...this.env, GSYNC_CRASH_AT: how.at } : this.env;
    const args = ['run', ...(wait ? ['--wait'] : []), ...extra, '--config', this.w.configFile];
    const r = await gsync(args, { env, killAfterMs: 'killAfterMs' in how ? how.killAfterMs : undefined });
    this.tally.runs++;
    if (process.env.CRASH_DEBUG) console.log(`crash ${JSON.stringify(how)}: ${r.signal ?? r.code}`);
    const what = `${JSON.stringify(how)} wait=${wait}: exit ${r.code} signal ${r.signal}\n${r.stdout}\n${r.stderr.slice(-3000)}`;
    if (r.signal === 'SIGKILL') this.tally.kills++;
    else expect(r.code, what).toBe(0); // a run the external kill missed must still have worked
    this.note();
    expect(integrityCheck(this.w.config.state.path), what).toMatch(/^ok/);
    return r;
  }

  /**
   * `gsync run --wait` until it has nothing to ship, in process (runJob with
   * wait, the code `run --wait` calls, polling every 20 ms instead of the CLI's
   * 500 ms; the state and lock are opened afresh as by a new process). Before
   * each run every server task has ended, so each run can settle everything
   * earlier runs left.
   */
  async complete(): Promise<void> {
    const T = Date.now();
    for (let i = 0; ; i++) {
      expect(i, 'gsync kept finding work').toBeLessThan(5);
      await Promise.all(this.w.srv.tasks.list().map((t) => this.w.srv.tasks.waitFor(t.id)));
      const r = await this.w.run();
      this.tally.runs++;
      this.note();
      expect(exitCodeForRun(r), r.settled.problems.join('; ')).toBe(0);
      // Done only when nothing is owed and no earlier task is still running (its paths are held meanwhile).
      if (r.result === 'nothing-to-do' && r.settled.active === 0 && r.reconcile.active === 0) break;
      expect(r.result).toMatch(/^(succeeded|nothing-to-do)$/);
    }
    if (process.env.CRASH_DEBUG) console.log(`complete: runs ${Date.now() - T}ms`);
    this.ledger.noteTasks(this.w.srv.tasks.list());
    const diff = this.w.diff();
    if (diff !== '') this.tally.losses++;
    this.tally.duplicates += this.ledger.duplicates().length;
    if (process.env.CRASH_DEBUG) console.log(`complete: +diff ${Date.now() - T}ms`);
    expect(diff).toBe('');
    expect(this.ledger.duplicates()).toEqual([]);
    expect(this.ledger.unrecorded).toEqual([]);
    expect(this.ledger.repeatedSubmissionIds).toEqual([]);
  }

  /** Edits some existing files and adds a few, some in a new directory (which ships as one recursive item). */
  edit(rng: () => number, round: number, opts: { edits: number; adds: number; newDirFiles: number }): void {
    const files = this.tree.files();
    for (let i = 0; i < opts.edits && files.length; i++) this.tree.write(files[Math.floor(rng() * files.length)]!);
    for (let i = 0; i < opts.adds; i++) {
      const dir = files.length ? path.posix.dirname(files[Math.floor(rng() * files.length)]!) : 'top';
      this.tree.write(`${dir}/added-${round}-${i}.txt`);
    }
    for (let i = 0; i < opts.newDirFiles; i++) this.tree.write(`new-${round}/sub-${i % 3}/f-${i}.txt`);
  }
}

/** Files the trie records as shipped. */
function shippedFiles(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT count(*) FROM node WHERE shipped_kind = 'f'`).pluck().get() as number;
  } finally {
    db.close();
  }
}

function seedTree(c: Campaign, dirs: number, filesPerDir: number): void {
  for (let d = 0; d < dirs; d++) for (let f = 0; f < filesPerDir; f++) c.tree.write(`d${d % 7}/d${d}/f${f}.txt`);
}

describe('crash anywhere: SIGKILL, then a normal run loses nothing and sends nothing twice', () => {
  it('at each named crash point between scan and commit', async () => {
    // Two scan threads whatever the machine's cores: the kills land during a parallel scan.
    w = await jobWorld({}, { scan: { minAgeSeconds: 0, threads: 2 } });
    const c = new Campaign(w, 'named points (after-submission-id, after-record, after-post, before-commit)');
    const rng = seededRandom(7);
    seedTree(c, 20, 10);
    const points = ['after-submission-id', 'after-record', 'after-post', 'before-commit'];
    const rounds = 7;
    for (let round = 0; round < rounds * points.length; round++) {
      if (round > 0) c.edit(rng, round, { edits: 4, adds: 2, newDirFiles: round % 3 === 0 ? 4 : 0 });
      c.startRound();
      const r = await c.crash({ at: points[round % points.length]! });
      expect(r.signal, `${points[round % points.length]}: ${r.stderr}`).toBe('SIGKILL');
      await c.complete();
    }
    expect(c.tally.kills).toBe(rounds * points.length);
  }, 240_000);

  it('on the repair path: a FAILED task left truncated copies, and gsync is killed while releasing and repairing them, inside the release and commit transactions too', async () => {
    // Hooks on: the release and commit transactions write the owed onFailed / onSucceeded row (issue 36).
    const hookDir = tempDir('crash-hook-');
    const hook = new HookRecorder(hookDir);
    w = await jobWorld({}, { hooks: { onSucceeded: hook.argv, onFailed: hook.argv } });
    const c = new Campaign(w, 'repair path (before-release, inside-release, after-record-repair, after-post, before-commit, inside-commit)');
    const rng = seededRandom(11);
    seedTree(c, 6, 5);
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      if (round > 0) c.edit(rng, round, { edits: 5, adds: 2, newDirFiles: round % 3 === 0 ? 3 : 0 });
      c.startRound();
      // The task FAILS and leaves a truncated copy, dated now, of every file it carried.
      w.srv.faults.failNextTask({ code: 'CONNECTION_RESET', description: 'cut off (injected)' });
      const points = ['before-release', 'inside-release', 'after-record-repair', 'after-post', ...(round % 2 === 1 ? ['before-commit', 'inside-commit'] : [])];
      for (const at of points) {
        // Every task has ended first, so the next run settles what the last one left (and so meets before-commit).
        await Promise.all(w.srv.tasks.list().map((t) => w.srv.tasks.waitFor(t.id)));
        expect((await c.crash({ at })).signal, at).toBe('SIGKILL');
      }
      await c.complete();
      // No hook lost, none run twice: one onFailed per FAILED task, one onSucceeded per SUCCEEDED task that delivered files.
      const expected = w.srv.tasks
        .list()
        .filter((t) => t.status === 'FAILED' || t.filesSeen.size > 0)
        .map((t) => `${t.status} ${t.id}`);
      expect(hook.calls().map((h) => `${h.env.GSYNC_STATUS} ${h.env.GSYNC_TASK_ID}`).sort()).toEqual(expected.sort());
    }
    expect(c.tally.kills).toBe(rounds * 4 + rounds);
    const failed = w.srv.tasks.list().filter((t) => t.status === 'FAILED');
    const repairs = w.srv.tasks.list().filter((t) => t.options.syncLevel === 3 && t.status === 'SUCCEEDED');
    expect(failed).toHaveLength(rounds);
    expect(repairs.length).toBeGreaterThanOrEqual(rounds);
  }, 240_000);

  it('gsync verify --repair killed at its points and at random moments leaves all its marks or none', async () => {
    w = await jobWorld({}, { verify: { requestsPerSecond: 20 } });
    const c = new Campaign(w, 'verify --repair (verify-before-record, verify-after-record, random)');
    const rng = seededRandom(27);
    seedTree(c, 12, 4);
    c.startRound();
    await c.complete();
    const env = { ...process.env, ...w.env };
    delete env.GSYNC_CRASH_AT;
    const owed = () => shippedFiles(w.config.state.path);
    const points = ['verify-before-record', 'verify-after-record', 'random', 'random'];
    for (let round = 0; round < 6; round++) {
      const at = points[round % points.length]!;
      // The destination loses or truncates a few files, behind gsync's back.
      const files = c.tree.files();
      const lost = [...new Set(Array.from({ length: 3 }, () => files[Math.floor(rng() * files.length)]!))];
      for (const [i, rel] of lost.entries()) {
        const p = path.join(w.dst, rel);
        if (i % 2 === 0) fs.rmSync(p);
        else fs.truncateSync(p, 0);
      }
      c.ledger.noteTasks(w.srv.tasks.list());
      c.ledger.lostAtDestination(lost, c.tree.snapshot());
      const before = owed();
      const crashEnv = at === 'random' ? env : { ...env, GSYNC_CRASH_AT: at };
      const r = await gsync(['verify', '--repair', '--config', w.configFile], { env: crashEnv, killAfterMs: at === 'random' ? Math.floor(rng() * 600) : undefined });
      c.tally.runs++;
      if (r.signal === 'SIGKILL') c.tally.kills++;
      else expect(r.code, `${at}: ${r.stdout}${r.stderr.slice(-2000)}`).toBe(1);
      expect(integrityCheck(w.config.state.path)).toMatch(/^ok/);
      const after = owed();
      // All of the drift marked owed, or none of it: never half.
      expect([before, before - lost.length], `${at}: ${r.signal ?? r.code}`).toContain(after);
      if (after === before) {
        // Nothing recorded: a complete verify --repair now marks them all.
        const again = await gsync(['verify', '--repair', '--config', w.configFile], { env });
        expect(again.code, again.stderr.slice(-2000)).toBe(1);
        expect(owed()).toBe(before - lost.length);
      }
      c.startRound();
      await c.complete();
      if (round % 3 === 2) {
        c.edit(rng, round, { edits: 3, adds: 1, newDirFiles: 0 });
        c.startRound();
        await c.complete();
      }
    }
    expect(c.tally.kills).toBeGreaterThanOrEqual(4);
  }, 240_000);

  it('a reconcile run killed at its points: one task per recorded reconcile, each settled once, and what the destination lost comes back', async () => {
    w = await jobWorld({}, {});
    const c = new Campaign(w, 'reconcile (reconcile-after-submission-id, -after-record, -after-post, -before-commit)');
    const rng = seededRandom(33);
    seedTree(c, 6, 5);
    c.startRound();
    await c.complete();
    const points = ['reconcile-after-submission-id', 'reconcile-after-record', 'reconcile-after-post', 'reconcile-before-commit'];
    for (let round = 0; round < 2 * points.length; round++) {
      const at = points[round % points.length]!;
      if (round % 2 === 1) c.edit(rng, round, { edits: 2, adds: 1, newDirFiles: 0 });
      // The destination loses a file behind gsync's back: only a reconcile brings it back.
      const files = c.tree.files().filter((f) => fs.existsSync(path.join(w.dst, f)));
      fs.rmSync(path.join(w.dst, files[Math.floor(rng() * files.length)]!));
      c.startRound();
      await Promise.all(w.srv.tasks.list().map((t) => w.srv.tasks.waitFor(t.id)));
      expect((await c.crash({ at }, true, ['--reconcile'])).signal, at).toBe('SIGKILL');
      // Killed before anything was recorded: nothing is owed, so the reconcile is asked for again.
      if (at === 'reconcile-after-submission-id') await c.crash({}, true, ['--reconcile']);
      await c.complete();
    }
    expect(c.tally.kills).toBe(2 * points.length);
    const reconciles = w.srv.tasks.list().filter((t) => c.ledger.reconcileSubmissionIds.has(t.submissionId));
    expect(reconciles).toHaveLength(2 * points.length);
    expect(reconciles.every((t) => t.status === 'SUCCEEDED')).toBe(true);
  }, 240_000);

  it('cancelling a task stuck on a vanished source (skipSourceErrors false): killed after the cancel is recorded and after it is sent', async () => {
    w = await jobWorld({}, { transfer: { skipSourceErrors: false }, scan: { minAgeSeconds: 0 } });
    const c = new Campaign(w, 'vanished source cancel (after-cancel-record, after-cancel-post)');
    const rng = seededRandom(28);
    seedTree(c, 4, 5);
    c.startRound();
    await c.complete();
    const rounds = 4;
    let expectedKills = 0;
    for (let round = 1; round <= rounds; round++) {
      // Edits go as single-file items, which Globus must find.
      c.edit(rng, round, { edits: 4, adds: 0, newDirFiles: 0 });
      const victim = c.tree.files().filter((f) => fs.existsSync(path.join(w.src, f)))[round]!;
      c.tree.write(victim); // edited too, so it goes as a single-file item
      c.startRound();
      const tasks = w.srv.tasks;
      const start = tasks.start.bind(tasks);
      tasks.start = (t) => {
        // Only the task that carries the victim (a run may first send a repair task).
        if (t.items.some((it) => it.source_path.endsWith(`/${victim}`))) {
          fs.rmSync(path.join(w.src, victim), { force: true });
          tasks.start = start;
        }
        start(t);
      };
      await c.crash({}, false); // submits; the task then faults on the vanished file
      tasks.start = start;
      const stuck = w.srv.tasks.list().find((t) => t.items.some((it) => it.source_path.endsWith(`/${victim}`)) && !t.done)!;
      await vi.waitFor(() => expect(stuck.faults).toBeGreaterThanOrEqual(VANISHED_MIN_FAULTS), { timeout: 30_000, interval: 50 });
      const points = round % 2 === 1 ? ['after-cancel-record', 'after-cancel-post'] : ['after-cancel-post'];
      for (const at of points) expect((await c.crash({ at }, false)).signal, at).toBe('SIGKILL');
      expectedKills += points.length;
      expect(stuck.status).toBe('FAILED');
      // The vanished file stays at the destination (deletes are off): the trees are compared without it.
      fs.rmSync(path.join(w.dst, victim), { force: true });
      await c.complete();
    }
    expect(c.tally.kills).toBe(expectedKills);
  }, 300_000);

  it('between scan batches, then at seeded random moments (external SIGKILL) on a tree whose scan takes a while', async () => {
    // No checksum pass: the server copies thousands of files in the first round.
    w = await jobWorld({}, { transfer: { verifyChecksum: false }, scan: { minAgeSeconds: 0, threads: 2 } });
    const c = new Campaign(w, 'scan-batch (killed twice in a row)');
    const rng = seededRandom(42);
    seedTree(c, 170, 30); // 5,100 files: the first scan commits more than one 5,000-write batch
    c.startRound();
    // Killed after the first batch; then the recovering run is killed at the same point (every
    // unshipped path is rewritten, so it again passes 5,000 writes) before a run completes.
    for (let i = 0; i < 2; i++) expect((await c.crash({ at: 'scan-batch' })).signal).toBe('SIGKILL');
    await c.complete();
    expect(c.tally.kills).toBe(2);

    c.useTally('external SIGKILL, random delay');
    // How long one uninterrupted child run takes here, with and without --wait: kills land anywhere in it.
    const span = { wait: 0, nowait: 0 };
    for (const wait of [true, false]) {
      c.edit(rng, 0, { edits: 40, adds: 5, newDirFiles: 0 });
      c.startRound();
      const t0 = Date.now();
      await c.crash({}, wait);
      span[wait ? 'wait' : 'nowait'] = Date.now() - t0;
      await c.complete();
    }
    const wanted = 20;
    for (let round = 1; c.tally.kills < wanted; round++) {
      expect(round, 'too many runs finished before their kill').toBeLessThan(wanted * 2);
      c.edit(rng, round, { edits: 40, adds: 5, newDirFiles: round % 4 === 0 ? 30 : 0 });
      c.startRound();
      // Alternate: killed while starting, scanning or submitting (no --wait), or anywhere up to the end of the wait.
      const wait = round % 2 === 0;
      await c.crash({ killAfterMs: Math.floor(rng() * 0.95 * (wait ? span.wait : span.nowait)) }, wait);
      await c.complete();
    }
  }, 300_000);
});
