import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../src/commands/context.js';
import { statusCommand } from '../src/commands/status.js';
import type { StatusView } from '../src/report/render-status.js';
import { DEMO_SERVICE_ACCOUNT_ENV } from '../src/server/index.js';
import { openState } from '../src/state/open.js';
import { finishRun, startRun } from '../src/state/runs.js';
import { commitSubmission, markSubmitted } from '../src/ledger/transfer-rows.js';
import { item, world, DST_ID, SRC_ID, type World } from './server-support.js';
import { ship, submit } from './helpers/ship.js';
import { makeTree } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';

let w: World;
beforeAll(async () => {
  w = await world();
});
afterAll(() => w.cleanup());

const SERVICE = DEMO_SERVICE_ACCOUNT_ENV;
const NS = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

function job(): { config: string; statePath: string; root: string; tokenFile: string } {
  const home = tempDir('gsync-status-');
  const root = makeTree({ 'a.txt': 'aaa', 'd/b.txt': 'bb' });
  const statePath = path.join(home, 'state', 'job.db');
  const tokenFile = path.join(home, 'tokens.json');
  const config = path.join(home, 'gsync.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      name: 'st',
      source: { collection: SRC_ID, path: root, collectionPath: '/' },
      destination: { collection: DST_ID, path: '/archive' },
      auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2', tokenFile },
      state: { path: statePath },
      scan: { minAgeSeconds: 0 },
    }),
  );
  return { config, statePath, root, tokenFile };
}

async function status(config: string, opts: { json?: boolean }, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const ctx: CommandContext = { global: { config, quiet: true }, out, env: { ...w.srv.env, ...env }, interactive: false, stdin: new PassThrough() };
  const code = await statusCommand(opts, ctx);
  return { code, out: text };
}

async function statusJson(config: string, env: NodeJS.ProcessEnv = SERVICE): Promise<StatusView> {
  const r = await status(config, { json: true }, env);
  expect(r.code).toBe(0);
  const lines = r.out.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as StatusView;
}

/** A real task on the server, so the live lookup has something to find. */
async function realTask(): Promise<string> {
  fs.writeFileSync(path.join(w.src, 'x.txt'), 'x');
  const r = await w.submit({ DATA: [item('/x.txt', '/x.txt')] });
  expect(r.status).toBe(202);
  await w.waitDone(r.body.task_id);
  return r.body.task_id as string;
}

describe('gsync status', () => {
  it('--json with no state database: no runs, exit 0, and nothing created', async () => {
    const j = job();
    const v = await statusJson(j.config);
    expect(v).toMatchObject({ job: 'st', state: j.statePath, runs: [], pending: [], paths: null });
    expect(v.notes).toContain('no runs yet: there is no state database');
    expect(v.credentials).toMatchObject({ kind: 'client' });
    expect(fs.existsSync(j.statePath)).toBe(false);
    expect(fs.existsSync(path.dirname(j.statePath))).toBe(false);
  });

  it('text with no state database says "no runs yet"', async () => {
    const j = job();
    const r = await status(j.config, {}, SERVICE);
    expect(r.code).toBe(0);
    expect(r.out).toContain('note     no runs yet');
  });

  it('--json after a finished run and a pending submission: runs, task ids, live task state, path counts', async () => {
    const j = job();
    const taskId = await realTask();
    const state = openState(j.statePath);
    try {
      // Run 1 shipped everything; run 2 submitted a change and is waiting on Globus.
      const run1 = startRun(state, NS('2025-03-01T10:00:00Z'));
      const first = submit(j.root, state);
      markSubmitted(state, first.rowId, 'task-one', NS('2025-03-01T10:00:01Z'));
      commitSubmission(state, first.rowId, NS('2025-03-01T10:00:30Z'));
      finishRun(state, run1, {
        finishedNs: NS('2025-03-01T10:00:30.5Z'), result: 'succeeded', exitCode: 0, submission: first.rowId,
        items: first.totals.items, files: first.totals.files, bytes: first.totals.bytes, deferred: 2, skipped: 1,
      });
      fs.writeFileSync(path.join(j.root, 'new.txt'), 'new!');
      const run2 = startRun(state, NS('2025-03-02T10:00:00Z'));
      const second = submit(j.root, state);
      markSubmitted(state, second.rowId, taskId, NS('2025-03-02T10:00:02Z'));
      finishRun(state, run2, {
        finishedNs: NS('2025-03-02T10:00:03Z'), result: 'submitted', exitCode: 0, submission: second.rowId,
        items: 1, files: 1, bytes: 4, deferred: 0, skipped: 0,
      });
      startRun(state, NS('2025-03-03T10:00:00Z')); // still going, or died
    } finally {
      state.close();
    }

    const v = await statusJson(j.config);
    expect(v.runs.map((r) => [r.result, r.taskId])).toEqual([['unfinished', null], ['submitted', taskId], ['succeeded', 'task-one']]);
    expect(v.runs[2]).toMatchObject({
      started: '2025-03-01T10:00:00.000Z', finished: '2025-03-01T10:00:30.500Z', durationSeconds: 30.5, exitCode: 0,
      items: 1, files: 2, bytes: 5, deferred: 2, skipped: 1,
    });
    expect(v.runs[0]).toMatchObject({ finished: null, durationSeconds: null });
    expect(v.pending).toHaveLength(1);
    expect(v.pending[0]).toMatchObject({ taskId, recordedStatus: 'SUBMITTED', liveStatus: 'SUCCEEDED', items: 1, files: 1, bytes: 4, faults: 0 });
    // Tracked: a.txt, d, d/b.txt shipped; new.txt is in flight (and dirty: seen, not yet shipped).
    expect(v.paths).toEqual({ tracked: 3, dirty: 1, inflight: 1, gone: 0, deferred: 0, skipped: 0 });
    expect(v.notes).toEqual([]);
    // The state database is not written by status.
    expect(fs.existsSync(`${j.statePath}.lock`)).toBe(false);

    const text = await status(j.config, {}, SERVICE);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`pending  task ${taskId}: SUCCEEDED`);
    expect(text.out).toContain('paths    3 tracked, 1 dirty, 1 in flight, 0 gone; last run: 0 deferred, 0 skipped');
    expect(text.out).toMatch(/runs +started +duration +result/);
    expect(text.out).toMatch(/2025-03-01T10:00:00Z +30\.5s +succeeded +task-one +1 +2 +5 B/);
  });

  it('without a login, shows the recorded task status and one note, and still exits 0', async () => {
    const j = job();
    const state = openState(j.statePath);
    try {
      ship(j.root, state);
      fs.writeFileSync(path.join(j.root, 'more.txt'), 'm');
      const s = submit(j.root, state);
      markSubmitted(state, s.rowId, 'some-task-id', NS('2025-03-02T10:00:02Z'), 'ACTIVE');
    } finally {
      state.close();
    }
    const v = await statusJson(j.config, {});
    expect(v.pending[0]).toMatchObject({ taskId: 'some-task-id', recordedStatus: 'ACTIVE', liveStatus: null });
    expect(v.credentials).toEqual({ kind: 'user', expiresAt: null, refreshable: null, tokenFile: j.tokenFile });
    // No run rows were written here, so "no runs yet" is the other note.
    expect(v.notes).toHaveLength(2);
    expect(v.notes[0]).toBe('no runs yet');
    expect(v.notes[1]).toMatch(/^live task state not available, showing the recorded status: .*gsync login/);
    expect(v.notes[1]).not.toContain('\n');

    const text = await status(j.config, {}, {});
    expect(text.out).toContain('pending  task some-task-id: ACTIVE (recorded)');
    expect(text.out).toContain('login    user login, no token stored');
  });

  it('a token expiry is reported from the stored login', async () => {
    const j = job();
    const t = w.srv.issueTokens();
    const expiresAt = Math.floor(Date.now() / 1000) + t.expires_in;
    fs.writeFileSync(
      j.tokenFile,
      JSON.stringify({ version: 1, tokens: { 'transfer.api.globus.org': { access_token: t.access_token, expires_at: expiresAt, refresh_token: t.refresh_token, scope: t.scope } } }),
      { mode: 0o600 },
    );
    const v = await statusJson(j.config, {});
    expect(v.credentials).toEqual({ kind: 'user', expiresAt: new Date(expiresAt * 1000).toISOString(), refreshable: true, tokenFile: j.tokenFile });
  });
});
