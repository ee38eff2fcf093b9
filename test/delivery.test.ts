import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/run/outcome.js';
import { summaryLine } from '../src/report/run-summary.js';
import { persistentSkipCount, PERSISTENT_SKIP_TASKS, skipStreaks } from '../src/state/deliveries.js';
import { openState } from '../src/state/open.js';
import { endsOf, sourceEndsOf } from '../src/binding/ends.js';
import { recordEnds, recordProven } from '../src/state/binding.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

/**
 * Issue 20: a run says what Globus delivered (files_transferred, files_skipped,
 * skipped_errors), not what it asked for, and exits as rsync would: 1 when a
 * path Globus skipped still exists locally, 0 with a warning when it vanished.
 */
let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

const hour = new Date(Date.now() - 3600_000);
function seed(root: string, tree: Record<string, string>) {
  writeTree(root, tree);
  for (const rel of Object.keys(tree)) fs.utimesSync(path.join(root, rel), hour, hour);
}

/**
 * A mapping that went wrong after it was proven (the collection re-rooted, say): the
 * state records these ends, proven, so the probe (issue 26), which would refuse a wrong
 * collectionPath before any transfer, stays out of the way of what Globus then reports.
 */
function setCollectionPath(p: string) {
  const raw = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
  raw.source.collectionPath = p;
  fs.writeFileSync(w.configFile, JSON.stringify(raw));
  w.config.source.collectionPath = p;
  const state = openState(w.config.state.path);
  const ends = endsOf(w.config);
  recordEnds(state, ends, 'rebound', 0n);
  recordProven(state, sourceEndsOf(ends), 0n, 'an earlier probe');
  state.close();
}

const cli = (args: string[]) => gsync([...args, '--config', w.configFile], { env: { ...process.env, ...w.env } });

function metric(name: string): number {
  const text = fs.readFileSync(w.config.metrics.textfile!, 'utf8');
  const m = text.match(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm'));
  if (!m) throw new Error(`${name} missing from\n${text}`);
  return Number(m[1]);
}

describe('a wrong source.collectionPath', () => {
  it('exits 1 with 0 delivered and the hint, and keeps the files owed', async () => {
    w = await jobWorld();
    seed(w.src, { 'a.txt': 'a', 'd/b.txt': 'bb', 'd/c.txt': 'ccc' });
    setCollectionPath('/data/run1');
    const r = await cli(['run', '--wait']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const [line, hint, ...rest] = r.stdout.trimEnd().split('\n');
    expect(rest).toEqual([]);
    expect(line).toMatch(/^task \S+ SUCCEEDED: 0 of 3 files delivered \(0 B\); \d+ items? skipped by Globus \(FILE_NOT_FOUND \/data\/run1/);
    expect(hint).toMatch(/^hint: .*source\.collectionPath.*gsync test-config/);
    expect(w.diff()).not.toBe('');
    // Still owed: the next run asks for the same files again.
    const again = await cli(['run', '--wait']);
    expect(again.code).toBe(1);
    expect(w.srv.tasks.list()).toHaveLength(2);
    expect(w.srv.tasks.list()[1]!.filesSeen.size).toBe(w.srv.tasks.list()[0]!.filesSeen.size);
  });

  it(`is reported as persistent after ${PERSISTENT_SKIP_TASKS} tasks in a row, and no longer once fixed`, async () => {
    w = await jobWorld();
    w.config.metrics.textfile = path.join(w.base, 'gsync.prom');
    seed(w.src, { 'a.txt': 'a' });
    setCollectionPath('/data/run1');
    for (let i = 1; i <= PERSISTENT_SKIP_TASKS; i++) {
      const r = await w.run();
      expect(exitCodeForRun(r)).toBe(1);
      expect(metric('gsync_persistent_skips')).toBe(i === PERSISTENT_SKIP_TASKS ? 1 : 0);
    }
    const state = openState(w.config.state.path);
    expect(skipStreaks(state).map((s) => [s.code, s.tasks])).toEqual([['FILE_NOT_FOUND', PERSISTENT_SKIP_TASKS]]);
    state.close();
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/^skipped  FILE_NOT_FOUND \/data\/run1\S*: in 3 tasks in a row since \S+ \(persistent\)$/m);

    setCollectionPath('/');
    const fixed = await w.run();
    expect(exitCodeForRun(fixed)).toBe(0);
    expect(fixed.delivery).toMatchObject({ filesTransferred: 1, skippedErrors: 0 });
    expect(metric('gsync_persistent_skips')).toBe(0);
    expect(w.diff()).toBe('');
  });
});

describe('paths Globus skipped with errors', () => {
  it('a file deleted between the scan and the transfer is a warning: exit 0', async () => {
    w = await jobWorld();
    seed(w.src, { 'keep.txt': 'k', 'gone.txt': 'g', 'other.txt': 'o' });
    await w.run();
    // Both change, so the next transfer names each file (a first run ships the folder as one item).
    writeTree(w.src, { 'keep.txt': 'k2', 'gone.txt': 'g2' });
    const r = await w.run({
      // After the scan and the recorded submission, before Globus reads the source.
      crashPoint: (at) => {
        if (at === 'after-record') fs.rmSync(path.join(w.src, 'gone.txt'));
      },
    });
    expect(exitCodeForRun(r)).toBe(0);
    expect(r.delivery).toMatchObject({ filesTransferred: 1, bytesTransferred: 2, owed: 0, vanished: 1, hint: null });
    expect(summaryLine(r)).toMatch(/^task \S+ SUCCEEDED: 1 of 2 files delivered \(2 B\); 1 item gone from the source since the scan \(FILE_NOT_FOUND \/gone\.txt\)$/);
  });

  it('a file the source collection may not read exits 1 with the permissions hint', async () => {
    w = await jobWorld();
    seed(w.src, { 'a.txt': 'a', 'secret.txt': 's', 'z.txt': 'z' });
    w.srv.faults.denySource('/secret.txt');
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.delivery).toMatchObject({ filesTransferred: 2, owed: 1, vanished: 0 });
    const [line, hint] = summaryLine(r).split('\n');
    expect(line).toMatch(/SUCCEEDED: 2 of 3 files delivered \(2 B\); 1 item skipped by Globus \(PERMISSION_DENIED \/secret\.txt\)$/);
    expect(hint).toMatch(/^hint: .*permissions/);
    // The denied file stays owed: the next run, once it may be read, delivers it.
    w.srv.faults.denySource('/secret.txt', false);
    const next = await w.run();
    expect(exitCodeForRun(next)).toBe(0);
    expect(next.delivery).toMatchObject({ filesAsked: 1, filesTransferred: 1 });
    expect(w.diff()).toBe('');
  });
});

describe('files Globus found already up to date', () => {
  it('are reported as up to date, not as delivered', async () => {
    w = await jobWorld();
    w.config.metrics.textfile = path.join(w.base, 'gsync.prom');
    const tree = { 'a.txt': 'aa', 'b.txt': 'bbb', 'c.txt': 'new' };
    seed(w.src, tree);
    // The destination already holds a and b as they are (same size, same mtime), as after a manual copy.
    seed(w.dst, { 'a.txt': 'aa', 'b.txt': 'bbb' });
    const r = await w.run();
    const task = w.srv.tasks.get(r.taskId!)!.document();
    // What Globus puts in the task document (docs.globus.org/api/transfer/task): files met, copied, and skipped by sync_level.
    expect(task).toMatchObject({ files: 3, files_transferred: 1, files_skipped: 2, bytes_transferred: 3, subtasks_skipped_errors: 0 });
    expect(exitCodeForRun(r)).toBe(0);
    expect(summaryLine(r)).toMatch(/^task \S+ SUCCEEDED: 1 of 3 files delivered \(3 B\); 2 already up to date$/);
    expect(metric('gsync_last_run_transferred_files')).toBe(1);
    expect(metric('gsync_last_run_transferred_bytes')).toBe(3);
    expect(metric('gsync_last_run_up_to_date_files')).toBe(2);
    expect(metric('gsync_last_run_skipped_errors')).toBe(0);
    expect(w.diff()).toBe('');
  });
});
