import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/errors/exit-codes.js';
import { ConsentRequiredError, GlobusApiError, GlobusNetworkError } from '../src/globus/errors.js';
import type { TransferDocument } from '../src/globus/schemas.js';
import { staticTokenSource, type TokenSource } from '../src/globus/token-source.js';
import { TransferClient, type TransferClientOptions } from '../src/globus/transfer-client.js';
import { fixture, StubServer } from './globus-stub-server.js';

const TASK = 'b8872740-7edc-11ec-9f33-ed182a728dff';
const EP = '1405823f-0597-4a16-b296-46d4f0ae4b15';

let server: StubServer;
let client: TransferClient;
let sleeps: number[];

function makeClient(opts: Partial<TransferClientOptions> = {}): TransferClient {
  return new TransferClient({
    baseUrl: server.url,
    tokens: staticTokenSource('tok-1'),
    retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
    env: {},
    ...opts,
  });
}

beforeEach(async () => {
  server = await StubServer.start();
  sleeps = [];
  client = makeClient();
});

afterEach(async () => {
  await client.close();
  await server.stop();
});

const doc: TransferDocument = {
  DATA_TYPE: 'transfer',
  submission_id: '00000000-0000-0000-34af-1252da510f05',
  source_endpoint: 'aa752cea-8222-5bc8-acd9-555b090c0ccb',
  destination_endpoint: EP,
  DATA: [{ DATA_TYPE: 'transfer_item', source_path: '/src/a.txt', destination_path: '/dst/a.txt', recursive: false }],
  label: 'gsync job 2026-01-01 00:00',
  sync_level: 2,
  verify_checksum: true,
  preserve_timestamp: true,
  encrypt_data: false,
  notify_on_succeeded: false,
  notify_on_failed: true,
  notify_on_inactive: true,
  skip_source_errors: true,
  fail_on_quota_errors: true,
};

describe('TransferClient requests', () => {
  it('GET submission_id with bearer token and User-Agent', async () => {
    server.on('GET', '/v0.10/submission_id', { json: fixture('submission_id.json') });
    expect(await client.getSubmissionId()).toBe('00000000-0000-0000-34af-1252da510f05');
    const [req] = server.requests;
    expect(req!.headers.authorization).toBe('Bearer tok-1');
    expect(req!.headers['user-agent']).toBe('gsync/0.1.0');
  });

  it('POST transfer sends the document as JSON and returns code and task_id', async () => {
    server.on('POST', '/v0.10/transfer', { status: 202, json: fixture('transfer_submit.json') });
    const result = await client.submitTransfer(doc);
    expect(result.code).toBe('Accepted');
    expect(result.task_id).toBe('00000000-0000-0000-0000-0000699934d5');
    const [req] = server.requestsTo('POST', '/v0.10/transfer');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toEqual(doc);
  });

  it('returns a Duplicate answer as a result, not an error', async () => {
    server.on('POST', '/v0.10/transfer', { status: 200, json: { ...(fixture('transfer_submit.json') as object), code: 'Duplicate' } });
    expect((await client.submitTransfer(doc)).code).toBe('Duplicate');
  });

  it('GET task/<id>', async () => {
    server.on('GET', `/v0.10/task/${TASK}`, { json: fixture('task_get_active.json') });
    const task = await client.getTask(TASK);
    expect(task.status).toBe('ACTIVE');
    expect(task.task_id).toBe(TASK);
  });

  it('POST task/<id>/cancel', async () => {
    server.on('POST', `/v0.10/task/${TASK}/cancel`, { json: fixture('task_cancel.json') });
    expect((await client.cancelTask(TASK)).code).toBe('Canceled');
    expect(server.requestsTo('POST', `/v0.10/task/${TASK}/cancel`)).toHaveLength(1);
  });

  it('GET endpoint/<id>', async () => {
    server.on('GET', `/v0.10/endpoint/${EP}`, { json: fixture('endpoint_get_mapped.json') });
    const ep = await client.getEndpoint(EP);
    expect(ep.entity_type).toBe('GCSv5_mapped_collection');
    expect(ep.high_assurance).toBe(false);
  });

  it('GET operation/endpoint/<id>/ls with path and options in the query', async () => {
    server.on('GET', `/v0.10/operation/endpoint/${EP}/ls`, { json: fixture('operation_ls.json') });
    const list = await client.ls(EP, '/share/godata/', { showHidden: false, limit: 10 });
    expect(list.DATA.map((f) => f.name)).toEqual(['file1.txt', 'file2.txt', 'file3.txt']);
    const q = server.requests[0]!.query;
    expect(Object.fromEntries(q)).toEqual({ path: '/share/godata/', show_hidden: '0', limit: '10' });
  });

  it('POST operation/endpoint/<id>/mkdir with a mkdir document', async () => {
    server.on('POST', `/v0.10/operation/endpoint/${EP}/mkdir`, { json: fixture('operation_mkdir.json') });
    expect((await client.mkdir(EP, '/dst/new dir')).code).toBe('DirectoryCreated');
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ DATA_TYPE: 'mkdir', path: '/dst/new dir' });
  });

  it('reports mkdir of an existing directory as isAlreadyExists, not retried', async () => {
    server.on('POST', `/v0.10/operation/endpoint/${EP}/mkdir`, {
      status: 502,
      json: { code: 'ExternalError.MkdirFailed.Exists', message: "Path already exists, Error (mkdir)\nEndpoint: x", request_id: 'r1' },
    });
    const err = await client.mkdir(EP, '/dst').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlobusApiError);
    expect((err as GlobusApiError).isAlreadyExists).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('honours GLOBUS_SDK_SERVICE_URL_TRANSFER without a trailing slash', async () => {
    server.on('GET', '/prefix/v0.10/submission_id', { json: fixture('submission_id.json') });
    const c = new TransferClient({ tokens: staticTokenSource('t'), env: { GLOBUS_SDK_SERVICE_URL_TRANSFER: server.url + 'prefix' } });
    try {
      expect(await c.getSubmissionId()).toBe('00000000-0000-0000-34af-1252da510f05');
      expect(c.baseUrl).toBe(server.url + 'prefix/');
    } finally {
      await c.close();
    }
  });

  it('refuses a base URL that is not a URL with a config error naming the variable', () => {
    expect(() => new TransferClient({ tokens: staticTokenSource('t'), env: { GLOBUS_SDK_SERVICE_URL_TRANSFER: 'not a url' } })).toThrow(
      /GLOBUS_SDK_SERVICE_URL_TRANSFER is not a URL/,
    );
  });
});

describe('marker paging', () => {
  const page = (marker: number, next: number | null, paths: string[]) => ({
    json: {
      DATA_TYPE: 'successful_transfers',
      marker,
      next_marker: next,
      DATA: paths.map((p) => ({ DATA_TYPE: 'successful_transfer', source_path: `/src${p}`, destination_path: `/dst${p}` })),
    },
  });

  it('follows next_marker until it is null', async () => {
    server.on('GET', `/v0.10/task/${TASK}/successful_transfers`, page(0, 11, ['/a', '/b']), page(11, 22, ['/c']), page(22, null, ['/d']));
    const got: string[] = [];
    for await (const t of client.successfulTransfers(TASK)) got.push(t.destination_path);
    expect(got).toEqual(['/dst/a', '/dst/b', '/dst/c', '/dst/d']);
    expect(server.requests.map((r) => r.query.get('marker'))).toEqual([null, '11', '22']);
  });

  it('reads skipped_errors, also in the unwrapped recorded form', async () => {
    server.on('GET', `/v0.10/task/${TASK}/skipped_errors`, { json: fixture('skipped_errors.json') });
    const got = [];
    for await (const e of client.skippedErrors(TASK)) got.push(e.error_code);
    expect(got).toEqual(['FILE_NOT_FOUND', 'PERMISSION_DENIED']);
    expect(server.requests).toHaveLength(1);
  });
});

describe('retries', () => {
  it('waits Retry-After on 429 and then succeeds', async () => {
    server.on('GET', `/v0.10/task/${TASK}`, { status: 429, headers: { 'retry-after': '3' }, json: { code: 'RateLimited', message: 'slow down' } }, { json: fixture('task_get_succeeded.json') });
    expect((await client.getTask(TASK)).status).toBe('SUCCEEDED');
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([3000]);
  });

  it('gives up after 5 retries of 503 with a typed failure', async () => {
    server.on('GET', `/v0.10/task/${TASK}`, { status: 503, json: { code: 'ServiceUnavailable', message: 'maintenance', request_id: 'req503' } });
    const err = await client.getTask(TASK).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlobusApiError);
    const e = err as GlobusApiError;
    expect([e.httpStatus, e.code, e.requestId, e.kind]).toEqual([503, 'ServiceUnavailable', 'req503', 'failure']);
    expect(exitCodeFor(e)).toBe(1);
    expect(server.requests).toHaveLength(6);
    // (0.25 + 0.5 * 0) * 2^attempt s, as the SDK's _exponential_backoff with random() = 0.
    expect(sleeps).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it('retries a POST transfer on 502 (safe: submission_id) and returns the task', async () => {
    server.on('POST', '/v0.10/transfer', { status: 502, text: '<html><body><h1>502 Bad Gateway</h1></body></html>' }, { status: 202, json: fixture('transfer_submit.json') });
    expect((await client.submitTransfer(doc)).task_id).toBe('00000000-0000-0000-0000-0000699934d5');
    const bodies = server.requestsTo('POST', '/v0.10/transfer').map((r) => JSON.parse(r.body).submission_id);
    expect(bodies).toEqual([doc.submission_id, doc.submission_id]);
  });

  it('does not retry an ExternalError 502', async () => {
    server.on('GET', `/v0.10/operation/endpoint/${EP}/ls`, { status: 502, json: fixture('error_external_gcp_disconnected.json') });
    const err = await client.ls(EP, '/').catch((e: unknown) => e);
    expect((err as GlobusApiError).code).toBe('ExternalError.DirListingFailed.GCDisconnected');
    expect((err as GlobusApiError).message).toContain('The GCP endpoint is not currently connected to Globus');
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a 503 EndpointError (Retry-After check first, as the SDK) but reads Retry-After only on 429/503', async () => {
    server.on(
      'GET',
      `/v0.10/task/${TASK}`,
      { status: 503, headers: { 'retry-after': '2' }, json: { code: 'EndpointError', message: 'busy' } },
      { status: 500, headers: { 'retry-after': '7' }, json: { code: 'InternalError', message: 'oops' } },
      { json: fixture('task_get_succeeded.json') },
    );
    expect((await client.getTask(TASK)).status).toBe('SUCCEEDED');
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([2000, 500]);
  });

  it('gives a clean error for an HTML 502 once retries run out', async () => {
    server.on('GET', `/v0.10/task/${TASK}`, { status: 502, text: '<html><body><h1>502 Bad Gateway</h1>nginx</body></html>' });
    const err = (await client.getTask(TASK).catch((e: unknown) => e)) as GlobusApiError;
    expect(err).toBeInstanceOf(GlobusApiError);
    expect(err.code).toBe('HTTP502');
    expect(err.message).toMatch(/^Globus Transfer GET \/v0\.10\/task\/\S+: 502 HTTP502: Bad Gateway \(not a Globus response: 502 Bad Gateway nginx\)$/);
  });

  it('retries after a timeout', async () => {
    client = makeClient({ timeoutMs: 300 });
    server.on('GET', `/v0.10/task/${TASK}`, { hang: true }, { json: fixture('task_get_active.json') });
    expect((await client.getTask(TASK)).status).toBe('ACTIVE');
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('retries after the server resets the connection', async () => {
    server.on('GET', `/v0.10/task/${TASK}`, { destroy: true }, { destroy: true }, { json: fixture('task_get_active.json') });
    expect((await client.getTask(TASK)).status).toBe('ACTIVE');
    expect(server.requests).toHaveLength(3);
  });

  it('reports a server that never answers as a network failure after 6 attempts', async () => {
    server.on('GET', `/v0.10/task/${TASK}`, { destroy: true });
    const err = await client.getTask(TASK).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlobusNetworkError);
    expect((err as GlobusNetworkError).message).toMatch(/no answer after 6 attempt\(s\)/);
    expect(server.requests).toHaveLength(6);
  });

  it('retries a refused connection', async () => {
    const url = server.url;
    await server.stop();
    const c = new TransferClient({ baseUrl: url, tokens: staticTokenSource('t'), env: {}, retry: { maxRetries: 2, sleep: async (ms) => void sleeps.push(ms) } });
    try {
      const err = await c.getTask(TASK).catch((e: unknown) => e);
      expect((err as GlobusNetworkError).networkCode).toBe('ECONNREFUSED');
      expect((err as GlobusNetworkError).message).toMatch(/no answer after 3 attempt\(s\): connection refused/);
      expect(sleeps).toHaveLength(2);
    } finally {
      await c.close();
      server = await StubServer.start(); // for afterEach
    }
  });
});

describe('401 and consent', () => {
  function countingTokens(): TokenSource & { refreshes: number } {
    const t = {
      refreshes: 0,
      current: 'old-token',
      transferToken: async () => t.current,
      refreshAfterUnauthorized: async () => {
        t.refreshes++;
        t.current = `new-token-${t.refreshes}`;
        return t.current;
      },
    };
    return t;
  }

  it('refreshes once on 401 and retries with the new token', async () => {
    const tokens = countingTokens();
    client = makeClient({ tokens });
    server.on('GET', `/v0.10/task/${TASK}`, { status: 401, json: fixture('error_authentication_failed.json') }, { json: fixture('task_get_succeeded.json') });
    expect((await client.getTask(TASK)).status).toBe('SUCCEEDED');
    expect(tokens.refreshes).toBe(1);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer old-token', 'Bearer new-token-1']);
  });

  it('a second 401 is an auth error (exit 77) with a login hint', async () => {
    const tokens = countingTokens();
    client = makeClient({ tokens });
    server.on('GET', `/v0.10/task/${TASK}`, { status: 401, json: fixture('error_authentication_failed.json') });
    const err = (await client.getTask(TASK).catch((e: unknown) => e)) as GlobusApiError;
    expect(err).toBeInstanceOf(GlobusApiError);
    expect([err.kind, err.httpStatus, err.code, err.requestId]).toEqual(['auth', 401, 'ClientError.AuthenticationFailed', 'abc123']);
    expect(err.hint).toMatch(/gsync login/);
    expect(exitCodeFor(err)).toBe(77);
    expect(tokens.refreshes).toBe(1);
    expect(server.requests).toHaveLength(2);
  });

  it('passes on the token source own auth error when it cannot refresh', async () => {
    const { authError } = await import('../src/errors/errors.js');
    client = makeClient({
      tokens: { transferToken: async () => 'x', refreshAfterUnauthorized: async () => Promise.reject(authError('refresh token revoked', 'run: gsync login --config j.json')) },
    });
    server.on('GET', `/v0.10/task/${TASK}`, { status: 401, json: fixture('error_authentication_failed.json') });
    await expect(client.getTask(TASK)).rejects.toMatchObject({ kind: 'auth', hint: 'run: gsync login --config j.json' });
    expect(server.requests).toHaveLength(1);
  });

  it('ConsentRequired carries the required scopes and is an auth error, not retried', async () => {
    server.on('GET', `/v0.10/operation/endpoint/${EP}/ls`, { status: 403, json: fixture('error_consent_required.json') });
    const err = await client.ls(EP, '/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsentRequiredError);
    const c = err as ConsentRequiredError;
    expect(c.requiredScopes).toEqual([
      'urn:globus:auth:scope:transfer.api.globus.org:all[*https://auth.globus.org/scopes/00000000-0000-0000-0000-000000000001/data_access]',
    ]);
    expect(c.kind).toBe('auth');
    expect(c.requestId).toBe('m8RfX3cES');
    expect(server.requests).toHaveLength(1);
  });

  it('a 400 such as NoTransferItems is a failure with Globus code and message', async () => {
    server.on('POST', '/v0.10/transfer', { status: 400, json: fixture('transfer_submit_error_no_items.json') });
    const err = (await client.submitTransfer({ ...doc, DATA: [] }).catch((e: unknown) => e)) as GlobusApiError;
    expect([err.kind, err.httpStatus, err.code, err.globusMessage]).toEqual(['failure', 400, 'ClientError.BadRequest.NoTransferItems', 'A transfer requires at least one item']);
    expect(server.requests).toHaveLength(1);
  });

  it('a 200 with a body that is not the documented shape is a clear failure', async () => {
    server.on('GET', `/v0.10/task/${TASK}`, { json: { DATA_TYPE: 'task', task_id: TASK } });
    await expect(client.getTask(TASK)).rejects.toThrow(/GET \/v0\.10\/task\/\S+: unexpected response: type: /);
  });
});
