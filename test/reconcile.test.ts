import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../src/commands/run.js';
import { statusCommand } from '../src/commands/status.js';
import type { CommandContext } from '../src/commands/context.js';
import { excludesAsFilterRules } from '../src/config/filter-rules.js';
import { parseConfig } from '../src/config/load.js';
import { openReconciles } from '../src/ledger/reconcile-rows.js';
import { summaryLine } from '../src/report/run-summary.js';
import type { CrashPointName } from '../src/run/crash-point.js';
import { exitCodeForRun } from '../src/run/outcome.js';
import { readBinding } from '../src/state/binding.js';
import { openState } from '../src/state/open.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

/**
 * Reconcile runs (issue 27): a run also sends the whole source as one
 * recursive item and Globus re-sends what the destination lost or holds
 * older; the excludes go as filter_rules; it is a ledger task like the others.
 */
let w: JobWorld;
afterEach(async () => {
  await w?.cleanup();
});

const HOUR = 3600;
const NS_PER_HOUR = 3_600_000_000_000n;

function at(tree: Record<string, string>, secondsAgo: number) {
  writeTree(w.src, tree);
  const t = Date.now() / 1000 - secondsAgo;
  for (const rel of Object.keys(tree)) fs.utimesSync(path.join(w.src, rel), t, t);
}

const TREE = { 'a/f1.dat': 'one', 'a/f2.dat': 'two two', 'a/b/g.dat': 'seven!!', 'top.txt': 'top level' };
/** The server's tasks whose submission_id the state records as a reconcile task's. */
function reconcileTasks() {
  const state = openState(w.config.state.path);
  try {
    const ids = new Set(state.db.prepare(`SELECT submission_id FROM submission WHERE kind = 'reconcile'`).pluck().all() as string[]);
    return w.srv.tasks.list().filter((t) => ids.has(t.submissionId));
  } finally {
    state.close();
  }
}

describe('a reconcile run', () => {
  it('restores missing and older files and says how many; 0 on a healthy destination, still said', async () => {
    // One successful_transfer a page: the restored files are read by marker paging.
    w = await jobWorld({ pageSize: 1 }, { reconcile: { intervalHours: 168 } });
    at(TREE, HOUR);
    // The first run ships everything, then (due: none SUCCEEDED yet) reconciles a healthy destination.
    const first = await w.run();
    expect(first.result, first.settled.problems.join()).toBe('succeeded');
    expect([first.reconcile.succeeded, first.reconcile.restored]).toEqual([1, 0]);
    expect(summaryLine(first)).toMatch(/; reconcile: 0 files restored at the destination$/);
    expect(w.diff()).toBe('');

    // The destination loses a file and holds another older and truncated.
    fs.rmSync(path.join(w.dst, 'a/f1.dat'));
    fs.writeFileSync(path.join(w.dst, 'a/b/g.dat'), 'sev');
    const old = Date.now() / 1000 - 2 * HOUR;
    fs.utimesSync(path.join(w.dst, 'a/b/g.dat'), old, old);
    const quiet = await w.run();
    expect([quiet.result, quiet.reconcile.submitted]).toEqual(['nothing-to-do', null]); // not due: a week has not passed
    expect(w.diff()).not.toBe('');

    const r = await w.run({ reconcile: true });
    expect(exitCodeForRun(r)).toBe(0);
    expect([r.reconcile.succeeded, r.reconcile.restored]).toEqual([1, 2]);
    expect(summaryLine(r)).toBe('nothing to ship; reconcile: 2 files restored at the destination');
    expect(w.diff()).toBe('');
    const shown = await status();
    expect(shown).toMatch(/^reconcile last SUCCEEDED \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: 2 files restored; next due \S+Z \(every 168 h\)$/m);
    const doc = reconcileTasks().at(-1)!;
    expect([doc.options.syncLevel, doc.options.deleteDestinationExtra, doc.items[0]!.destination_path]).toEqual([2, false, '/']);
  });

  it('lists the restored files in a manifest and runs onSucceeded for them, as any arrival', async () => {
    const hookOut = 'hook.out';
    w = await jobWorld({}, {});
    const out = path.join(w.base, hookOut);
    const patched = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
    patched.hooks = { onSucceeded: ['/bin/sh', '-c', `cat "$GSYNC_MANIFEST" >> ${out}; echo "files=$GSYNC_FILES" >> ${out}`] };
    const parsed = parseConfig(patched, w.configFile, w.env);
    if (!parsed.ok) throw new Error(parsed.errors.join());
    at(TREE, HOUR);
    const run = (opts = {}) => w.run({ config: parsed.config, ...opts });
    expect((await run()).result).toBe('succeeded');
    fs.rmSync(out);
    fs.rmSync(path.join(w.dst, 'a/f2.dat'));
    const r = await run({ reconcile: true });
    expect(r.reconcile.restored).toBe(1);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ source_path: '/a/f2.dat', destination_path: '/a/f2.dat', size: 7 });
    expect(lines[1]).toBe('files=1');
  });

  it('a destination copy newer but wrong survives mtime; reconcile.syncLevel checksum restores it', async () => {
    w = await jobWorld({}, {});
    at(TREE, HOUR);
    await w.run();
    fs.writeFileSync(path.join(w.dst, 'top.txt'), 'top levxx'); // same size, newer, wrong
    expect((await w.run({ reconcile: true })).reconcile.restored).toBe(0);
    expect(w.diff()).toMatch(/^top.txt/);
    const parsed = parseConfig({ ...JSON.parse(fs.readFileSync(w.configFile, 'utf8')), reconcile: { syncLevel: 'checksum' } }, w.configFile, w.env);
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const r = await w.run({ config: parsed.config, reconcile: true });
    expect(r.reconcile.restored).toBe(1);
    expect(w.diff()).toBe('');
  });

  it('proves the source mapping first, as a transfer does: the whole root goes', async () => {
    w = await jobWorld({}, { scan: { minAgeSeconds: 0, exclude: ['**/*.tmp'] } });
    at({ 'only.tmp': 'excluded' }, HOUR);
    // Nothing to ship, so no transfer has proven the mapping: the reconcile must.
    const r = await w.run({ reconcile: true });
    expect([r.taskId, r.reconcile.succeeded]).toEqual([null, 1]);
    const state = openState(w.config.state.path);
    expect(readBinding(state)?.proven).toBeTruthy();
    state.close();
  });

  it('excludes go as filter_rules: nothing excluded reaches the destination through it', async () => {
    w = await jobWorld({}, { scan: { minAgeSeconds: 0, exclude: ['**/*.tmp', '**/scratch/**'] } });
    at({ ...TREE, 'x.tmp': 'x', 'a/y.tmp': 'y', 'scratch/s.dat': 's', 'a/scratch/t.dat': 't', 'a/keep.dat': 'keep' }, HOUR);
    await w.run();
    fs.rmSync(path.join(w.dst, 'a/keep.dat'));
    const r = await w.run({ reconcile: true });
    expect(r.reconcile.restored).toBe(1);
    expect(reconcileTasks().at(-1)!.options.filterRules).toEqual([
      { method: 'exclude', type: null, name: '*.tmp' },
      { method: 'exclude', type: null, name: 'scratch' },
    ]);
    for (const gone of ['x.tmp', 'a/y.tmp', 'scratch', 'a/scratch']) expect(fs.existsSync(path.join(w.dst, gone)), gone).toBe(false);
    expect(fs.existsSync(path.join(w.dst, 'a/keep.dat'))).toBe(true);
  });
});

/** What `gsync status` prints for the world's job. */
async function status(): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const ctx: CommandContext = { global: { config: w.configFile, quiet: false, logLevel: 'error' }, out, env: w.env, interactive: false, stdin: new PassThrough() };
  await statusCommand({}, ctx);
  return text;
}

/** A job that reconciles every `hours`, its tree shipped and reconciled once, at the time returned. */
async function reconciledOnce(hours: number): Promise<bigint> {
  w = await jobWorld({}, { reconcile: { intervalHours: hours } });
  at(TREE, HOUR);
  const t0 = BigInt(Date.now()) * 1_000_000n;
  expect((await w.run({ now: () => t0 })).reconcile.succeeded).toBe(1);
  return t0;
}

describe('a reconcile task in the ledger', () => {
  it('is recorded before its POST: a crash after the POST makes the next run re-POST the same submission_id, and Globus answers with the one task', async () => {
    w = await jobWorld({}, {});
    at(TREE, HOUR);
    await w.run();
    const crash = (point: CrashPointName) => (name: CrashPointName) => {
      if (name === point) throw new Error(`crash at ${name}`);
    };
    fs.rmSync(path.join(w.dst, 'top.txt'));
    await expect(w.run({ reconcile: true, crashPoint: crash('reconcile-after-post') })).rejects.toThrow('crash at reconcile-after-post');
    expect(reconcileTasks()).toHaveLength(1);
    const state = openState(w.config.state.path);
    const [open] = openReconciles(state);
    state.close();
    expect([open?.taskId, open?.submissionId]).toEqual([null, reconcileTasks()[0]!.submissionId]);
    await vi.waitFor(() => expect(reconcileTasks()[0]!.status).toBe('SUCCEEDED'));
    const next = await w.run();
    expect(reconcileTasks()).toHaveLength(1); // the re-POST was a Duplicate of the first task
    expect([next.reconcile.succeeded, next.reconcile.restored]).toEqual([1, 1]);
    expect(w.diff()).toBe('');
  });

  it('a crash between the record and the POST: the next run POSTs the recorded document', async () => {
    w = await jobWorld({}, {});
    at(TREE, HOUR);
    await w.run();
    const crash = (name: CrashPointName) => {
      if (name === 'reconcile-after-record') throw new Error('crash');
    };
    await expect(w.run({ reconcile: true, crashPoint: crash })).rejects.toThrow('crash');
    expect(reconcileTasks()).toHaveLength(0);
    const state = openState(w.config.state.path);
    const recorded = openReconciles(state)[0]!;
    state.close();
    await w.run();
    expect(reconcileTasks().map((t) => t.submissionId)).toEqual([recorded.submissionId]);
    await vi.waitFor(() => expect(reconcileTasks()[0]!.status).toBe('SUCCEEDED'));
    expect((await w.run()).reconcile.succeeded).toBe(1);
  });

  /** Ends the server's tasks still waiting to start (taskStartDelayMs), so that none outlives the test. */
  const endAll = (status: 'SUCCEEDED' | 'FAILED') => {
    for (const t of w.srv.tasks.list().filter((x) => x.status === 'ACTIVE')) {
      t.abort.abort(new Error('ended by the test'));
      t.finish(status, status === 'FAILED' ? { code: 'CANCELED', description: 'ended by the test' } : undefined);
    }
  };

  it('counts in transfer.maxOpenTasks, holds no paths, and one still open is not sent again', async () => {
    w = await jobWorld({ taskStartDelayMs: 60_000 }, { transfer: { maxOpenTasks: 1 } });
    at(TREE, HOUR);
    // An open transfer leaves no slot for a reconcile.
    await w.run({ wait: false });
    const held = await w.run({ wait: false, reconcile: true });
    expect(held.reconcile.submitted).toBeNull();
    expect(reconcileTasks()).toHaveLength(0);
    endAll('SUCCEEDED');
    await w.run({ wait: false });
    // An open reconcile leaves no slot for a transfer, and holds no path.
    const sent = await w.run({ wait: false, reconcile: true });
    expect(sent.reconcile.submitted).not.toBeNull();
    const state = openState(w.config.state.path);
    expect(state.db.prepare(`SELECT count(*) FROM pending`).pluck().get()).toBe(0);
    state.close();
    at({ 'new.txt': 'new' }, HOUR);
    const blocked = await w.run({ wait: false, reconcile: true });
    expect([blocked.result, blocked.reconcile.submitted]).toEqual(['held', null]);
    expect(reconcileTasks()).toHaveLength(1);
    endAll('FAILED');
  });

  it('only SUCCEEDED ends it as done: a FAILED one is a problem (exit 1), and the next run reconciles again', async () => {
    const t0 = await reconciledOnce(168);
    const later = t0 + 200n * NS_PER_HOUR;
    w.srv.faults.failNextTask({ code: 'CONNECTION_RESET', description: 'cut off (injected)' });
    const failed = await w.run({ now: () => later });
    expect([failed.reconcile.failed, exitCodeForRun(failed)]).toEqual([1, 1]);
    expect(failed.settled.problems.join()).toMatch(/reconcile task \S+ FAILED \(CONNECTION_RESET: cut off \(injected\)\); the next run reconciles again, with checksum/);
    // The failed task left truncated copies, dated now (the local server's strict reading), that mtime would skip.
    expect(w.diff()).not.toBe('');
    const again = await w.run({ now: () => later + NS_PER_HOUR });
    expect([again.reconcile.succeeded, exitCodeForRun(again)]).toEqual([1, 0]);
    expect(again.reconcile.restored).toBeGreaterThan(0);
    expect(reconcileTasks().at(-1)!.options.syncLevel).toBe(3);
    expect(w.diff()).toBe('');
    // A reconcile that SUCCEEDED ends the repair: the next one is due a week later, with the job's sync_level.
    expect((await w.run({ now: () => later + 2n * NS_PER_HOUR })).reconcile.submitted).toBeNull();
  });

  it('one still open is not sent again, even when asked for and a slot is free', async () => {
    w = await jobWorld({ taskStartDelayMs: 60_000 }, { transfer: { maxOpenTasks: 3 } });
    at(TREE, HOUR);
    const first = await w.run({ wait: false, reconcile: true });
    expect([first.taskId === null, first.reconcile.submitted === null]).toEqual([false, false]);
    // The transfer ends; the reconcile stays open.
    const transfer = w.srv.tasks.get(first.taskId!)!;
    transfer.abort.abort(new Error('ended by the test'));
    transfer.finish('SUCCEEDED');
    const again = await w.run({ wait: false, reconcile: true });
    expect(again.reconcile.submitted).toBeNull();
    expect(reconcileTasks()).toHaveLength(1);
    // It holds no path: a file edited while it runs ships with the next run as usual.
    at({ 'top.txt': 'top level, edited' }, HOUR / 2);
    const edited = await w.run({ wait: false });
    expect([edited.result, edited.files]).toEqual(['submitted', 1]);
    endAll('FAILED');
  });

  it('is due again only reconcile.intervalHours after the last one that SUCCEEDED', async () => {
    const t0 = await reconciledOnce(24);
    expect((await w.run({ now: () => t0 + 23n * NS_PER_HOUR })).reconcile.submitted).toBeNull();
    expect((await w.run({ now: () => t0 + 25n * NS_PER_HOUR })).reconcile.succeeded).toBe(1);
    expect(reconcileTasks()).toHaveLength(2);
  });
});

describe('excludes a filter rule cannot express', () => {
  const base = { name: 'j', source: { collection: '11111111-1111-1111-1111-111111111111', path: '/src' }, destination: { collection: '22222222-2222-2222-2222-222222222222', path: '/' }, auth: { clientId: '33333333-3333-3333-3333-333333333333' }, state: { path: '/tmp/x.db' } };

  it('are refused when the config loads with reconcile.intervalHours, with one line naming the pattern', () => {
    const r = parseConfig({ ...base, scan: { exclude: ['**/*.tmp', 'scratch/**'] }, reconcile: { intervalHours: 168 } }, '/j.json', {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([expect.stringMatching(/^scan\.exclude\.1: "scratch\/\*\*" cannot be a Globus filter rule, which a reconcile run needs: it matches only at the top of the source/)]);
    expect(parseConfig({ ...base, scan: { exclude: ['scratch/**'] } }, '/j.json', {}).ok).toBe(true); // without reconcile: as before
  });

  it('translates exactly the patterns that mean the same, and names why for the rest', () => {
    expect(excludesAsFilterRules(['**/*.tmp', '**/.DS_Store', '**/scratch/**', '**/run?[0-9].log'])).toEqual({
      rules: ['*.tmp', '.DS_Store', 'scratch', 'run?[0-9].log'].map((name) => ({ DATA_TYPE: 'filter_rule', method: 'exclude', name })),
    });
    for (const p of ['*.tmp', 'a/**', '**/a/b', '**/**', '**/*.{tmp,bak}', '!**/x', '**/[!a]*', '**/@(a|b)', '**/a\\*']) {
      expect(excludesAsFilterRules([p]), p).toMatchObject({ refused: p });
    }
  });

  it('gsync run --reconcile refuses one with exit 2 and one line, before anything runs', async () => {
    w = await jobWorld({}, { scan: { minAgeSeconds: 0, exclude: ['*.tmp'] } });
    at(TREE, HOUR);
    const out = new PassThrough();
    const ctx: CommandContext = { global: { config: w.configFile, quiet: false, logLevel: 'error' }, out, env: w.env, interactive: false, stdin: new PassThrough() };
    await expect(runCommand({ reconcile: true }, ctx)).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringMatching(/^scan\.exclude\.0: "\*\.tmp" cannot be a Globus filter rule, which a reconcile run needs: .*write "\*\*\/\*\.tmp"/),
    });
    expect(w.srv.tasks.list()).toHaveLength(0);
  });
});
