import { afterEach, describe, expect, it } from 'vitest';
import { DST_ID, fixture, item, keyDiff, SRC_ID, TRANSFER_SCOPE, world, writeTree, type World } from './server-support.js';

/*
 * The local server held to recorded answers of the real Globus Transfer service
 * (test/fixtures/globus/, SOURCES.md: globus-cli tests/files/api_fixtures/*.yaml
 * are copies of real API responses). Each case puts the server in the state the
 * recording was taken in and compares the answer: the same keys, and the same
 * values wherever a value does not depend on ids, times or names. Where a recording
 * shows something the server does not do, the test fails.
 */
let w: World | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

/** A recorded document with the values that name one particular task, person or time taken out. */
const VARYING = new Set(['task_id', 'request_id', 'submission_id', 'deadline', 'request_time', 'completion_time', 'key', 'owner_id', 'username', 'time', 'last_modified', 'source_endpoint', 'source_endpoint_id', 'source_endpoint_display_name', 'endpoint', 'user', 'group', 'name', 'size', 'permissions', 'resource', 'href', 'effective_bytes_per_second']);
function stable(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !VARYING.has(k)));
}

async function del(doc: Record<string, unknown>) {
  const submission_id = (await w!.call('GET', '/v0.10/submission_id')).body.value;
  return w!.call('POST', '/v0.10/delete', { DATA_TYPE: 'delete', submission_id, endpoint: DST_ID, DATA: [{ DATA_TYPE: 'delete_item', path: '/f.txt' }], ...doc });
}

describe('recorded Transfer answers (globus-cli api_fixtures)', () => {
  it('POST /delete answers as submit_delete_*.yaml: keys, code, message, resource "/delete", a relative task_link', async () => {
    w = await world();
    writeTree(w.dst, { 'f.txt': 'f' });
    const res = await del({});
    const recorded = fixture('delete_submit_recorded.json') as any;
    expect(keyDiff(res.body, recorded)).toEqual([]);
    expect(stable(res.body)).toEqual({ ...stable(recorded), task_link: { ...recorded.task_link, href: `task/${res.body.task_id}?format=json` } });
    expect(res.body.resource).toBe(recorded.resource);
    expect(res.body.task_link.href).toBe(`task/${res.body.task_id}?format=json`);
  });

  it('a queued DELETE task is shaped as submit_delete_queued.yaml: Queued, no details, is_ok true, one pending', async () => {
    w = await world({ taskStartDelayMs: 60_000 });
    writeTree(w.dst, { 'f.txt': 'f' });
    for (let i = 0; i < 3; i++) await del({ ignore_missing: true });
    const id = (await del({})).body.task_id;
    const doc = (await w.call('GET', `/v0.10/task/${id}`)).body;
    const { DATA_TYPE: _t, ...ours } = doc; // the recording has no DATA_TYPE (SOURCES.md)
    const recorded = fixture('task_get_delete_queued.json');
    expect(keyDiff(ours, recorded)).toEqual([]);
    expect(stable(ours)).toEqual(stable(recorded));
    expect(ours.key).toMatch(/^active,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  });

  it('a SUCCEEDED DELETE task is shaped as submit_delete_success.yaml', async () => {
    w = await world();
    writeTree(w.dst, { 'f.txt': 'f' });
    const id = (await del({})).body.task_id;
    const { DATA_TYPE: _t, ...ours } = await w.waitDone(id);
    const recorded = fixture('task_get_delete_succeeded.json');
    expect(keyDiff(ours, recorded)).toEqual([]);
    expect(stable(ours)).toEqual(stable(recorded));
    expect(ours.key).toMatch(/^complete,/);
  });

  it('ls of "/~/" is shaped as ls_results.yaml, echoing the path as asked', async () => {
    w = await world();
    writeTree(w.src, { 'file1.txt': 'abcd' });
    const res = await w.call('GET', `/v0.10/operation/endpoint/${SRC_ID}/ls?path=${encodeURIComponent('/~/')}&show_hidden=0`);
    const recorded = fixture('operation_ls_home.json') as any;
    expect(keyDiff(res.body, recorded)).toEqual([]);
    expect(stable(res.body)).toEqual({ ...stable(recorded), DATA: res.body.DATA });
    expect(stable(res.body.DATA[0])).toEqual(stable(recorded.DATA[0]));
    expect(res.body.path).toBe(recorded.path);
  });

  it('a cancelled transfer\'s event list is shaped as task_event_list.yaml, its newest event CANCELED', async () => {
    w = await world({ taskStartDelayMs: 60_000 });
    writeTree(w.src, { 'a.txt': 'a' });
    const id = (await w.submit({ DATA: [item('/a.txt', '/a.txt')] })).body.task_id;
    await w.call('POST', `/v0.10/task/${id}/cancel`);
    const res = (await w.call('GET', `/v0.10/task/${id}/event_list`)).body;
    const recorded = fixture('task_event_list.json') as any;
    expect(Object.keys(res).sort()).toEqual(Object.keys(recorded).sort());
    expect(stable(res.DATA[0])).toEqual(stable(recorded.DATA[0]));
    expect(stable(res.DATA.at(-1))).toMatchObject({ code: 'STARTED', description: 'started', is_error: false });
  });

  it('task_list entries have the keys of task_list.yaml', async () => {
    w = await world();
    writeTree(w.src, { 'a.txt': 'a' });
    await w.waitDone((await w.submit({ DATA: [item('/a.txt', '/a.txt')] })).body.task_id);
    const res = (await w.call('GET', '/v0.10/task_list?filter=type:TRANSFER,DELETE&orderby=request_time%20DESC')).body;
    const recorded = fixture('task_list.json') as any;
    expect(Object.keys(res).sort()).toEqual(Object.keys(recorded).sort());
    expect(keyDiff(res.DATA[0], recorded.DATA[0])).toEqual([]);
  });

  it('a ConsentRequired answer names its resource as error_consent_required.json does, without the version prefix', async () => {
    w = await world();
    w.srv.faults.requireConsent(SRC_ID);
    const token = w.srv.issueTokens({ scope: TRANSFER_SCOPE }).access_token;
    const res = await w.call('GET', `/v0.10/operation/endpoint/${SRC_ID}/ls?path=/`, undefined, token);
    const recorded = fixture('error_consent_required.json') as any;
    expect(res.status).toBe(403);
    expect(keyDiff(res.body, recorded)).toEqual([]);
    expect(res.body.resource).toBe(`/operation/endpoint/${SRC_ID}/ls`);
    expect(recorded.resource).toMatch(/^\/operation\/endpoint\/[0-9a-f-]+\/ls$/);
  });

  it('cancel answers with resource "/task/<id>/cancel" as task_cancel.json', async () => {
    w = await world({ taskStartDelayMs: 60_000 });
    writeTree(w.src, { 'a.txt': 'a' });
    const id = (await w.submit({ DATA: [item('/a.txt', '/a.txt')] })).body.task_id;
    const res = (await w.call('POST', `/v0.10/task/${id}/cancel`)).body;
    const recorded = fixture('task_cancel.json') as any;
    expect(keyDiff(res, recorded)).toEqual([]);
    expect(stable(res)).toEqual(stable(recorded));
    expect(res.resource).toBe(`/task/${id}/cancel`);
  });
});
