import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DST_ID, fixture, item, keyDiff, SRC_ID, world, writeTree, type World } from './server-support.js';

/** Every document the server returns has the key set of the recorded Globus payload (values ignored). */
let w: World;
beforeEach(async () => {
  w = await world({
    taskDelayMs: 300,
    collections: undefined,
  });
});
afterEach(async () => w.cleanup());

describe('Transfer documents match the fixtures key for key', () => {
  it('submission_id: the recorded key plus DATA_TYPE, which the live service sends', async () => {
    const res = await w.call('GET', '/v0.10/submission_id');
    expect(res.status).toBe(200);
    expect(keyDiff(res.body, fixture('submission_id.json'))).toEqual(['$.DATA_TYPE extra']);
    expect(res.body.DATA_TYPE).toBe('submission_id');
  });

  it('transfer submit (202 Accepted), task ACTIVE, then SUCCEEDED, task_list, event_list, successful_transfers', async () => {
    writeTree(w.src, { 'a.txt': 'hello' });
    const sub = await w.submit({ DATA: [item('/a.txt', '/a.txt')], label: 'doc test' });
    expect(sub.status).toBe(202);
    expect(sub.body.code).toBe('Accepted');
    expect(keyDiff(sub.body, fixture('transfer_submit.json'))).toEqual([]);
    const taskId = sub.body.task_id;

    const active = await w.call('GET', `/v0.10/task/${taskId}`);
    expect(active.body.status).toBe('ACTIVE');
    expect(keyDiff(active.body, fixture('task_get_active.json'))).toEqual([]);

    const done = await w.waitDone(taskId);
    expect(done.status).toBe('SUCCEEDED');
    expect(keyDiff(done, fixture('task_get_succeeded.json'))).toEqual([]);

    const list = await w.call('GET', '/v0.10/task_list');
    expect(keyDiff(list.body, fixture('task_list.json'))).toEqual([]);
    expect(list.body.DATA.map((t: any) => t.task_id)).toEqual([taskId]);

    const events = await w.call('GET', `/v0.10/task/${taskId}/event_list`);
    expect(keyDiff(events.body, fixture('task_event_list.json'))).toEqual([]);
    expect(events.body.DATA[0].code).toBe('SUCCEEDED');

    const st = await w.call('GET', `/v0.10/task/${taskId}/successful_transfers`);
    // The recording's keys, plus size and checksum as the JS SDK's types list them (issue 28, 11).
    expect(keyDiff(st.body, fixture('successful_transfers.json')).sort()).toEqual(['$.DATA[0].checksum extra', '$.DATA[0].checksum_algorithm extra', '$.DATA[0].size extra']);
    expect(st.body.DATA).toEqual([{ DATA_TYPE: 'successful_transfer', source_path: '/a.txt', destination_path: '/a.txt', size: 5, checksum: null, checksum_algorithm: null }]);
  });

  it('a FAILED task has the TRANSFER task keys and a fatal_error shaped like task_get_failed.json', async () => {
    w.srv.faults.failNextTask({ code: 'PERMISSION_DENIED', description: 'permission denied' });
    writeTree(w.src, { 'a.txt': 'x' });
    const sub = await w.submit({ DATA: [item('/a.txt', '/a.txt')] });
    const done = await w.waitDone(sub.body.task_id);
    expect(done.status).toBe('FAILED');
    // task_get_failed.json records a DELETE task (no DATA_TYPE, an internal "key"); compare the
    // shared keys with it and the full set with the TRANSFER recording.
    expect(keyDiff(done, fixture('task_get_succeeded.json'))).toEqual([]);
    const failed = fixture('task_get_failed.json');
    expect(keyDiff(done.fatal_error, failed.fatal_error)).toEqual([]);
    expect(Object.keys(failed).filter((k) => !(k in done))).toEqual(['key']);
    expect(done.fatal_error).toEqual({ code: 'PERMISSION_DENIED', description: 'permission denied' });
    expect(done.completion_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
  });

  it('skipped_errors items match the recorded skipped_error documents', async () => {
    const sub = await w.submit({ DATA: [item('/missing.txt', '/missing.txt')], skip_source_errors: true });
    await w.waitDone(sub.body.task_id);
    const res = await w.call('GET', `/v0.10/task/${sub.body.task_id}/skipped_errors`);
    // The recording has no paging wrapper; the paged form adds DATA_TYPE, marker and next_marker.
    expect(keyDiff(res.body.DATA, fixture('skipped_errors.json').DATA)).toEqual([]);
    expect(res.body.DATA[0].error_code).toBe('FILE_NOT_FOUND');
    expect(res.body.DATA_TYPE).toBe('skipped_errors');
  });

  it('cancel: "Canceled" shaped like task_cancel.json, then "TaskComplete"; the task ends FAILED', async () => {
    writeTree(w.src, { 'a.txt': 'x' });
    const sub = await w.submit({ DATA: [item('/a.txt', '/a.txt')] });
    const c = await w.call('POST', `/v0.10/task/${sub.body.task_id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.code).toBe('Canceled');
    expect(keyDiff(c.body, fixture('task_cancel.json'))).toEqual([]);
    const t = (await w.call('GET', `/v0.10/task/${sub.body.task_id}`)).body;
    expect(t.status).toBe('FAILED');
    expect(t.fatal_error.code).toBe('CANCELED');
    expect((await w.call('POST', `/v0.10/task/${sub.body.task_id}/cancel`)).body.code).toBe('TaskComplete');
  });

  it('unknown task: 404', async () => {
    const res = await w.call('GET', '/v0.10/task/00000000-0000-0000-0000-000000000000');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ClientError.NotFound');
  });
});

describe('endpoint documents', () => {
  it.each([
    ['mapped', 'endpoint_get_mapped.json', 'GCSv5_mapped_collection', false],
    ['guest', 'endpoint_get_guest.json', 'GCSv5_guest_collection', false],
    ['endpoint', 'endpoint_get_gcsv5_endpoint.json', 'GCSv5_endpoint', true],
    ['gcp', 'endpoint_get_gcp_mapped.json', 'GCP_mapped_collection', undefined],
  ] as const)('%s collection looks like %s', async (kind, file, entityType, nonFunctional) => {
    const id = '11111111-2222-3333-4444-555555555555';
    w.srv.addCollection({ id, root: w.dst, kind, highAssurance: kind === 'mapped' });
    const res = await w.call('GET', `/v0.10/endpoint/${id}`);
    expect(res.status).toBe(200);
    expect(keyDiff(res.body, fixture(file))).toEqual([]);
    expect(res.body.entity_type).toBe(entityType);
    expect(res.body.non_functional).toBe(nonFunctional);
    if (kind === 'mapped') expect(res.body.high_assurance).toBe(true);
  });

  it('unknown collection: 404 EndpointNotFound', async () => {
    const res = await w.call('GET', '/v0.10/endpoint/99999999-2222-3333-4444-555555555555');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('EndpointNotFound');
  });
});

describe('filesystem operations', () => {
  it('ls lists a folder like operation_ls.json, hides dotfiles with show_hidden=0, and an empty one like operation_ls_empty.json', async () => {
    writeTree(w.dst, { 'share/file1.txt': 'abcd', 'share/.hidden': 'h', 'share/sub/': '', 'empty/': '' });
    fs.symlinkSync('file1.txt', path.join(w.dst, 'share', 'link'));
    const res = await w.call('GET', `/v0.10/operation/endpoint/${DST_ID}/ls?path=/share&show_hidden=0`);
    expect(res.status).toBe(200);
    expect(keyDiff(res.body, fixture('operation_ls.json'))).toEqual([]);
    expect(res.body.path).toBe('/share/');
    const byName = Object.fromEntries(res.body.DATA.map((e: any) => [e.name, e]));
    expect(Object.keys(byName)).toEqual(['file1.txt', 'link', 'sub']);
    expect(byName['file1.txt']).toMatchObject({ type: 'file', size: 4, link_target: null });
    expect(byName['sub'].type).toBe('dir');
    expect(byName['link']).toMatchObject({ type: 'file', link_target: 'file1.txt' });
    expect(byName['file1.txt'].last_modified).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$/);

    const empty = await w.call('GET', `/v0.10/operation/endpoint/${DST_ID}/ls?path=/empty/`);
    expect(keyDiff(empty.body, fixture('operation_ls_empty.json'))).toEqual([]);
    expect(empty.body.DATA).toEqual([]);
  });

  it('ls of a missing folder: 404 ClientError.NotFound; of a path above the root: 403', async () => {
    const missing = await w.call('GET', `/v0.10/operation/endpoint/${DST_ID}/ls?path=/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('ClientError.NotFound');
    expect(keyDiff(missing.body, fixture('error_not_found_stat.json'))).toEqual([]);
    const escape = await w.call('GET', `/v0.10/operation/endpoint/${DST_ID}/ls?path=/../..`);
    expect(escape.status).toBe(403);
    expect(escape.body.code).toBe('EndpointPermissionDenied');
  });

  it('stat: operation_stat.json for a file; error_not_found_stat.json for a missing path', async () => {
    writeTree(w.dst, { 'x/file1.txt': 'abcd' });
    const ok = await w.call('GET', `/v0.10/operation/endpoint/${DST_ID}/stat?path=/x/file1.txt`);
    expect(keyDiff(ok.body, fixture('operation_stat.json'))).toEqual([]);
    expect(ok.body).toMatchObject({ name: 'file1.txt', size: 4, type: 'file' });
    const missing = await w.call('GET', `/v0.10/operation/endpoint/${DST_ID}/stat?path=/x/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NotFound');
    expect(keyDiff(missing.body, fixture('error_not_found_stat.json'))).toEqual([]);
  });

  it('mkdir creates a directory (operation_mkdir.json); again is 502 ExternalError.MkdirFailed.Exists; no parent is an error', async () => {
    const res = await w.call('POST', `/v0.10/operation/endpoint/${DST_ID}/mkdir`, { DATA_TYPE: 'mkdir', path: '/newdir' });
    expect(res.status).toBe(202);
    expect(keyDiff(res.body, fixture('operation_mkdir.json'))).toEqual([]);
    expect(fs.statSync(path.join(w.dst, 'newdir')).isDirectory()).toBe(true);
    const again = await w.call('POST', `/v0.10/operation/endpoint/${DST_ID}/mkdir`, { DATA_TYPE: 'mkdir', path: '/newdir' });
    expect(again.status).toBe(502);
    expect(again.body.code).toBe('ExternalError.MkdirFailed.Exists');
    const orphan = await w.call('POST', `/v0.10/operation/endpoint/${DST_ID}/mkdir`, { DATA_TYPE: 'mkdir', path: '/a/b/c' });
    expect(orphan.status).toBe(502);
    expect(fs.existsSync(path.join(w.dst, 'a'))).toBe(false);
  });
});

describe('ConsentRequired', () => {
  it('answers 403 like error_consent_required.json unless the token carries the data_access scope', async () => {
    w.srv.faults.requireConsent(SRC_ID);
    const plain = w.srv.issueTokens({ scope: 'urn:globus:auth:scope:transfer.api.globus.org:all' }).access_token;
    const denied = await w.call('GET', `/v0.10/operation/endpoint/${SRC_ID}/ls?path=/`, undefined, plain);
    expect(denied.status).toBe(403);
    expect(keyDiff(denied.body, fixture('error_consent_required.json'))).toEqual([]);
    expect(denied.body.required_scopes[0]).toContain(`https://auth.globus.org/scopes/${SRC_ID}/data_access`);
    // the default test token carries data_access for the mapped collection (the guest one has no such scope)
    expect((await w.call('GET', `/v0.10/operation/endpoint/${SRC_ID}/ls?path=/`)).status).toBe(200);
    // a submission touching the collection is refused too, and creates no task
    writeTree(w.src, { 'a.txt': 'x' });
    const sid = (await w.call('GET', '/v0.10/submission_id', undefined, plain)).body.value;
    const sub = await w.call('POST', '/v0.10/transfer', { DATA_TYPE: 'transfer', submission_id: sid, source_endpoint: SRC_ID, destination_endpoint: DST_ID, DATA: [item('/a.txt', '/a.txt')] }, plain);
    expect(sub.status).toBe(403);
    expect(sub.body.code).toBe('ConsentRequired');
    expect(w.srv.tasks.list()).toHaveLength(0);
  });

  it('is also a per-collection option, which switches off', async () => {
    const id = '22222222-2222-3333-4444-555555555555';
    w.srv.addCollection({ id, root: w.dst, requireConsent: true });
    const plain = w.srv.issueTokens({ scope: 'urn:globus:auth:scope:transfer.api.globus.org:all' }).access_token;
    expect((await w.call('GET', `/v0.10/operation/endpoint/${id}/ls?path=/`, undefined, plain)).status).toBe(403);
    w.srv.faults.requireConsent(DST_ID, false);
    expect((await w.call('GET', `/v0.10/operation/endpoint/${DST_ID}/ls?path=/`, undefined, plain)).status).toBe(200);
  });
});
