import { createPublicKey, createVerify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET } from '../src/server/options.js';
import { DST_ID, item, postForm, readTree, SRC_ID, world, writeTree, type World } from './server-support.js';

/*
 * Issue 25 (the server's transfer and delete submissions share one validation) and
 * issue 28 (the local server follows Globus where it did not). Each test names the
 * point it holds; the sources are in README "How the local server follows Globus".
 */
let w: World | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

async function del(doc: Record<string, unknown>) {
  const submission_id = (await w!.call('GET', '/v0.10/submission_id')).body.value;
  return w!.call('POST', '/v0.10/delete', { DATA_TYPE: 'delete', submission_id, endpoint: DST_ID, ...doc });
}
const items = (...paths: string[]) => paths.map((p) => ({ DATA_TYPE: 'delete_item', path: p }));

describe('one validation for transfers and deletes (issue 25)', () => {
  it.each([' leading', 'trailing ', 'two\nlines'])('refuses the label %j on a delete as on a transfer', async (label) => {
    w = await world();
    writeTree(w.dst, { 'f.txt': 'f' });
    const t = await w.submit({ DATA: [item('/f.txt', '/f.txt')], label });
    const d = await del({ DATA: items('/f.txt'), label });
    expect([t.status, d.status]).toEqual([400, 400]);
    expect(d.body.message).toBe(t.body.message);
    expect(w.srv.tasks.list()).toHaveLength(0);
  });

  it('asks for consent (403 ConsentRequired) on a delete as on a transfer', async () => {
    w = await world();
    writeTree(w.dst, { 'f.txt': 'f' });
    w.srv.faults.requireConsent(DST_ID);
    const token = w.srv.issueTokens({ scope: 'urn:globus:auth:scope:transfer.api.globus.org:all' }).access_token;
    const sid = (await w.call('GET', '/v0.10/submission_id')).body.value;
    const d = await w.call('POST', '/v0.10/delete', { DATA_TYPE: 'delete', submission_id: sid, endpoint: DST_ID, DATA: items('/f.txt') }, token);
    expect(d.status).toBe(403);
    expect(d.body.code).toBe('ConsentRequired');
    expect(d.body.required_scopes).toEqual([`urn:globus:auth:scope:transfer.api.globus.org:all[*https://auth.globus.org/scopes/${DST_ID}/data_access]`]);
    expect(readTree(w.dst)).toEqual({ 'f.txt': 'f' });
  });

  it('accepts a TAB inside a label on both kinds: only CR/LF and outer whitespace are forbidden (issue 28, 11)', async () => {
    w = await world();
    writeTree(w.src, { 'a.txt': 'a' });
    writeTree(w.dst, { 'f.txt': 'f' });
    expect((await w.submit({ DATA: [item('/a.txt', '/a.txt')], label: 'a\tb' })).status).toBe(202);
    expect((await del({ DATA: items('/f.txt'), label: 'a\tb' })).status).toBe(202);
  });
});

describe('Transfer rules of issue 28', () => {
  it('3: delete_destination_extra removes what the source does not have, in a recursive item', async () => {
    w = await world();
    writeTree(w.src, { 'd/keep.txt': 'k', 'd/sub/x.txt': 'x', 'd/kind': 'now a file' });
    writeTree(w.dst, { 'd/keep.txt': 'old', 'd/extra.txt': 'e', 'd/gone/y.txt': 'y', 'd/kind/z.txt': 'z', 'outside.txt': 'o' });
    const t = await w.waitDone((await w.submit({ DATA: [item('/d', '/d', true)], delete_destination_extra: true })).body.task_id);
    expect(t.status).toBe('SUCCEEDED');
    expect(readTree(w.dst)).toEqual({ 'd/': '', 'd/keep.txt': 'k', 'd/sub/': '', 'd/sub/x.txt': 'x', 'd/kind': 'now a file', 'outside.txt': 'o' });
  });

  it('3: without delete_destination_extra, extras stay', async () => {
    w = await world();
    writeTree(w.src, { 'd/keep.txt': 'k' });
    writeTree(w.dst, { 'd/extra.txt': 'e' });
    await w.waitDone((await w.submit({ DATA: [item('/d', '/d', true)] })).body.task_id);
    expect(readTree(w.dst)).toEqual({ 'd/': '', 'd/keep.txt': 'k', 'd/extra.txt': 'e' });
  });

  it('5: task_list honours type, status, label, task_id and date filters, and orderby', async () => {
    w = await world();
    writeTree(w.src, { 'a.txt': 'a' });
    writeTree(w.dst, { 'f.txt': 'f' });
    const ids: string[] = [];
    for (const label of ['Nightly run', 'nightly check', 'other']) {
      const id = (await w.submit({ DATA: [item('/a.txt', `/${label}.txt`)], label })).body.task_id;
      await w.waitDone(id);
      ids.push(id);
    }
    const delId = (await del({ DATA: items('/f.txt'), label: 'cleanup' })).body.task_id;
    await w.waitDone(delId);
    const list = async (q: string) => {
      const r = await w!.call('GET', `/v0.10/task_list?${q}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.DATA.map((d: any) => d.label);
    };
    const f = (s: string) => `filter=${encodeURIComponent(s)}`;
    expect(await list(f('type:DELETE'))).toEqual(['cleanup']);
    expect(await list(f('type:TRANSFER'))).toEqual(['other', 'nightly check', 'Nightly run']);
    expect(await list(f('type:TRANSFER,DELETE/label:~night*'))).toEqual(['nightly check', 'Nightly run']);
    expect(await list(f('label:=other,=cleanup'))).toEqual(['cleanup', 'other']);
    expect(await list(f('type:TRANSFER/label:!~*check,!other'))).toEqual(['Nightly run']);
    expect(await list(f(`task_id:${ids[0]},${delId}`))).toEqual(['cleanup', 'Nightly run']);
    expect(await list(f('status:FAILED'))).toEqual([]);
    expect(await list(f('request_time:2000-01-01 00:00:00,'))).toHaveLength(4);
    expect(await list(f('completion_time:,2000-01-01 00:00:00'))).toEqual([]);
    expect(await list(`${f('type:TRANSFER')}&orderby=${encodeURIComponent('label ASC')}`)).toEqual(['Nightly run', 'nightly check', 'other']);
    expect(await list(`orderby=${encodeURIComponent('request_time ASC')}`)).toEqual(['Nightly run', 'nightly check', 'other', 'cleanup']);
    const bad = await w.call('GET', `/v0.10/task_list?${f('colour:red')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/colour/);
  });

  it('7: 3 transfer tasks and 3 delete tasks run at once per user; a delete is not queued behind transfers', async () => {
    w = await world({ taskStartDelayMs: 60_000 });
    writeTree(w.src, { 'a.txt': 'a' });
    writeTree(w.dst, { 'f.txt': 'f' });
    const transfers = [];
    for (let i = 0; i < 4; i++) transfers.push((await w.submit({ DATA: [item('/a.txt', `/a${i}.txt`)] })).body.task_id);
    const doc = async (id: string) => (await w!.call('GET', `/v0.10/task/${id}`)).body;
    expect((await doc(transfers[3]!)).nice_status).toBe('Queued');
    const deletes = [];
    for (let i = 0; i < 4; i++) deletes.push((await del({ DATA: items('/f.txt'), ignore_missing: true })).body.task_id);
    expect(await Promise.all(deletes.map(async (id) => (await doc(id)).nice_status))).toEqual(['OK', 'OK', 'OK', 'Queued']);
  });

  it('8: interpret_globs true is accepted for a literal last part (globus rm); an escaped glob character is literal', async () => {
    w = await world();
    writeTree(w.dst, { 'f.txt': 'f', 'odd*.txt': 'o', 'keep.txt': 'k' });
    const t = await w.waitDone((await del({ interpret_globs: true, DATA: items('/f.txt', '/odd\\*.txt') })).body.task_id);
    expect(t.status).toBe('SUCCEEDED');
    expect(readTree(w.dst)).toEqual({ 'keep.txt': 'k' });
    const pattern = await del({ interpret_globs: true, DATA: items('/*.txt') });
    expect(pattern.status).toBe(400);
    expect(readTree(w.dst)).toEqual({ 'keep.txt': 'k' });
  });

  it('9: a cancelled task logs event CANCELED (task_event_list.yaml); the event list filters on is_error', async () => {
    w = await world({ taskStartDelayMs: 60_000 });
    writeTree(w.src, { 'a.txt': 'a' });
    const id = (await w.submit({ DATA: [item('/a.txt', '/a.txt')] })).body.task_id;
    const c = await w.call('POST', `/v0.10/task/${id}/cancel`);
    expect(c.body.code).toBe('Canceled');
    const all = (await w.call('GET', `/v0.10/task/${id}/event_list`)).body.DATA;
    expect(all.map((e: any) => e.code)).toEqual(['CANCELED', 'STARTED']);
    expect(all[0]).toMatchObject({ description: 'canceled', details: 'Canceled by the task owner', is_error: true });
    expect((await w.call('GET', `/v0.10/task/${id}/event_list?filter=is_error:1`)).body.DATA.map((e: any) => e.code)).toEqual(['CANCELED']);
    expect((await w.call('GET', `/v0.10/task/${id}/event_list?filter=is_error:0`)).body.DATA.map((e: any) => e.code)).toEqual(['STARTED']);
  });

  it('11: a FAILED task shows no pending subtask; successful_transfers entries carry size and checksum', async () => {
    w = await world();
    writeTree(w.src, { 'a.txt': 'hello', 'b.txt': 'b' });
    w.srv.faults.failNextTask();
    const failed = await w.waitDone((await w.submit({ DATA: [item('/a.txt', '/a.txt'), item('/b.txt', '/b.txt')] })).body.task_id);
    expect(failed).toMatchObject({ status: 'FAILED', subtasks_pending: 0 });
    const ok = (await w.submit({ DATA: [item('/a.txt', '/a.txt')], verify_checksum: true })).body.task_id;
    await w.waitDone(ok);
    const entry = (await w.call('GET', `/v0.10/task/${ok}/successful_transfers`)).body.DATA[0];
    expect(entry).toMatchObject({ size: 5, checksum: '5d41402abc4b2a76b9719d911017c592', checksum_algorithm: 'MD5' });
  });

  it('11: listing "/~/" echoes path "/~/" as the recorded listing does', async () => {
    w = await world();
    writeTree(w.src, { 'a.txt': 'a' });
    const r = await w.call('GET', `/v0.10/operation/endpoint/${SRC_ID}/ls?path=${encodeURIComponent('/~/')}`);
    expect(r.status).toBe(200);
    expect(r.body.path).toBe('/~/');
    expect(r.body.DATA.map((e: any) => e.name)).toEqual(['a.txt']);
  });
});

describe('Auth of issue 28, 10', () => {
  const AUTH_SCOPES = 'openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set';
  const basic: [string, string] = [DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET];

  it('grants view_identity_set; userinfo answers with the identity_set; token/validate tells live from revoked', async () => {
    w = await world();
    const tokens = (await postForm(new URL('v2/oauth2/token', w.srv.url).toString(), { grant_type: 'client_credentials', scope: AUTH_SCOPES }, basic)).body;
    expect(tokens.resource_server).toBe('auth.globus.org');
    const info = await fetch(new URL('v2/oauth2/userinfo', w.srv.url), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(200);
    const body = (await info.json()) as any;
    expect(body.identity_set).toHaveLength(1);
    expect(body.identity_set[0].sub).toBe(body.sub);
    const validate = async (token: string) => (await postForm(new URL('v2/oauth2/token/validate', w!.srv.url).toString(), { token }, basic)).body;
    expect(await validate(tokens.access_token)).toEqual({ active: true });
    await postForm(new URL('v2/oauth2/token/revoke', w.srv.url).toString(), { token: tokens.access_token }, basic);
    expect(await validate(tokens.access_token)).toEqual({ active: false });
    const noToken = await fetch(new URL('v2/oauth2/userinfo', w.srv.url));
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as any).errors[0].code).toBe('UNAUTHORIZED');
  });

  it('signs the id_token RS512 with the key served at the openid configuration\'s jwks_uri, audience the client', async () => {
    w = await world();
    const tokens = (await postForm(new URL('v2/oauth2/token', w.srv.url).toString(), { grant_type: 'client_credentials', scope: AUTH_SCOPES }, basic)).body;
    const config = (await (await fetch(new URL('.well-known/openid-configuration', w.srv.url))).json()) as any;
    expect(config.id_token_signing_alg_values_supported).toEqual(['RS512']);
    const jwks = (await (await fetch(config.jwks_uri)).json()) as any;
    const [header, claims, signature] = (tokens.id_token as string).split('.');
    const ok = createVerify('RSA-SHA512').update(`${header}.${claims}`).verify(createPublicKey({ key: jwks.keys[0], format: 'jwk' }), Buffer.from(signature!, 'base64url'));
    expect(ok).toBe(true);
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString()).alg).toBe('RS512');
    expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toMatchObject({ aud: DEMO_SERVICE_CLIENT_ID, iss: config.issuer });
  });

  it('an Auth error carries a code the SDK reads (errors[0].code) beside OAuth\'s error', async () => {
    w = await world();
    const r = await postForm(new URL('v2/oauth2/token', w.srv.url).toString(), { grant_type: 'password' }, basic);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'unsupported_grant_type', errors: [{ code: 'UNSUPPORTED_GRANT_TYPE', status: '400' }] });
  });
});

