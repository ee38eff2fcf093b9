import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthClient, createPkcePair } from '../src/globus/auth-client.js';
import { ConsentRequiredError, GlobusApiError } from '../src/globus/errors.js';
import { staticTokenSource } from '../src/globus/token-source.js';
import { TransferClient } from '../src/globus/transfer-client.js';
import { DEMO_CLIENT_ID } from '../src/server/index.js';
import { DST_ID, item, readTree, SRC_ID, world, writeTree, type World } from './server-support.js';

/** gsync's own Globus client, parsing with its fixture-derived schemas, against the local server. */
let w: World;
let tc: TransferClient;
const noWait = { sleep: async () => {} };
beforeEach(async () => {
  w = await world({ pageSize: 2 });
  tc = new TransferClient({ baseUrl: w.srv.url, tokens: staticTokenSource(w.token), retry: noWait });
});
afterEach(async () => {
  await tc.close();
  await w.cleanup();
});

describe('the Globus client against the local server', () => {
  it('submits, follows the task and pages its successful transfers and skipped errors', async () => {
    writeTree(w.src, { 'd/1': '1', 'd/2': '2', 'd/3': '3' });
    w.srv.faults.tooManyRequests(2, { path: '/v0.10/transfer' });
    const sid = await tc.getSubmissionId();
    const res = await tc.submitTransfer({
      DATA_TYPE: 'transfer',
      submission_id: sid,
      source_endpoint: SRC_ID,
      destination_endpoint: DST_ID,
      DATA: [item('/d', '/d', true), item('/gone', '/gone')] as any,
      sync_level: 2,
      skip_source_errors: true,
      preserve_timestamp: true,
      label: 'contract',
    });
    expect(res.code).toBe('Accepted');
    expect(w.srv.requests.count('/v0.10/transfer', 'POST')).toBe(3);
    await w.srv.tasks.waitFor(res.task_id);
    const task = await tc.getTask(res.task_id);
    expect(task).toMatchObject({ status: 'SUCCEEDED', files_transferred: 3 });
    const done: string[] = [];
    for await (const s of tc.successfulTransfers(res.task_id)) done.push(s.source_path);
    expect(done).toEqual(['/d/1', '/d/2', '/d/3']);
    const skipped: string[] = [];
    for await (const s of tc.skippedErrors(res.task_id)) skipped.push(`${s.source_path} ${s.error_code}`);
    expect(skipped).toEqual(['/gone FILE_NOT_FOUND']);
    expect(readTree(w.dst)).toEqual({ 'd/': '', 'd/1': '1', 'd/2': '2', 'd/3': '3' });
  });

  it('endpoint, ls, mkdir (and its Exists error), stat (and its not-found error)', async () => {
    expect((await tc.getEndpoint(SRC_ID)).entity_type).toBe('GCSv5_mapped_collection');
    expect((await tc.mkdir(DST_ID, '/made')).code).toBe('DirectoryCreated');
    const exists = await tc.mkdir(DST_ID, '/made').catch((e) => e);
    expect(exists).toBeInstanceOf(GlobusApiError);
    expect(exists.isAlreadyExists).toBe(true);
    expect((await tc.ls(DST_ID, '/')).DATA.map((e) => e.name)).toEqual(['made']);
    const missing = await tc.stat(DST_ID, '/nope').catch((e) => e);
    expect(missing.isNotFound).toBe(true);
  });

  it('ConsentRequired becomes a ConsentRequiredError naming the data_access scope', async () => {
    const plain = w.srv.issueTokens({ scope: 'urn:globus:auth:scope:transfer.api.globus.org:all' }).access_token;
    const narrow = new TransferClient({ baseUrl: w.srv.url, tokens: staticTokenSource(plain), retry: noWait });
    w.srv.faults.requireConsent(DST_ID);
    const err = await narrow.ls(DST_ID, '/').catch((e) => e);
    await narrow.close();
    expect(err).toBeInstanceOf(ConsentRequiredError);
    expect(err.requiredScopes[0]).toContain(`${DST_ID}/data_access`);
  });

  it('the Auth client: PKCE exchange through the scraped page, refresh, and invalid_grant as an auth error', async () => {
    const auth = new AuthClient({ baseUrl: w.srv.url, clientId: DEMO_CLIENT_ID, retry: noWait });
    const p = createPkcePair();
    const page = await (await fetch(auth.authorizeUrl({ scopes: 'urn:globus:auth:scope:transfer.api.globus.org:all', codeChallenge: p.challenge, state: 's' }))).text();
    const code = /<code id="auth-code">([^<]+)<\/code>/.exec(page)![1]!;
    const tokens = await auth.exchangeAuthorizationCode({ code, codeVerifier: p.verifier });
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await auth.refreshToken(tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    await auth.revoke(tokens.refresh_token!);
    const err = await auth.refreshToken(tokens.refresh_token!).catch((e) => e);
    expect(err).toBeInstanceOf(GlobusApiError);
    expect(err.code).toBe('invalid_grant');
    expect(err.kind).toBe('auth');
    await auth.close();
  });
});
