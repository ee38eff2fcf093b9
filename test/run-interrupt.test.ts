import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, gsync, messageLines } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

/*
 * Issue 31.6: Ctrl-C during `gsync run --wait` stops the wait, not the records:
 * one line says which task is still open, the run exits 130, status names the
 * task, and the run that settles it says what it delivered.
 */
let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});
beforeAll(() => assertBuilt());

describe('Ctrl-C during gsync run --wait', () => {
  it('says what was left, exits 130, status shows the task, and the next run reports what it delivered', { timeout: 60_000 }, async () => {
    // The task sits ACTIVE long enough for the SIGINT to land while the run waits.
    w = await jobWorld({ taskStartDelayMs: 2_000 });
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'bb' });
    const cli = (args: string[], more = {}) => gsync([...args, '--config', w!.configFile], { env: w!.env, ...more });

    const r = await cli(['run', '--wait'], { signalOn: { stderr: /submitted task/, signal: 'SIGINT' } });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    const [task] = w.srv.tasks.list();
    expect(task).toBeDefined();
    expect(messageLines(r.stderr)).toEqual([`gsync: interrupted: task ${task!.id} (2 files, 3 B) was submitted and is still open; the next run will settle it`]);
    expect(r.stdout).toBe('');

    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(status.runs[0]).toMatchObject({ taskId: task!.id, result: 'still-active', exitCode: 130, files: 2 });

    await w.srv.tasks.waitFor(task!.id);
    const next = await cli(['run']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toBe(`settled task ${task!.id}: 2 of 2 files delivered (3 B); nothing new to ship\n`);
    expect(w.inSync()).toBe(true);
  });

  it('waiting only for a reconcile task: Ctrl-C stops the wait, names the task, exits 130', { timeout: 60_000 }, async () => {
    w = await jobWorld({ taskStartDelayMs: 2_000 });
    writeTree(w.src, { 'a.txt': 'a' });
    expect((await w.run({ wait: true })).result).toBe('succeeded');
    const cli = (args: string[], more = {}) => gsync([...args, '--config', w!.configFile], { env: w!.env, ...more });
    const r = await cli(['run', '--wait', '--reconcile'], { signalOn: { stderr: /submitted reconcile task/, signal: 'SIGINT' } });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    const reconcile = w.srv.tasks.list().at(-1)!;
    expect(messageLines(r.stderr)).toEqual([`gsync: interrupted: reconcile task ${reconcile.id} was submitted and is still open; the next run will settle it`]);
    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(status.runs[0]).toMatchObject({ exitCode: 130 });
    await w.srv.tasks.waitFor(reconcile.id);
  });

  it('waiting only for a delete task: Ctrl-C stops the wait, names the task, exits 130', { timeout: 60_000 }, async () => {
    w = await jobWorld({ taskStartDelayMs: 2_000 }, { deletes: { enabled: true, maxPercent: 100 } });
    writeTree(w.src, { 'a.txt': 'a', 'b.txt': 'b' });
    expect((await w.run({ wait: true })).result).toBe('succeeded');
    fs.rmSync(path.join(w.src, 'b.txt'));
    const cli = (args: string[], more = {}) => gsync([...args, '--config', w!.configFile], { env: w!.env, ...more });
    const r = await cli(['run', '--wait'], { signalOn: { stderr: /submitted delete task/, signal: 'SIGINT' } });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    const del = w.srv.tasks.list().at(-1)!;
    expect(messageLines(r.stderr)).toEqual([`gsync: interrupted: delete task ${del.id} (1 path) was submitted and is still open; the next run will settle it`]);
    await w.srv.tasks.waitFor(del.id);
  });

  it('a run killed outright after submitting still names its task in status (recorded with the submission, not at the end)', { timeout: 60_000 }, async () => {
    w = await jobWorld({ taskStartDelayMs: 2_000 });
    writeTree(w.src, { 'a.txt': 'a' });
    const cli = (args: string[], more = {}) => gsync([...args, '--config', w!.configFile], { env: w!.env, ...more });
    const r = await cli(['run', '--wait'], { signalOn: { stderr: /submitted task/, signal: 'SIGKILL' } });
    expect(r.signal).toBe('SIGKILL');
    const [task] = w.srv.tasks.list();
    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(status.runs[0]).toMatchObject({ taskId: task!.id, result: 'unfinished' });
    await w.srv.tasks.waitFor(task!.id);
  });

  it('before anything was submitted, Ctrl-C ends gsync at once, as it always did: nothing sent, the next run ships it all', { timeout: 60_000 }, async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    const cli = (args: string[], more = {}) => gsync([...args, '--config', w!.configFile], { env: w!.env, ...more });
    // The run asks for a submission_id after the scan; a slow answer keeps it there when the SIGINT lands.
    w.srv.faults.slow(5_000, 1, { path: /\/submission_id$/ });
    const r = await cli(['run', '--wait'], { signalOn: { stderr: /scan found/, signal: 'SIGINT' } });
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(w.srv.tasks.list()).toEqual([]);
    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(status.runs[0]).toMatchObject({ taskId: null, result: 'unfinished' });
    const next = await cli(['run', '--wait']);
    expect(next.code, next.stderr).toBe(0);
    expect(w.inSync()).toBe(true);
  });
});
