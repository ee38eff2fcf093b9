import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteResultSchema, taskSchema } from '../src/globus/schemas.js';
import { DST_ID, fixture, keyDiff, readTree, world, writeTree, type World } from './server-support.js';

let w: World;
beforeEach(async () => {
  w = await world();
  writeTree(w.dst, { 'f.txt': 'f', 'dir/a.txt': 'a', 'dir/sub/b.txt': 'b', 'other.txt': 'o' });
});
afterEach(async () => w.cleanup());

async function del(doc: Record<string, unknown>, sid?: string) {
  const submission_id = sid ?? (await w.call('GET', '/v0.10/submission_id')).body.value;
  return w.call('POST', '/v0.10/delete', { DATA_TYPE: 'delete', submission_id, endpoint: DST_ID, ...doc });
}
const items = (...paths: string[]) => paths.map((p) => ({ DATA_TYPE: 'delete_item', path: p }));

describe('local server: delete tasks (POST /delete)', () => {
  it('answers like delete_submit.json and runs a DELETE task that removes a file and a directory (recursive)', async () => {
    const res = await del({ recursive: true, ignore_missing: true, DATA: items('/f.txt', '/dir/') });
    expect(res.status).toBe(202);
    expect(keyDiff(res.body, fixture('delete_submit.json'))).toEqual([]);
    expect(deleteResultSchema.safeParse(res.body).success).toBe(true);
    const task = await w.waitDone(res.body.task_id);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.type).toBe('DELETE');
    expect(taskSchema.safeParse(task).success).toBe(true);
    expect(Object.keys(readTree(w.dst))).toEqual(['other.txt']);
    const events = (await w.call('GET', `/v0.10/task/${res.body.task_id}/event_list`)).body.DATA.map((e: { code: string }) => e.code);
    expect(events).toEqual(['SUCCEEDED', 'STARTED']);
  });

  it('the task document has the key set of the recorded DELETE task (task_get_failed.json), destination null', async () => {
    const res = await del({ recursive: false, DATA: items('/f.txt') });
    const task = await w.waitDone(res.body.task_id);
    const { DATA_TYPE: _t, ...doc } = task; // the recording has no DATA_TYPE (SOURCES.md)
    const recorded = fixture('task_get_failed.json');
    expect(Object.keys(doc).sort()).toEqual(Object.keys(recorded).sort());
    expect(task.destination_endpoint_id).toBeNull();
    expect(task.source_endpoint_id).toBe(DST_ID);
  });

  it('a directory without recursive fails the task and deletes nothing', async () => {
    const res = await del({ recursive: false, DATA: items('/dir/') });
    const task = await w.waitDone(res.body.task_id);
    expect(task.status).toBe('FAILED');
    expect(task.fatal_error.code).toBe('IS_A_DIRECTORY');
    expect(fs.existsSync(path.join(w.dst, 'dir/sub/b.txt'))).toBe(true);
  });

  it('a missing path fails the task (FILE_NOT_FOUND, as recorded) unless ignore_missing', async () => {
    const strict = await w.waitDone((await del({ DATA: items('/nope.txt') })).body.task_id);
    expect(strict.status).toBe('FAILED');
    expect(strict.fatal_error).toEqual({ code: 'FILE_NOT_FOUND', description: 'file not found' });
    const lenient = await w.waitDone((await del({ ignore_missing: true, DATA: items('/nope.txt', '/f.txt') })).body.task_id);
    expect(lenient.status).toBe('SUCCEEDED');
    expect(fs.existsSync(path.join(w.dst, 'f.txt'))).toBe(false);
  });

  it('a repeated submission_id is answered "Duplicate" with the first task, and nothing runs twice', async () => {
    const sid = (await w.call('GET', '/v0.10/submission_id')).body.value;
    const first = await del({ DATA: items('/f.txt') }, sid);
    const again = await del({ DATA: items('/f.txt') }, sid);
    expect(again.status).toBe(200);
    expect(again.body.code).toBe('Duplicate');
    expect(again.body.task_id).toBe(first.body.task_id);
    expect(w.srv.tasks.list()).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['DATA_TYPE', { DATA_TYPE: 'transfer' }, /DATA_TYPE must be "delete"/],
    ['endpoint', { endpoint: undefined }, /endpoint is required/],
    ['item DATA_TYPE', { DATA: [{ DATA_TYPE: 'transfer_item', path: '/f.txt' }] }, /DATA\[0\]\.DATA_TYPE must be "delete_item"/],
    ['relative path', { DATA: items('f.txt') }, /absolute path/],
    ['recursive', { recursive: 'yes' }, /recursive must be true or false/],
    ['glob pattern', { interpret_globs: true, DATA: items('/d/*.txt') }, /glob patterns are not expanded/],
    ['path escape', { DATA: items('/../etc') }, /leaves the collection's root/],
  ])('refuses a bad %s with 400 naming it', async (_n, override, message) => {
    const res = await del({ DATA: items('/f.txt'), ...override });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(w.srv.tasks.list()).toHaveLength(0);
  });

  it('fault injection applies: a failed next task deletes nothing; a faulty one shows faults, then finishes', async () => {
    w.srv.faults.failNextTask({ code: 'PERMISSION_DENIED', description: 'injected' });
    const failed = await w.waitDone((await del({ DATA: items('/f.txt') })).body.task_id);
    expect(failed.status).toBe('FAILED');
    expect(fs.existsSync(path.join(w.dst, 'f.txt'))).toBe(true);
    w.srv.faults.faultNextTask({ recoverAfter: 2 });
    const faulty = await w.waitDone((await del({ DATA: items('/f.txt') })).body.task_id);
    expect(faulty.status).toBe('SUCCEEDED');
    expect(faulty.faults).toBe(2);
    expect(fs.existsSync(path.join(w.dst, 'f.txt'))).toBe(false);
  });

  it('a symlink is removed, never followed', async () => {
    fs.symlinkSync(path.join(w.dst, 'dir'), path.join(w.dst, 'link'));
    const task = await w.waitDone((await del({ recursive: true, DATA: items('/link') })).body.task_id);
    expect(task.status).toBe('SUCCEEDED');
    expect(fs.existsSync(path.join(w.dst, 'link'))).toBe(false);
    expect(fs.existsSync(path.join(w.dst, 'dir/sub/b.txt'))).toBe(true);
  });
});
