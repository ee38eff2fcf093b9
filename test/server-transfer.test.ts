import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DST_ID, fixture, item, keyDiff, readTree, SRC_ID, world, writeTree, type World } from './server-support.js';

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => w.cleanup());

describe('submission validation', () => {
  const valid = () => ({ DATA: [item('/a.txt', '/a.txt')] });

  it('an empty DATA is exactly transfer_submit_error_no_items.json (bar the request id, and the resource as recorded answers name it)', async () => {
    const res = await w.submit({ DATA: [] });
    expect(res.status).toBe(400);
    const { request_id, ...rest } = res.body;
    const { request_id: _r, ...expected } = fixture('transfer_submit_error_no_items.json');
    // The SDK's hand-written fixture says "/v0.10/transfer"; globus-cli's recorded answers name
    // resources without the version prefix ("/delete", "/task/<id>/cancel"), and the server follows those.
    expect(rest).toEqual({ ...expected, resource: '/transfer' });
    expect(request_id).toMatch(/^[A-Za-z0-9]{9}$/);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['DATA_TYPE', { DATA_TYPE: 'delete' }, /DATA_TYPE must be "transfer"/],
    ['item DATA_TYPE', { DATA: [{ ...item('/a', '/a'), DATA_TYPE: 'delete_item' }] }, /DATA\[0\]\.DATA_TYPE/],
    ['source_endpoint', { source_endpoint: undefined }, /source_endpoint is required/],
    ['destination_endpoint', { destination_endpoint: '' }, /destination_endpoint is required/],
    ['DATA missing', { DATA: undefined }, /DATA is required/],
    ['relative path', { DATA: [item('a.txt', '/a.txt')] }, /absolute path/],
    ['sync_level', { sync_level: 'newer' }, /sync_level must be one of/],
    ['sync_level number', { sync_level: 4 }, /sync_level must be one of/],
    ['label length', { label: 'x'.repeat(129) }, /at most 128 characters/],
    ['label newline', { label: 'two\nlines' }, /newline characters/],
    ['label carriage return', { label: 'two\rlines' }, /newline characters/],
    ['label leading space', { label: ' gsync job' }, /leading or trailing whitespace/],
    ['label trailing space', { label: 'gsync job ' }, /leading or trailing whitespace/],
    ['boolean option', { preserve_timestamp: 'yes' }, /preserve_timestamp must be true or false/],
    ['deadline', { deadline: 'tomorrow' }, /deadline must be an ISO 8601/],
    ['path escape', { DATA: [item('/../etc/passwd', '/x')] }, /leaves the collection's root/],
  ])('refuses a bad %s with 400 ClientError.BadRequest naming it', async (_name, override, message) => {
    const res = await w.submit({ ...valid(), ...override });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ClientError.BadRequest');
    expect(res.body.message).toMatch(message);
    expect(w.srv.tasks.list()).toHaveLength(0);
  });

  it('accepts a label of exactly 128 characters and sync_level as a number', async () => {
    writeTree(w.src, { 'a.txt': 'a' });
    const res = await w.submit({ ...valid(), label: 'é'.repeat(128), sync_level: 2 });
    expect(res.status).toBe(202);
    const t = await w.waitDone(res.body.task_id);
    expect(t.sync_level).toBe(2);
    expect(t.label).toBe('é'.repeat(128));
  });

  it('refuses a submission_id it never issued', async () => {
    const res = await w.call('POST', '/v0.10/transfer', { DATA_TYPE: 'transfer', submission_id: 'made-up', source_endpoint: SRC_ID, destination_endpoint: DST_ID, ...valid() });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/submission_id/);
  });

  it('unknown collection: 404 EndpointNotFound; a GCSv5 endpoint: 400', async () => {
    const unknown = await w.submit({ ...valid(), destination_endpoint: '99999999-9999-9999-9999-999999999999' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('EndpointNotFound');
    w.srv.addCollection({ id: '33333333-3333-3333-3333-333333333333', root: w.dst, kind: 'endpoint' });
    const ep = await w.submit({ ...valid(), destination_endpoint: '33333333-3333-3333-3333-333333333333' });
    expect(ep.status).toBe(400);
  });

  it('the same submission_id twice: "Duplicate" with the same task_id, executed once', async () => {
    writeTree(w.src, { 'a.txt': 'once' });
    const sid = (await w.call('GET', '/v0.10/submission_id')).body.value;
    const doc = { DATA_TYPE: 'transfer', submission_id: sid, source_endpoint: SRC_ID, destination_endpoint: DST_ID, ...valid() };
    const first = await w.call('POST', '/v0.10/transfer', doc);
    expect(first.status).toBe(202);
    expect(first.body.code).toBe('Accepted');
    await w.waitDone(first.body.task_id);
    fs.writeFileSync(path.join(w.src, 'a.txt'), 'twice');
    const second = await w.call('POST', '/v0.10/transfer', doc);
    expect(second.status).toBe(200);
    expect(second.body.code).toBe('Duplicate');
    expect(second.body.task_id).toBe(first.body.task_id);
    expect(w.srv.tasks.list()).toHaveLength(1);
    expect(fs.readFileSync(path.join(w.dst, 'a.txt'), 'utf8')).toBe('once');
    expect(w.srv.requests.count('/v0.10/transfer', 'POST')).toBe(2);
  });
});

describe('executing transfers', () => {
  it('copies a recursive item with nested and empty directories; counters are honest', async () => {
    writeTree(w.src, { 'data/a.txt': 'aaa', 'data/sub/b.txt': 'bb', 'data/empty/': '', 'data/sub/deeper/c.txt': 'c' });
    fs.symlinkSync('/etc/passwd', path.join(w.src, 'data', 'outside-link'));
    const sub = await w.submit({ DATA: [item('/data', '/backup/data', true)], sync_level: 'mtime' });
    const t = await w.waitDone(sub.body.task_id);
    expect(t.status).toBe('SUCCEEDED');
    expect(readTree(path.join(w.dst, 'backup', 'data'))).toEqual({ 'a.txt': 'aaa', 'empty/': '', 'sub/': '', 'sub/b.txt': 'bb', 'sub/deeper/': '', 'sub/deeper/c.txt': 'c' });
    expect(t).toMatchObject({ files: 3, directories: 4, files_transferred: 3, files_skipped: 0, bytes_transferred: 6, faults: 0, subtasks_failed: 0, subtasks_pending: 0 });
    const st = (await w.call('GET', `/v0.10/task/${sub.body.task_id}/successful_transfers`)).body.DATA.map((d: any) => [d.source_path, d.destination_path]);
    expect(st).toEqual([
      ['/data/a.txt', '/backup/data/a.txt'],
      ['/data/sub/b.txt', '/backup/data/sub/b.txt'],
      ['/data/sub/deeper/c.txt', '/backup/data/sub/deeper/c.txt'],
    ]);
  });

  it('a file item creates missing destination parents and replaces an existing file atomically (no temp files left)', async () => {
    writeTree(w.src, { 'x.bin': 'new content' });
    writeTree(w.dst, { 'deep/x.bin': 'old' });
    const sub = await w.submit({ DATA: [item('/x.bin', '/deep/x.bin'), item('/x.bin', '/other/dir/x.bin')] });
    await w.waitDone(sub.body.task_id);
    expect(readTree(w.dst)).toEqual({ 'deep/': '', 'deep/x.bin': 'new content', 'other/': '', 'other/dir/': '', 'other/dir/x.bin': 'new content' });
  });

  it('preserve_timestamp sets the source mtime (whole seconds); without it the copy is newer', async () => {
    writeTree(w.src, { 'p.txt': 'p', 'q.txt': 'q' });
    const when = new Date('2020-05-06T07:08:09.750Z');
    fs.utimesSync(path.join(w.src, 'p.txt'), when, when);
    fs.utimesSync(path.join(w.src, 'q.txt'), when, when);
    const a = await w.submit({ DATA: [item('/p.txt', '/p.txt')], preserve_timestamp: true });
    const b = await w.submit({ DATA: [item('/q.txt', '/q.txt')], preserve_timestamp: false });
    await w.waitDone(a.body.task_id);
    await w.waitDone(b.body.task_id);
    expect(fs.statSync(path.join(w.dst, 'p.txt')).mtime.toISOString()).toBe('2020-05-06T07:08:09.000Z');
    expect(fs.statSync(path.join(w.dst, 'q.txt')).mtimeMs).toBeGreaterThan(when.getTime());
  });

  it('sync_level=mtime skips files whose destination is as new, copies newer ones', async () => {
    writeTree(w.src, { 'same.txt': 'same', 'newer.txt': 'v2', 'older.txt': 'src' });
    writeTree(w.dst, { 'same.txt': 'same', 'newer.txt': 'v1', 'older.txt': 'dst' });
    const t0 = new Date('2021-01-01T00:00:00Z');
    const t1 = new Date('2021-01-02T00:00:00Z');
    const set = (root: string, f: string, d: Date) => fs.utimesSync(path.join(root, f), d, d);
    set(w.src, 'same.txt', t0); set(w.dst, 'same.txt', t0);
    set(w.src, 'newer.txt', t1); set(w.dst, 'newer.txt', t0);
    set(w.src, 'older.txt', t0); set(w.dst, 'older.txt', t1);
    const sub = await w.submit({ DATA: [item('/', '/', true)], sync_level: 'mtime', preserve_timestamp: true });
    const t = await w.waitDone(sub.body.task_id);
    expect(t).toMatchObject({ files: 3, files_transferred: 1, files_skipped: 2 });
    expect(readTree(w.dst)).toEqual({ 'same.txt': 'same', 'newer.txt': 'v2', 'older.txt': 'dst' });
  });

  it('sync levels exists, size and checksum', async () => {
    writeTree(w.src, { 'e.txt': 'source', 's.txt': 'same-size', 'c.txt': 'AAAA' });
    writeTree(w.dst, { 'e.txt': 'dest', 's.txt': 'SAME-SIZE', 'c.txt': 'BBBB' });
    const run = async (level: string, f: string) => (await w.waitDone((await w.submit({ DATA: [item(`/${f}`, `/${f}`)], sync_level: level })).body.task_id)).files_transferred;
    expect(await run('exists', 'e.txt')).toBe(0);
    expect(await run('size', 's.txt')).toBe(0);
    expect(await run('checksum', 's.txt')).toBe(1);
    expect(await run('checksum', 'c.txt')).toBe(1);
    expect(await run('checksum', 'c.txt')).toBe(0);
    expect(readTree(w.dst)).toEqual({ 'e.txt': 'dest', 's.txt': 'same-size', 'c.txt': 'AAAA' });
  });

  it('verify_checksum counts the bytes checksummed', async () => {
    writeTree(w.src, { 'v.txt': '12345' });
    const t = await w.waitDone((await w.submit({ DATA: [item('/v.txt', '/v.txt')], verify_checksum: true })).body.task_id);
    expect(t).toMatchObject({ bytes_checksummed: 5, bytes_transferred: 5, verify_checksum: true });
  });

  it('a missing source with skip_source_errors: recorded in skipped_errors, the rest copied, task SUCCEEDED', async () => {
    writeTree(w.src, { 'here.txt': 'here' });
    const sub = await w.submit({ DATA: [item('/here.txt', '/here.txt'), item('/gone.txt', '/gone.txt')], skip_source_errors: true });
    const t = await w.waitDone(sub.body.task_id);
    expect(t).toMatchObject({ status: 'SUCCEEDED', files_transferred: 1, subtasks_skipped_errors: 1, faults: 0 });
    const skipped = (await w.call('GET', `/v0.10/task/${sub.body.task_id}/skipped_errors`)).body.DATA;
    expect(skipped.map((s: any) => [s.source_path, s.error_code, s.is_directory])).toEqual([['/gone.txt', 'FILE_NOT_FOUND', false]]);
    expect(readTree(w.dst)).toEqual({ 'here.txt': 'here' });
  });

  // task_get_failed.json: a task that meets a missing source file FAILS with FILE_NOT_FOUND; it is not retried until the deadline.
  it('a missing source without skip_source_errors keeps the task ACTIVE with faults rising and the subtask pending, until the deadline', async () => {
    // globus-cli issue 1056, Parsl issue 436: such a task stays ACTIVE, faults rising, retrying until its deadline.
    writeTree(w.src, { 'here.txt': 'here!!' });
    const sub = await w.submit({ DATA: [item('/never.txt', '/never.txt'), item('/here.txt', '/here.txt')], deadline: new Date(Date.now() + 3_000).toISOString() });
    const id = sub.body.task_id;
    const task = w.srv.tasks.get(id)!;
    await vi.waitFor(() => expect(task.faults).toBeGreaterThanOrEqual(3), { timeout: 2_500, interval: 20 });
    const active = (await w.call('GET', `/v0.10/task/${id}`)).body;
    expect(active).toMatchObject({ status: 'ACTIVE', fatal_error: null, nice_status: 'FILE_NOT_FOUND', is_ok: false });
    expect(active.faults).toBeGreaterThanOrEqual(3);
    expect(active.subtasks_pending).toBeGreaterThanOrEqual(1);
    const events = (await w.call('GET', `/v0.10/task/${id}/event_list?filter=is_error:1`)).body;
    expect(events.DATA.length).toBeGreaterThanOrEqual(3);
    expect(events.DATA.every((e: any) => e.code === 'FILE_NOT_FOUND' && e.is_error)).toBe(true);
    // At the deadline it expires FAILED, nothing pending any more.
    const t = await w.waitDone(id);
    expect(t).toMatchObject({ status: 'FAILED', fatal_error: { code: 'FILE_NOT_FOUND' }, subtasks_expired: 1, subtasks_pending: 0 });
  }, 15_000);

  it('pages successful_transfers with markers', async () => {
    await w.cleanup();
    w = await world({ pageSize: 2 });
    writeTree(w.src, { 'd/1': '1', 'd/2': '2', 'd/3': '3', 'd/4': '4', 'd/5': '5' });
    const sub = await w.submit({ DATA: [item('/d', '/d', true)] });
    await w.waitDone(sub.body.task_id);
    const seen: string[] = [];
    let marker: number | null = 0;
    let pages = 0;
    while (marker !== null) {
      const res: any = (await w.call('GET', `/v0.10/task/${sub.body.task_id}/successful_transfers?marker=${marker}`)).body;
      seen.push(...res.DATA.map((d: any) => d.source_path));
      marker = res.next_marker;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['/d/1', '/d/2', '/d/3', '/d/4', '/d/5']);
  });
});
