import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { VANISHED_MIN_FAULTS } from '../src/sync/vanished-sources.js';
import { writeLogin } from './helpers/auth.js';
import { assertBuilt, gsync, messageLines, type CliResult } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { DST_ID, SRC_ID, TRANSFER_SCOPE, writeTree } from './server-support.js';

/**
 * Faults met by the built CLI (`gsync run` child processes) against the
 * in-process server: each run ends with the documented exit code and message,
 * and the next healthy run ships everything owed.
 */
let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  await w?.cleanup();
});

/** Polls for a condition the test cannot be told of directly (the server's own progress). */
async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const posts = () => w.srv.requests.count('/transfer', 'POST');
/** pino JSON records on stderr. */
const logRecords = (stderr: string): Array<Record<string, unknown>> =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function run(args: string[] = ['--wait'], env: NodeJS.ProcessEnv = { ...process.env, ...w.env }): Promise<CliResult> {
  return gsync(['run', ...args, '--config', w.configFile], { env });
}

/** A run with nothing wrong: exit 0, and afterwards the destination equals the source. */
async function healthy(env?: NodeJS.ProcessEnv): Promise<CliResult> {
  await Promise.all(w.srv.tasks.list().map((t) => w.srv.tasks.waitFor(t.id, ['SUCCEEDED', 'FAILED', 'INACTIVE'])));
  const r = await run(['--wait'], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(w.diff()).toBe('');
  return r;
}

describe('transient Globus trouble is retried within one run', () => {
  it('a 429 storm: Retry-After is obeyed and the run succeeds with one task', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    w.srv.faults.tooManyRequests(2, { retryAfterSeconds: 1 });
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^task \S+ SUCCEEDED: 2 of 2 files delivered/);
    const retries = logRecords(r.stderr).filter((l) => l.msg === 'Globus request failed, retrying');
    expect(retries.map((l) => [l.status, l.delayMs])).toEqual([
      [429, 1000],
      [429, 1000],
    ]);
    expect(w.srv.faults.pending()).toBe(0);
    expect(w.srv.tasks.list()).toHaveLength(1);
    expect(w.diff()).toBe('');
  });

  it('503s and connection resets everywhere, including a POST whose answer is lost, give one task', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    w.srv.faults.add({ action: { type: 'status', status: 503, retryAfterSeconds: 0 }, count: 2 });
    w.srv.faults.resetConnection(1);
    w.srv.faults.resetConnection(1, { path: /\/transfer$/, method: 'POST', after: true });
    w.srv.faults.add({ action: { type: 'status', status: 503, retryAfterSeconds: 0 }, path: /\/transfer$/, method: 'POST', after: true });
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCEEDED: 2 of 2 files delivered/);
    expect(w.srv.faults.pending()).toBe(0);
    expect(posts()).toBeGreaterThanOrEqual(3);
    expect(w.srv.tasks.list()).toHaveLength(1);
    expect(w.diff()).toBe('');
  });

  it('answers slower than the client timeout (GSYNC_HTTP_TIMEOUT_MS) are retried; the late POST makes no second task', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.slow(1500, 1, { path: 'submission_id' });
    w.srv.faults.slow(1500, 2, { path: /\/transfer$/, method: 'POST' });
    const r = await run(['--wait'], { ...process.env, ...w.env, GSYNC_HTTP_TIMEOUT_MS: '300' });
    expect(r.code, r.stderr).toBe(0);
    const timeouts = logRecords(r.stderr).filter((l) => l.msg === 'Globus request failed, retrying' && l.error === 'UND_ERR_HEADERS_TIMEOUT');
    expect(timeouts.length).toBe(3);
    // The slow POSTs reach the server after the client gave up on them; Globus dedups them by submission_id.
    await until('every POST has been answered', () => {
      const answered = w.srv.requests.entries.filter((e) => e.method === 'POST' && e.path.endsWith('/transfer'));
      return answered.length >= 3 && answered.every((e) => e.outcome !== 0);
    });
    expect(posts()).toBe(3);
    expect(w.srv.tasks.list()).toHaveLength(1);
    expect(w.diff()).toBe('');
  });
});

describe('trouble that outlasts a run: the documented exit, then the next healthy run ships what is owed', () => {
  it('503 on every POST retry: exit 1 naming the 503; the next run re-POSTs the same submission', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    // The server accepts the transfer each time, but every answer is a 503 (retries included).
    w.srv.faults.add({ action: { type: 'status', status: 503, retryAfterSeconds: 0 }, path: /\/transfer$/, method: 'POST', after: true, count: 6 });
    const r = await run();
    expect(r.code).toBe(1);
    const lines = messageLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^gsync: .*503/);
    expect(w.srv.tasks.list()).toHaveLength(1);
    const first = w.srv.tasks.list()[0]!;
    const next = await healthy();
    // The task from before was settled, and the summary says what it delivered (issue 31.6); nothing new.
    expect(next.stdout).toBe(`settled task ${first.id}: 2 of 2 files delivered (2 B); nothing new to ship\n`);
    expect(w.srv.tasks.list()).toHaveLength(1);
    expect(w.srv.tasks.list()[0]!.submissionId).toBe(first.submissionId);
  });

  it('a 429 storm longer than the retries: exit 1; nothing is lost', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.tooManyRequests(6, { retryAfterSeconds: 0, path: /\/transfer$/, method: 'POST' });
    const r = await run();
    expect(r.code).toBe(1);
    const lines = messageLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^gsync: .*429/);
    expect(w.srv.tasks.list()).toHaveLength(0);
    await healthy();
    expect(w.srv.tasks.list()).toHaveLength(1);
  });

  it('a FAILED task: exit 1, the summary names the task and the reason; the next run ships its files', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'b' });
    w.srv.faults.failNextTask({ code: 'PERMISSION_DENIED', description: 'denied by test' });
    const r = await run();
    expect(r.code).toBe(1);
    const task = w.srv.tasks.list()[0]!;
    expect(r.stdout).toContain(`task ${task.id} FAILED`);
    expect(r.stdout).toContain('PERMISSION_DENIED: denied by test');
    expect(messageLines(r.stderr)).toEqual([]);
    const next = await healthy();
    expect(next.stdout).toMatch(/SUCCEEDED: 2 of 2 files delivered/);
  });

  it('an INACTIVE task: exit 1 naming it; once cancelled, its files ship again', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.inactivateNextTask({ description: 'credentials expired' });
    const submitted = await run([]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const task = w.srv.tasks.list()[0]!;
    await w.srv.tasks.waitFor(task.id, ['INACTIVE']);
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`task ${task.id} is INACTIVE (credentials expired)`);
    // The operator cancels it (the web app's Cancel): Globus reports it FAILED.
    task.abort.abort(new Error('canceled'));
    task.finish('FAILED', { code: 'CANCELED', description: 'canceled by the operator' });
    const after = await run();
    expect(after.code).toBe(1); // it reports the FAILED task, and ships its file in the same run
    expect(after.stdout).toContain(`task ${task.id} FAILED (CANCELED: canceled by the operator)`);
    expect(w.diff()).toBe('');
    expect((await healthy()).stdout).toMatch(/^nothing to ship/);
  });

  it('a task ACTIVE with faults because the destination is blocked: reported, exit 0, paths held; it ships once unblocked', async () => {
    w = await jobWorld({ taskStartDelayMs: 300 });
    const at = (rel: string, content: string, secondsAgo: number) => {
      writeTree(w.src, { [rel]: content });
      fs.utimesSync(path.join(w.src, rel), Date.now() / 1000 - secondsAgo, Date.now() / 1000 - secondsAgo);
    };
    at('a.txt', 'a', 3600);
    at('blocked.txt', 'g', 3600);
    await healthy();
    // Edited files go as single-file items (a fresh directory would go as one recursive item).
    at('a.txt', 'a2', 60);
    at('blocked.txt', 'g2', 60);
    // A directory where the file must go: Globus keeps faulting (IS_A_DIRECTORY) and retrying.
    fs.rmSync(path.join(w.dst, 'blocked.txt'));
    fs.mkdirSync(path.join(w.dst, 'blocked.txt'));
    const submitted = await run([]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const task = w.srv.tasks.list().at(-1)!;
    await until('the task faulted', () => task.faults > 0);
    expect(task.status).toBe('ACTIVE');
    const r = await run([]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^nothing to ship/);
    const warned = logRecords(r.stderr).find((l) => typeof l.msg === 'string' && /task ACTIVE with \d+ faults/.test(l.msg));
    expect(warned?.taskId).toBe(task.id);
    // A new file ships in its own task; the faulting task's paths stay held, not sent again.
    writeTree(w.src, { 'b.txt': 'b' });
    const postsBefore = posts();
    const next = await run(['--wait']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/SUCCEEDED: 1 of 1 file delivered/);
    expect(posts()).toBe(postsBefore + 1);
    expect(task.status).toBe('ACTIVE');
    fs.rmdirSync(path.join(w.dst, 'blocked.txt'));
    await w.srv.tasks.waitFor(task.id);
    expect(task.status).toBe('SUCCEEDED');
    await healthy();
    expect(w.srv.tasks.list().filter((t) => t.status !== 'SUCCEEDED')).toEqual([]);
    expect(w.diff()).toBe('');
  }, 90_000); // several CLI runs and a fault retry: on a loaded two-core machine they outlast the default 30 s

  it('a source file gone without skip_source_errors: Globus keeps the task ACTIVE with faults; the next run cancels it, says so in one line, and ships the rest', async () => {
    w = await jobWorld({}, { transfer: { skipSourceErrors: false } });
    const at = (tree: Record<string, string>, secondsAgo: number) => {
      writeTree(w.src, tree);
      for (const f of Object.keys(tree)) fs.utimesSync(path.join(w.src, f), Date.now() / 1000 - secondsAgo, Date.now() / 1000 - secondsAgo);
    };
    at({ 'a.txt': 'a', 'gone.txt': 'g' }, 3600);
    await healthy();
    // Edited files go as single-file items, which Globus must find (a recursive item just lists what is there).
    at({ 'a.txt': 'aaaaaaaa', 'gone.txt': 'gggggggg' }, 60);
    // The file vanishes once the task is accepted and before it starts copying, however slow the machine.
    const tasks = w.srv.tasks;
    const start = tasks.start.bind(tasks);
    tasks.start = (t) => {
      fs.rmSync(path.join(w.src, 'gone.txt'));
      tasks.start = start;
      start(t);
    };
    const submitted = await run([]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const stuck = w.srv.tasks.list().at(-1)!;
    // Globus retries it: ACTIVE, faults rising (issue 28, 1).
    await vi.waitFor(() => expect(stuck.faults).toBeGreaterThanOrEqual(VANISHED_MIN_FAULTS), { timeout: 20_000, interval: 50 });
    expect(stuck.status).toBe('ACTIVE');
    const r = await run(['--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`task ${stuck.id} cancelled: source files vanished after the scan`));
    expect(stuck.status).toBe('FAILED');
    expect(stuck.events.map((e) => e.code)).toContain('CANCELED');
    // What still exists shipped in a new task; the trees are equal apart from the vanished file.
    const after = w.srv.tasks.list().at(-1)!;
    expect(after.id).not.toBe(stuck.id);
    expect(after.status).toBe('SUCCEEDED');
    expect(fs.readFileSync(path.join(w.dst, 'a.txt'), 'utf8')).toBe('aaaaaaaa');
    fs.rmSync(path.join(w.dst, 'gone.txt'));
    expect(w.diff()).toBe('');
  }, 90_000);

  it('with skipSourceErrors false, a FILE_NOT_FOUND on a file that still exists locally (a mapping problem) is not cancelled', async () => {
    w = await jobWorld({}, { transfer: { skipSourceErrors: false } });
    writeTree(w.src, { 'a.txt': 'a' });
    await healthy();
    writeTree(w.src, { 'a.txt': 'edited' }); // an edited file goes as a single-file item
    fs.utimesSync(path.join(w.src, 'a.txt'), Date.now() / 1000 - 60, Date.now() / 1000 - 60);
    // Globus cannot read it (as with a wrong source.collectionPath) though it is here.
    const tasks = w.srv.tasks;
    const start = tasks.start.bind(tasks);
    tasks.start = (t) => {
      fs.renameSync(path.join(w.src, 'a.txt'), path.join(w.base, 'a.txt.away'));
      tasks.start = start;
      start(t);
    };
    expect((await run([])).code).toBe(0);
    const stuck = w.srv.tasks.list().at(-1)!;
    await vi.waitFor(() => expect(stuck.faults).toBeGreaterThanOrEqual(VANISHED_MIN_FAULTS), { timeout: 20_000, interval: 50 });
    // Locally the file is back: gsync must not cancel, Globus's next retry finds it.
    fs.renameSync(path.join(w.base, 'a.txt.away'), path.join(w.src, 'a.txt'));
    const r = await run([]);
    expect(r.stdout).not.toMatch(/cancelled/);
    await w.srv.tasks.waitFor(stuck.id);
    expect(stuck.status).toBe('SUCCEEDED');
  }, 90_000);
});

describe('auth trouble: exit 77 with one line naming what to do, never a prompt', () => {
  /** The environment of a user login: no service-account credentials. */
  const userEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...w.env };
    delete env.GLOBUS_CLIENT_ID;
    delete env.GLOBUS_CLIENT_SECRET;
    return env;
  };
  /** What `gsync login` would have stored. */
  const storeLogin = (scope?: string) => {
    const file = w.config.auth.tokenFile;
    fs.rmSync(file, { force: true });
    writeLogin(w.srv, file, { scope });
  };

  it('invalid_grant (refresh token revoked): exit 77, one line naming gsync login; a new login ships what is owed', async () => {
    w = await jobWorld();
    storeLogin();
    writeTree(w.src, { 'a.txt': 'a' });
    await healthy(userEnv());
    writeTree(w.src, { 'b.txt': 'b' });
    w.srv.faults.revokeTokens();
    const r = await run(['--wait'], userEnv());
    expect(r.code).toBe(77);
    expect(r.stdout).toBe('');
    const lines = messageLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(`gsync login --config ${w.configFile}`);
    expect(r.stderr).not.toMatch(/enter|paste|code:/i);
    storeLogin();
    await healthy(userEnv());
  });

  it('ConsentRequired for a collection: exit 77 naming the collection and scope; after consent the same submission ships', async () => {
    w = await jobWorld();
    storeLogin(TRANSFER_SCOPE); // no data_access consent
    // The mapped collection: a guest collection has no data_access scope to consent to.
    w.srv.faults.requireConsent(SRC_ID);
    writeTree(w.src, { 'a.txt': 'a' });
    const r = await run(['--wait'], userEnv());
    expect(r.code).toBe(77);
    expect(r.stdout).toBe('');
    const lines = messageLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(SRC_ID);
    expect(lines[0]).toContain(`https://auth.globus.org/scopes/${SRC_ID}/data_access`);
    expect(lines[0]).toContain('gsync login');
    expect(w.srv.tasks.list()).toHaveLength(0);
    storeLogin(); // a login that asked for every collection's data_access
    await healthy(userEnv());
    expect(w.srv.tasks.list()).toHaveLength(1);
  });
  // Any error carrying authorization_parameters with session requirements is an authentication problem.
  it('a session policy (403 AuthPolicyFailed with authorization_parameters): exit 77, one line naming the login and the requirement', async () => {
    w = await jobWorld();
    storeLogin();
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.requireSession(DST_ID, { session_required_mfa: true, session_required_single_domain: ['uni.example.org'] });
    const r = await run(['--wait'], userEnv());
    expect(r.code).toBe(77);
    const lines = messageLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain('gsync login');
    expect(lines[0]).toContain('multi-factor authentication (MFA)');
    expect(lines[0]).toContain('a login from uni.example.org');
    expect(w.srv.tasks.list()).toHaveLength(0);
    w.srv.faults.requireSession(DST_ID, null);
    await healthy(userEnv());
  });

  it('a session policy met by a service account: exit 77 saying what it cannot satisfy', async () => {
    w = await jobWorld();
    writeTree(w.src, { 'a.txt': 'a' });
    w.srv.faults.requireSession(DST_ID, { session_required_policies: ['0b1c2d3e-0000-4000-8000-000000000001'] });
    const r = await run(['--wait']);
    expect(r.code).toBe(77);
    const lines = messageLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain('a service account (client credentials) cannot satisfy authentication policy 0b1c2d3e-0000-4000-8000-000000000001');
  });
});
