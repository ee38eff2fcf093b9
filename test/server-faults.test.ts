import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID } from '../src/server/index.js';
import { DST_ID, item, postForm, readTree, SRC_ID, world, writeTree, type World } from './server-support.js';

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => w.cleanup());

async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe('request faults', () => {
  it('429 with Retry-After for the next N matching requests only, then normal answers; all counted', async () => {
    w.srv.faults.tooManyRequests(2, { path: '/submission_id', retryAfterSeconds: 3 });
    const a = await w.call('GET', '/v0.10/submission_id');
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('3');
    expect(a.body.code).toBeTruthy();
    expect((await w.call('GET', `/v0.10/endpoint/${SRC_ID}`)).status).toBe(200); // other paths untouched
    expect((await w.call('GET', '/v0.10/submission_id')).status).toBe(429);
    expect((await w.call('GET', '/v0.10/submission_id')).status).toBe(200);
    expect(w.srv.requests.count('/v0.10/submission_id', 'GET')).toBe(3);
    expect(w.srv.requests.entries.filter((e) => e.faulted)).toHaveLength(2);
    expect(w.srv.faults.pending()).toBe(0);
  });

  it('503 on Transfer answers {code, message}; on Auth the JSON:API error shape', async () => {
    w.srv.faults.unavailable(2);
    const t = await w.call('GET', '/v0.10/submission_id');
    expect(t.status).toBe(503);
    expect(Object.keys(t.body).sort()).toEqual(['code', 'message', 'request_id', 'resource']);
    const a = await postForm(new URL('v2/oauth2/token', w.srv.url).toString(), { grant_type: 'refresh_token', refresh_token: 'x', client_id: DEMO_CLIENT_ID });
    expect(a.status).toBe(503);
    expect(a.body.errors[0].status).toBe('503');
  });

  it('a custom status and code, e.g. a non-retryable 502 ExternalError', async () => {
    w.srv.faults.add({ path: '/ls', action: { type: 'status', status: 502, code: 'ExternalError.DirListingFailed.GCDisconnected' } });
    const res = await w.call('GET', `/v0.10/operation/endpoint/${DST_ID}/ls?path=/`);
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('ExternalError.DirListingFailed.GCDisconnected');
  });

  it('connection reset: the client gets no answer; the next request is served', async () => {
    w.srv.faults.resetConnection(1, { path: '/submission_id' });
    await expect(w.call('GET', '/v0.10/submission_id')).rejects.toThrow();
    expect(w.srv.requests.entries.at(-1)?.outcome).toBe('reset');
    expect((await w.call('GET', '/v0.10/submission_id')).status).toBe(200);
  });

  it('reset after handling: the transfer is accepted though the client saw no answer; resubmitting is a Duplicate', async () => {
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.resetConnection(1, { path: '/v0.10/transfer', method: 'POST', after: true });
    const sid = (await w.call('GET', '/v0.10/submission_id')).body.value;
    const doc = { DATA_TYPE: 'transfer', submission_id: sid, source_endpoint: SRC_ID, destination_endpoint: DST_ID, DATA: [item('/a.txt', '/a.txt')] };
    await expect(w.call('POST', '/v0.10/transfer', doc)).rejects.toThrow();
    expect(w.srv.tasks.list()).toHaveLength(1);
    const again = await w.call('POST', '/v0.10/transfer', doc);
    expect(again.body.code).toBe('Duplicate');
    expect(again.body.task_id).toBe(w.srv.tasks.list()[0]!.id);
    expect(w.srv.tasks.list()).toHaveLength(1);
  });

  it('503 after handling also creates the task', async () => {
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.unavailable(1, { path: '/v0.10/transfer', after: true });
    const res = await w.submit({ DATA: [item('/a.txt', '/a.txt')] });
    expect(res.status).toBe(503);
    expect(w.srv.tasks.list()).toHaveLength(1);
  });

  it('a slow answer makes a client with a short timeout give up; the request after it is prompt', async () => {
    w.srv.faults.slow(2000, 1, { path: '/submission_id' });
    const url = new URL('v0.10/submission_id', w.srv.url);
    const headers = { authorization: `Bearer ${w.token}` };
    await expect(fetch(url, { headers, signal: AbortSignal.timeout(100) })).rejects.toThrow();
    const ok = await fetch(url, { headers, signal: AbortSignal.timeout(1500) });
    expect(ok.status).toBe(200);
  });
});

describe('task faults', () => {
  // partial.ts: Globus writes in place, so a task cut off leaves truncated files dated "now".
  it('failNextTask: the next task FAILS with the fatal_error given, leaving a truncated copy dated now; the one after succeeds', async () => {
    writeTree(w.src, { 'a.txt': 'abcdefgh' });
    const old = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(path.join(w.src, 'a.txt'), old, old);
    w.srv.faults.failNextTask({ code: 'QUOTA_EXCEEDED', description: 'quota exceeded' });
    const before = Date.now();
    const t1 = await w.waitDone((await w.submit({ DATA: [item('/a.txt', '/a.txt')], preserve_timestamp: true })).body.task_id);
    expect(t1).toMatchObject({ status: 'FAILED', fatal_error: { code: 'QUOTA_EXCEEDED', description: 'quota exceeded' }, files_transferred: 0 });
    expect(readTree(w.dst)).toEqual({ 'a.txt': 'abcd' });
    expect(fs.statSync(path.join(w.dst, 'a.txt')).mtimeMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    // sync_level mtime now sees a destination newer than the source and leaves the truncated copy alone...
    const t2 = await w.waitDone((await w.submit({ DATA: [item('/a.txt', '/a.txt')], sync_level: 'mtime', preserve_timestamp: true })).body.task_id);
    expect(t2).toMatchObject({ status: 'SUCCEEDED', files_transferred: 0, files_skipped: 1 });
    expect(readTree(w.dst)).toEqual({ 'a.txt': 'abcd' });
    // ...and only checksum repairs it.
    const t3 = await w.waitDone((await w.submit({ DATA: [item('/a.txt', '/a.txt')], sync_level: 'checksum', preserve_timestamp: true })).body.task_id);
    expect(t3).toMatchObject({ status: 'SUCCEEDED', files_transferred: 1 });
    expect(readTree(w.dst)).toEqual({ 'a.txt': 'abcdefgh' });
  });

  it('a task that faults until its deadline FAILS expired and leaves truncated copies of what it had not finished', async () => {
    writeTree(w.src, { 'd/x.txt': 'xxxxxxxx', 'd/y.txt': 'yyyy' });
    w.srv.faults.faultNextTask({ code: 'CONNECTION_RESET' });
    const t = await w.waitDone((await w.submit({ DATA: [item('/d', '/d', true)], deadline: new Date(Date.now() + 600).toISOString() })).body.task_id);
    expect(t).toMatchObject({ status: 'FAILED', subtasks_expired: 1, fatal_error: { code: 'CONNECTION_RESET' } });
    expect(readTree(w.dst)).toEqual({ 'd/': '', 'd/x.txt': 'xxxx', 'd/y.txt': 'yy' });
  });

  it('faultNextTask: ACTIVE with faults growing and nice_status set, until cancelled', async () => {
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.faultNextTask({ code: 'CONNECT_FAILED' });
    const id = (await w.submit({ DATA: [item('/a.txt', '/a.txt')] })).body.task_id;
    await waitUntil(() => w.srv.tasks.get(id)!.faults >= 3);
    const t = (await w.call('GET', `/v0.10/task/${id}`)).body;
    expect(t).toMatchObject({ status: 'ACTIVE', is_ok: false, nice_status: 'CONNECT_FAILED' });
    expect(t.faults).toBeGreaterThanOrEqual(3);
    await w.call('POST', `/v0.10/task/${id}/cancel`);
    expect((await w.waitDone(id)).status).toBe('FAILED');
    expect(readTree(w.dst)).toEqual({});
  });

  it('faultNextTask with recoverAfter: faults, then the copy goes through and the task SUCCEEDS with faults > 0', async () => {
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.faultNextTask({ recoverAfter: 2 });
    const t = await w.waitDone((await w.submit({ DATA: [item('/a.txt', '/a.txt')] })).body.task_id);
    expect(t).toMatchObject({ status: 'SUCCEEDED', faults: 2, files_transferred: 1 });
    expect(readTree(w.dst)).toEqual({ 'a.txt': 'a' });
  });

  it('inactivateNextTask: INACTIVE with a nice_status; a cancel ends it FAILED', async () => {
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.inactivateNextTask();
    const id = (await w.submit({ DATA: [item('/a.txt', '/a.txt')] })).body.task_id;
    await w.srv.tasks.waitFor(id, ['INACTIVE']);
    const t = (await w.call('GET', `/v0.10/task/${id}`)).body;
    expect(t).toMatchObject({ status: 'INACTIVE', is_ok: false, nice_status: 'CREDENTIALS_EXPIRED' });
    const active = await w.call('GET', '/v0.10/task_list?filter=status:ACTIVE,INACTIVE');
    expect(active.body.DATA.map((d: any) => d.task_id)).toEqual([id]);
    await w.call('POST', `/v0.10/task/${id}/cancel`);
    expect((await w.call('GET', `/v0.10/task/${id}`)).body.status).toBe('FAILED');
  });

  it('an INACTIVE task FAILS at its deadline', async () => {
    w.srv.faults.inactivateNextTask();
    const t = await w.waitDone((await w.submit({ DATA: [item('/a.txt', '/a.txt')], deadline: new Date(Date.now() + 800).toISOString() })).body.task_id);
    expect(t).toMatchObject({ status: 'FAILED', subtasks_expired: 1, fatal_error: { code: 'CREDENTIALS_EXPIRED' } });
  });
});

// task_behavior, Queuing: 3 transfer tasks per user at a time, the rest "Queued" until one stops.
describe('queued tasks', () => {
  it('the fourth open task of a user is ACTIVE with nice_status "Queued" and starts when one of the three ends', async () => {
    await w.cleanup();
    w = await world({ taskStartDelayMs: 60_000 });
    writeTree(w.src, { 'a.txt': 'a' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await w.submit({ DATA: [item('/a.txt', `/a${i}.txt`)] })).body.task_id);
    const doc = async (id: string) => (await w.call('GET', `/v0.10/task/${id}`)).body;
    for (const id of ids.slice(0, 3)) expect(await doc(id)).toMatchObject({ status: 'ACTIVE', nice_status: 'OK' });
    expect(await doc(ids[3]!)).toMatchObject({ status: 'ACTIVE', nice_status: 'Queued', is_ok: true, faults: 0 });
    await w.call('POST', `/v0.10/task/${ids[0]}/cancel`);
    await waitUntil(() => w.srv.tasks.get(ids[3]!)!.niceStatus === null);
    expect(await doc(ids[3]!)).toMatchObject({ status: 'ACTIVE', nice_status: 'OK' });
  });
});
