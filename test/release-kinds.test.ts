import fs from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GlobusApiError } from '../src/globus/errors.js';
import { openState, type State } from '../src/state/open.js';
import { repairCount } from '../src/state/repair.js';
import { recordProblem } from '../src/state/hooks.js';
import type { CrashPointName } from '../src/run/crash-point.js';
import type { OpenRemote } from '../src/run/remote.js';
import { assertBuilt } from './helpers/cli.js';
import { HookRecorder } from './helpers/hook-recorder.js';
import { writeAged } from './helpers/aged-tree.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { readTree } from './server-support.js';
import { tempDir } from './helpers/temp.js';

/**
 * Issue 36. Every way a transfer task ends other than SUCCEEDED may have left
 * partial copies at the destination, so each must mark its paths for repair:
 * the next run sends them in a task of their own with sync_level checksum.
 * And the owed hook is written inside the transaction that commits or
 * releases its task: a failure inside it leaves neither, and a clean rerun
 * records the hook exactly once.
 */
let w: JobWorld;
let hook: HookRecorder;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

const HOUR = 3600;
const at = (tree: Record<string, string>, secondsAgo: number) => writeAged(w.src, tree, secondsAgo);
function withState<T>(f: (s: State) => T): T {
  const s = openState(w.config.state.path);
  try {
    return f(s);
  } finally {
    s.close();
  }
}
const sourcePaths = (taskId: string) => w.srv.tasks.get(taskId)!.items.map((i) => i.source_path).sort();

/** A first run ships the tree; then edit.txt changes and the task carrying it ends as `release` makes it end. */
async function releasedEdit(release: (w: JobWorld) => Promise<void>, extra: Record<string, string> = {}): Promise<void> {
  at({ 'base.txt': 'base', 'edit.txt': 'version one' }, HOUR);
  expect((await w.run()).result).toBe('succeeded');
  at({ 'edit.txt': 'version two, longer', ...extra }, HOUR / 2);
  await release(w);
}

/**
 * The next run: the released paths go in a checksum task of their own, an
 * unrelated change in the usual mtime task. `releasing`: that run is the one
 * that learns the task's fate and releases it (LOST, HISTORY_DELETED, ...);
 * otherwise the marks were written when it ended.
 */
async function expectRepairedApart(released: string[], releasing?: () => ReturnType<JobWorld['run']>, result = 'succeeded'): Promise<void> {
  if (!releasing) expect(withState(repairCount)).toBe(released.length);
  const run = releasing ?? (() => w.run());
  at({ 'other.txt': 'unrelated change' }, HOUR / 2);
  const r = await run();
  expect(r.result, r.settled.problems.join('; ')).toBe(result);
  expect(r.tasks.map((t) => [t.repair, t.syncLevel, t.files])).toEqual([
    [true, 'checksum', released.length],
    [false, 'mtime', 1],
  ]);
  const [repair, normal] = r.tasks;
  expect(sourcePaths(repair!.taskId)).toEqual(released);
  expect(w.srv.tasks.get(repair!.taskId)!.options.syncLevel).toBe(3);
  expect(sourcePaths(normal!.taskId)).toEqual(['/other.txt']);
  expect(w.srv.tasks.get(normal!.taskId)!.options.syncLevel).toBe(2);
  expect(w.diff()).toBe('');
  expect(withState(repairCount)).toBe(0);
}

/** The job's remote, except that Globus answers 404 for `lostId` (as after the Transfer service changed under the state). */
function losing(open: OpenRemote, lostId: string): OpenRemote {
  return () => {
    const s = open();
    const r = s.remote;
    const remote: typeof r = {
      getSubmissionId: () => r.getSubmissionId(),
      submitTransfer: (d) => r.submitTransfer(d),
      submitDelete: (d) => r.submitDelete(d),
      skippedErrors: (id) => r.skippedErrors(id),
      successfulTransfers: (id) => r.successfulTransfers(id),
      stat: (collection, p) => r.stat(collection, p),
      getTask: async (id) => {
        if (id !== lostId) return r.getTask(id);
        throw new GlobusApiError({ service: 'transfer', httpStatus: 404, code: 'ClientError.NotFound', message: `Task ID '${id}' not found`, method: 'GET', path: `v0.10/task/${id}`, requiredScopes: [] });
      },
    };
    return { ...s, remote };
  };
}

describe('every kind of release marks its paths for repair (checksum, in a task of their own)', () => {
  it('FAILED', async () => {
    w = await jobWorld();
    await releasedEdit(async () => {
      w.srv.faults.failNextTask({ code: 'CONNECTION_RESET', description: 'cut off' });
      expect((await w.run()).result).toBe('failed');
    });
    expect(readTree(w.dst)['edit.txt']).toBe('version t'); // a truncated copy, newer than the source
    await expectRepairedApart(['/edit.txt']);
  });

  it('INACTIVE holds its paths (no release, no repair yet); once it ends FAILED they are released for repair', async () => {
    w = await jobWorld();
    let taskId = '';
    await releasedEdit(async () => {
      w.srv.faults.inactivateNextTask({ description: 'credentials expired' });
      const r = await w.run();
      expect(r.outcome).toBe('task-inactive');
      taskId = r.taskId!;
      const held = await w.run({ wait: false });
      expect([held.settled.inactive, held.files, held.tasks]).toEqual([1, 0, []]);
      expect(withState(repairCount)).toBe(0);
      const task = w.srv.tasks.get(taskId)!;
      task.abort.abort(new Error('canceled'));
      task.finish('FAILED', { code: 'CANCELED', description: 'canceled by a person' });
    });
    // The run that settles it sees FAILED (news: 'problems'), releases, and repairs in the same run.
    await expectRepairedApart(['/edit.txt'], () => w.run(), 'problems');
  });

  it('LOST: Globus does not know the task (404)', async () => {
    w = await jobWorld();
    let lostId = '';
    await releasedEdit(async () => {
      const r = await w.run({ wait: false });
      lostId = r.taskId!;
      await w.srv.tasks.waitFor(lostId);
    });
    await expectRepairedApart(['/edit.txt'], () => w.run({ openRemote: losing(w.wiring.openRemote, lostId) }));
  });

  it('REJECTED: Globus refuses the document (a 4xx that is not about credentials)', async () => {
    w = await jobWorld();
    await releasedEdit(async () => {
      w.srv.faults.add({ action: { type: 'status', status: 400, code: 'ClientError.BadRequest', message: 'refused by the test' }, path: /\/transfer$/, method: 'POST' });
      await expect(w.run()).rejects.toThrow(/400 ClientError\.BadRequest: refused by the test/);
    });
    await expectRepairedApart(['/edit.txt']);
  });

  it('HISTORY_DELETED: SUCCEEDED, but which paths it skipped can no longer be read', async () => {
    w = await jobWorld();
    await releasedEdit(
      async () => {
        w.srv.faults.denySource('/secret.txt');
        const r = await w.run({ wait: false });
        const task = await w.srv.tasks.waitFor(r.taskId!);
        expect(task.status).toBe('SUCCEEDED');
        task.deleteHistory();
        w.srv.faults.denySource('/secret.txt', false);
      },
      { 'secret.txt': 'locked away' },
    );
    await expectRepairedApart(['/edit.txt', '/secret.txt'], () => w.run());
  });
});

/** A job whose onSucceeded and onFailed both run the recording hook. */
async function hookedWorld(): Promise<void> {
  const dir = tempDir('gsync-hook-');
  hook = new HookRecorder(dir);
  w = await jobWorld({}, { hooks: { onSucceeded: hook.argv, onFailed: hook.argv } });
  const cleanup = w.cleanup;
  w.cleanup = async () => {
    await cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

/** A failure thrown where the crash harness would SIGKILL: the transaction around it rolls back. */
const failAt = (point: CrashPointName) => (name: CrashPointName) => {
  if (name === point) throw new Error(`injected failure at ${point}`);
};

/** A trigger in the state database that aborts the statement writing the owed hook row, after the row is written. */
function abortHookRow(on: boolean): void {
  withState((s) =>
    s.db.exec(on ? `CREATE TRIGGER test_abort_hook AFTER INSERT ON task_hook BEGIN SELECT RAISE(ABORT, 'injected: hook row'); END` : `DROP TRIGGER test_abort_hook`),
  );
}

/** What of a settle can be seen in the state: the submission's end, hook rows, held and repair marks, shipped paths. */
function settled() {
  return withState((s) => ({
    ended: s.db.prepare(`SELECT count(*) FROM submission WHERE completed_ns IS NOT NULL`).pluck().get(),
    hooks: s.db.prepare(`SELECT task_id, event FROM task_hook ORDER BY id`).all(),
    pending: s.db.prepare(`SELECT count(*) FROM pending`).pluck().get(),
    repair: repairCount(s),
    shipped: s.db.prepare(`SELECT count(*) FROM node WHERE shipped_kind = 'f'`).pluck().get(),
  }));
}

describe('the owed hook is written inside the commit and release transactions (issue 36)', () => {
  const failures = [
    ['a failure at its crash point, the end of the transaction', (point: CrashPointName) => ({ crashPoint: failAt(point) }), () => {}],
    ['an abort of the hook row itself', () => (abortHookRow(true), {}), () => abortHookRow(false)],
  ] as const;

  for (const [how, inject, undo] of failures) {
    it(`commit (SUCCEEDED), ${how}: nothing of the commit or the hook survives; a clean rerun records and runs exactly one hook`, async () => {
      await hookedWorld();
      at({ 'a.txt': 'aaa', 'd/b.txt': 'bb' }, HOUR);
      await expect(w.run({ wait: false })).resolves.toMatchObject({ result: 'submitted' });
      const [task] = w.srv.tasks.list();
      await w.srv.tasks.waitFor(task!.id);
      await expect(w.run(inject('inside-commit'))).rejects.toThrow(/injected/);
      expect(settled()).toEqual({ ended: 0, hooks: [], pending: 4, repair: 0, shipped: 0 });
      expect(hook.calls()).toEqual([]);
      undo();
      const clean = await w.run();
      expect(clean.settled.succeeded).toBe(1);
      expect(settled()).toEqual({ ended: 1, hooks: [{ task_id: task!.id, event: 'SUCCEEDED' }], pending: 0, repair: 0, shipped: 2 });
      expect(hook.calls().map((c) => [c.env.GSYNC_STATUS, c.env.GSYNC_TASK_ID])).toEqual([['SUCCEEDED', task!.id]]);
      expect(w.srv.tasks.list()).toHaveLength(1);
      await w.run();
      expect(hook.calls()).toHaveLength(1);
    });

    it(`release (FAILED), ${how}: nothing of the release or the hook survives; a clean rerun records and runs exactly one hook`, async () => {
      await hookedWorld();
      at({ 'a.txt': 'aaa', 'd/b.txt': 'bb' }, HOUR);
      w.srv.faults.failNextTask({ code: 'PERMISSION_DENIED', description: 'denied by the test' });
      await w.run({ wait: false });
      const [task] = w.srv.tasks.list();
      await w.srv.tasks.waitFor(task!.id);
      await expect(w.run(inject('inside-release'))).rejects.toThrow(/injected/);
      expect(settled()).toEqual({ ended: 0, hooks: [], pending: 4, repair: 0, shipped: 0 });
      expect(hook.calls()).toEqual([]);
      undo();
      const clean = await w.run();
      expect(clean.settled.failed).toBe(1);
      const repairTask = clean.tasks[0]!;
      expect(repairTask.repair).toBe(true);
      expect(settled().hooks).toEqual([
        { task_id: task!.id, event: 'FAILED' },
        { task_id: repairTask.taskId, event: 'SUCCEEDED' },
      ]);
      expect(hook.calls().map((c) => [c.env.GSYNC_STATUS, c.env.GSYNC_TASK_ID])).toEqual([
        ['FAILED', task!.id],
        ['SUCCEEDED', repairTask.taskId],
      ]);
      await w.run();
      expect(hook.calls()).toHaveLength(2);
    });
  }

  it('task_hook has a unique key on (task, event): a re-settle cannot owe the same hook twice', async () => {
    await hookedWorld();
    at({ 'a.txt': 'a' }, HOUR);
    w.srv.faults.failNextTask();
    const r = await w.run();
    withState((s) => {
      const unique = (s.db.prepare(`PRAGMA index_list(task_hook)`).all() as Array<{ name: string; unique: number }>)
        .filter((i) => i.unique === 1)
        .map((i) => (s.db.prepare(`PRAGMA index_info(${JSON.stringify(i.name)})`).all() as Array<{ name: string }>).map((c) => c.name));
      expect(unique).toContainEqual(['submission', 'event']);
      recordProblem(s, { submissionRowId: r.submissionRowId!, taskId: r.taskId!, event: 'FAILED', error: 'again', createdNs: 1n });
      expect(s.db.prepare(`SELECT count(*) FROM task_hook WHERE event = 'FAILED'`).pluck().get()).toBe(1);
    });
  });
});
