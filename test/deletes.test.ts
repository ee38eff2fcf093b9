import { exitCodeForRun } from '../src/run/outcome.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openState } from '../src/state/open.js';
import { openDeleteTasks } from '../src/ledger/delete-rows.js';
import { findNode } from '../src/state/last-transfer.js';
import { DeleteTask } from '../src/server/delete-task.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { readTree, writeTree } from './server-support.js';

let w: JobWorld;
afterEach(async () => {
  await w?.cleanup();
});

const ON = { deletes: { enabled: true, maxPercent: 50 } };
const deletePosts = () => w.srv.requests.count('/delete', 'POST');
const deleteTasks = () => w.srv.tasks.list().filter((t): t is DeleteTask => t instanceof DeleteTask);
const dst = (rel: string) => fs.existsSync(path.join(w.dst, rel));
const rm = (rel: string) => fs.rmSync(path.join(w.src, rel), { recursive: true, force: true });

/** Ten files in three folders, shipped: the world every story starts from. */
async function shipped(config: Record<string, unknown> = ON): Promise<void> {
  w = await jobWorld({}, config);
  writeTree(w.src, {
    'a.txt': 'a',
    'b.txt': 'b',
    'c.txt': 'c',
    'd/1.txt': '1',
    'd/2.txt': '2',
    'd/e/3.txt': '3',
    'f/4.txt': '4',
    'f/5.txt': '5',
    'g/6.txt': '6',
    'g/7.txt': '7',
  });
  const first = await w.run();
  expect(first.result).toBe('succeeded');
  expect(w.diff()).toBe('');
}

function trieHas(rel: string): boolean {
  const state = openState(w.config.state.path, { readonly: true });
  try {
    return findNode(state, rel) !== null;
  } finally {
    state.close();
  }
}

describe('deletes', () => {
  it('are off by default: a removed file stays at the destination and no delete task is sent', async () => {
    await shipped({});
    rm('a.txt');
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(0);
    expect(dst('a.txt')).toBe(true);
    expect(deletePosts()).toBe(0);
    expect(r.deletes.planned).toBe(0);
  });

  it('a deleted file and a deleted directory disappear at the destination; the directory is one recursive item', async () => {
    await shipped();
    rm('a.txt');
    rm('d');
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(0);
    expect(r.deletes.submitted?.paths).toBe(6); // a.txt, d/, d/1, d/2, d/e/, d/e/3
    expect(r.deletes.deletedPaths).toBe(6);
    expect(dst('a.txt')).toBe(false);
    expect(dst('d')).toBe(false);
    expect(w.diff()).toBe('');
    const [task] = deleteTasks();
    expect(task!.paths).toEqual(['/a.txt', '/d/']);
    expect(task!.deleteOptions.recursive).toBe(true);
    expect(task!.deleteOptions.ignoreMissing).toBe(true);
    // Forgotten only now: nothing of them is left in the trie.
    expect(trieHas('a.txt')).toBe(false);
    expect(trieHas('d/e/3.txt')).toBe(false);
    // Nothing to do afterwards.
    const again = await w.run();
    expect(again.result).toBe('nothing-to-do');
    expect(deletePosts()).toBe(1);
  });

  it('the paths stay in the trie until the delete task SUCCEEDED, and a FAILED delete releases them for the next run', async () => {
    await shipped();
    rm('b.txt');
    w.srv.faults.failNextTask({ code: 'ENDPOINT_ERROR', description: 'injected' });
    const failed = await w.run();
    expect(exitCodeForRun(failed)).toBe(1);
    expect(failed.deletes.failed).toBe(1);
    expect(dst('b.txt')).toBe(true);
    expect(trieHas('b.txt')).toBe(true);
    const retry = await w.run();
    expect(exitCodeForRun(retry)).toBe(0);
    expect(dst('b.txt')).toBe(false);
    expect(trieHas('b.txt')).toBe(false);
    expect(deletePosts()).toBe(2);
  });

  it('a delete task that FAILED after its own run ended: the run that settles it exits 1 and names it, then the paths are deleted', async () => {
    await shipped();
    rm('b.txt');
    w.srv.faults.failNextTask({ code: 'ENDPOINT_ERROR', description: 'injected' });
    const sent = await w.run({ wait: false });
    expect(sent.deletes.submitted).not.toBeNull();
    await Promise.all(deleteTasks().map((t) => w.srv.tasks.waitFor(t.id)));
    const settling = await w.run({ wait: false });
    expect([settling.settled.failed, settling.deletes.failed, exitCodeForRun(settling)]).toEqual([1, 1, 1]);
    expect(settling.settled.problems.join()).toMatch(/delete task \S+ FAILED \(ENDPOINT_ERROR: injected\)/);
    expect(trieHas('b.txt')).toBe(true);
    // The settling run, its paths released, already sent a new delete for them (not waited for):
    // let it end, so the next run settles it rather than racing it.
    expect(settling.deletes.submitted).not.toBeNull();
    await Promise.all(deleteTasks().map((t) => w.srv.tasks.waitFor(t.id)));
    const retry = await w.run();
    expect(exitCodeForRun(retry)).toBe(0);
    expect(dst('b.txt')).toBe(false);
  });

  it('the guard stops an emptied source: nothing is deleted, the run exits 1 and says which guard', async () => {
    await shipped({ deletes: { enabled: true, maxPercent: 100 } });
    for (const e of fs.readdirSync(w.src)) rm(e);
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.deletes.stoppedBy).toMatch(/empty-source guard/);
    expect(deletePosts()).toBe(0);
    expect(Object.keys(readTree(w.dst))).toHaveLength(14);
  });

  it('the maxPercent guard stops a mass delete, still ships the rest, and --allow-deletes N lets exactly N through', async () => {
    await shipped({ deletes: { enabled: true } }); // 10%: 1 of 14 shipped paths
    rm('f');
    writeTree(w.src, { 'new.txt': 'n' });
    const stopped = await w.run();
    expect(exitCodeForRun(stopped)).toBe(1);
    expect(stopped.deletes.stoppedBy).toMatch(/maxPercent guard: 3 of 14 shipped paths/);
    expect(dst('f/4.txt')).toBe(true);
    expect(dst('new.txt')).toBe(true); // the rest shipped
    expect(deletePosts()).toBe(0);

    const tooFew = await w.run({ allowDeletes: 2 });
    expect(exitCodeForRun(tooFew)).toBe(1);
    expect(deletePosts()).toBe(0);
    expect(dst('f')).toBe(true);

    const exact = await w.run({ allowDeletes: 3 });
    expect(exitCodeForRun(exact)).toBe(0);
    expect(exact.deletes.deletedPaths).toBe(3);
    expect(dst('f')).toBe(false);
    expect(w.diff()).toBe('');
  });

  it('the maxCount guard caps a run in absolute terms', async () => {
    await shipped({ deletes: { enabled: true, maxPercent: 100, maxCount: 1 } });
    rm('a.txt');
    rm('b.txt');
    const r = await w.run();
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.deletes.stoppedBy).toMatch(/maxCount guard/);
    expect(dst('a.txt') && dst('b.txt')).toBe(true);
  });

  it('a directory replaced by a file: the directory is deleted first, the file ships with the next run, no fault', async () => {
    await shipped();
    rm('d');
    writeTree(w.src, { d: 'now a file' });
    const first = await w.run();
    expect(exitCodeForRun(first)).toBe(0);
    expect(first.files).toBe(0); // held back until the delete SUCCEEDED
    expect(dst('d')).toBe(false);
    const second = await w.run();
    expect(exitCodeForRun(second)).toBe(0);
    expect(second.files).toBe(1);
    expect(fs.readFileSync(path.join(w.dst, 'd'), 'utf8')).toBe('now a file');
    expect(w.srv.tasks.list().every((t) => t.faults === 0)).toBe(true);
    expect(w.diff()).toBe('');
  });

  it('a file replaced by a directory: the file is deleted first, the directory ships with the next run', async () => {
    await shipped();
    rm('c.txt');
    writeTree(w.src, { 'c.txt/inner.txt': 'inner' });
    const first = await w.run();
    expect(exitCodeForRun(first)).toBe(0);
    expect(dst('c.txt')).toBe(false);
    await w.run();
    expect(w.srv.tasks.list().every((t) => t.faults === 0)).toBe(true);
    expect(w.diff()).toBe('');
  });

  it('a path recreated while its delete task is queued is held, ships after the delete, and is never deleted afterwards', async () => {
    await shipped();
    rm('a.txt');
    // The delete task stays ACTIVE (faulting) for two faults, then runs.
    w.srv.faults.faultNextTask({ recoverAfter: 2 });
    const submitted = await w.run({ wait: false });
    expect(submitted.deletes.submitted).not.toBeNull();
    writeTree(w.src, { 'a.txt': 'a, recreated' });
    const meanwhile = await w.run({ wait: false });
    expect(meanwhile.files).toBe(0); // not shipped while the delete may still run
    const task = deleteTasks()[0]!;
    await w.srv.tasks.waitFor(task.id);
    const after = await w.run();
    expect(after.deletes.deletedPaths).toBe(1);
    // Settled before the scan, so this run ships the recreated file.
    expect(after.files).toBe(1);
    expect(fs.readFileSync(path.join(w.dst, 'a.txt'), 'utf8')).toBe('a, recreated');
    await w.run();
    expect(deletePosts()).toBe(1);
    expect(dst('a.txt')).toBe(true);
  });

  it('a path recreated between the scan and the POST is dropped from the delete (checked on disk at submit time)', async () => {
    await shipped();
    rm('b.txt');
    // Recreate the file as soon as Globus hands out the delete's submission id, i.e. after the scan.
    let ids = 0;
    const orig = w.srv.requests.entries.push.bind(w.srv.requests.entries);
    w.srv.requests.entries.push = (...entries) => {
      for (const e of entries) if (String((e as { path?: string }).path ?? '').includes('submission_id') && ++ids === 1) writeTree(w.src, { 'b.txt': 'b again' });
      return orig(...entries);
    };
    const r = await w.run();
    expect(r.deletes.submitted).toBeNull();
    expect(deletePosts()).toBe(0);
    const next = await w.run();
    expect(next.files).toBe(1);
    expect(fs.readFileSync(path.join(w.dst, 'b.txt'), 'utf8')).toBe('b again');
  });

  it('a path a transfer still carries is not deleted until that transfer has ended', async () => {
    await shipped();
    writeTree(w.src, { 'a.txt': 'a, edited' });
    w.srv.faults.inactivateNextTask(); // the transfer holds a.txt until we end it
    const shipping = await w.run({ wait: false });
    expect(shipping.taskId).not.toBeNull();
    rm('a.txt');
    const meanwhile = await w.run({ wait: false });
    expect(meanwhile.deletes.planned).toBe(0);
    expect(deletePosts()).toBe(0);
    const t = w.srv.tasks.get(shipping.taskId!)!;
    t.abort.abort();
    t.finish('FAILED', { code: 'CANCELED', description: 'canceled' });
    await w.run(); // settles the FAILED transfer: a.txt is no longer in flight, and goes
    const last = await w.run();
    expect(exitCodeForRun(last)).toBe(0);
    expect(deletePosts()).toBe(1);
    expect(dst('a.txt')).toBe(false);
    expect(w.diff()).toBe('');
  });

  it('status shows an open delete task', async () => {
    await shipped();
    rm('a.txt');
    w.srv.faults.faultNextTask();
    await w.run({ wait: false });
    const state = openState(w.config.state.path, { readonly: true });
    try {
      expect(openDeleteTasks(state)).toHaveLength(1);
    } finally {
      state.close();
    }
  });
});
