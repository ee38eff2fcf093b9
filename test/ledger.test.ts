import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKind } from '../src/deletes/delete-tasks.js';
import { GlobusApiError } from '../src/globus/errors.js';
import type { Task } from '../src/globus/schemas.js';
import { createDeleteTask } from '../src/ledger/delete-rows.js';
import { settleOpen, submitTask } from '../src/ledger/tasks.js';
import { createSubmission } from '../src/ledger/transfer-rows.js';
import { silentLogger } from '../src/log/logger.js';
import { openState, type State } from '../src/state/open.js';
import { transferKind } from '../src/sync/transfer-kind.js';
import type { SyncContext } from '../src/run/sync-context.js';
import { emptyReport } from '../src/sync/settle-tasks.js';
import { noDeletesSettled } from '../src/deletes/delete-tasks.js';
import { LATER_NS, planOf } from './helpers/ship.js';
import { writeTree } from './server-support.js';
import { tempDir } from './helpers/temp.js';

/**
 * Issue 25: a transfer and a delete go through the same ledger code
 * (src/ledger/tasks.ts). For each kind: the row and its document are recorded
 * before the POST; a POST whose answer was lost is re-POSTed by the next
 * settle under the same submission_id and Globus's "Duplicate" accepted; a
 * refusal ends the row REJECTED and a 404 LOST, each releasing what it held.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Globus as the ledger meets it: a task per submission_id, Duplicate on a repeat; faults switched by the test. */
class FakeGlobus {
  readonly bySubmission = new Map<string, string>();
  readonly posts: string[] = [];
  refuse = false;
  loseNextAnswer = false;
  unknown = false;

  async getSubmissionId(): Promise<string> {
    return randomUUID();
  }

  async post(doc: { submission_id: string }): Promise<{ task_id: string; code: string }> {
    this.posts.push(doc.submission_id);
    if (this.refuse) throw apiError(400, 'ClientError.BadRequest', 'refused by the test');
    const earlier = this.bySubmission.get(doc.submission_id);
    if (earlier) return { task_id: earlier, code: 'Duplicate' };
    const taskId = randomUUID();
    this.bySubmission.set(doc.submission_id, taskId);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new Error('connection reset after the request was handled');
    }
    return { task_id: taskId, code: 'Accepted' };
  }

  async getTask(taskId: string): Promise<Task> {
    if (this.unknown) throw apiError(404, 'ClientError.NotFound', `Task ID '${taskId}' not found`);
    return { task_id: taskId, status: 'ACTIVE', faults: 0, files: 0, files_transferred: 0, nice_status: null } as unknown as Task;
  }
}

function apiError(httpStatus: number, code: string, message: string): GlobusApiError {
  return new GlobusApiError({ service: 'transfer', httpStatus, code, message, method: 'POST', path: 'v0.10/x', requiredScopes: [] });
}

function world() {
  const base = tempDir('gsync-ledger-');
  dirs.push(base);
  const src = path.join(base, 'src');
  writeTree(src, { 'a.txt': 'a', 'd/b.txt': 'b' });
  const state = openState(path.join(base, 'state.db'));
  const globus = new FakeGlobus();
  const remote = { getSubmissionId: () => globus.getSubmissionId(), getTask: (id: string) => globus.getTask(id), submitTransfer: (d: { submission_id: string }) => globus.post(d), submitDelete: (d: { submission_id: string }) => globus.post(d) };
  const ctx = { config: { transfer: { skipSourceErrors: true } }, state, logger: silentLogger, remote, auth: { handleConsentRequired: async (e: unknown) => Promise.reject(e) }, now: () => LATER_NS, crashPoint: () => {} } as unknown as SyncContext;
  return { src, state, globus, ctx };
}

type World = ReturnType<typeof world>;

/** Each kind: how a row is recorded with what it holds, what it holds now, and the report its settle writes. */
const kinds = [
  {
    kind: transferKind,
    table: 'submission',
    report: emptyReport,
    record: (w: World, submissionId: string, document: string) =>
      createSubmission(w.state, { submissionId, document, items: planOf(w.src, w.state, { write: true }).items, files: 2, bytes: 2, createdNs: LATER_NS }),
    held: (s: State) => s.db.prepare(`SELECT count(*) FROM pending`).pluck().get(),
  },
  {
    kind: deleteKind,
    table: 'delete_task',
    report: noDeletesSettled,
    record: (w: World, submissionId: string, document: string) =>
      createDeleteTask(w.state, { submissionId, document, targets: [{ nodeId: 1, relPath: '', shippedKind: 'd', paths: 3 }], createdNs: LATER_NS }),
    held: (s: State) => s.db.prepare(`SELECT count(*) FROM delete_pending`).pluck().get(),
  },
] as const;

const rows = (s: State, table: string) => s.db.prepare(`SELECT submission_id, task_id, status, error IS NOT NULL AS failed FROM ${table} ORDER BY id`).all();

describe.each(kinds)('the ledger, $kind.noun kind', ({ kind, table, report, record, held }) => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const send = (w: World) => submitTask(w.ctx, kind as any, (submissionId) => ({ doc: { submission_id: submissionId, DATA: [] }, record: (doc) => record(w, submissionId, doc) }));

  it('records the row and its exact document before the POST; a lost answer is re-POSTed under the same submission_id and "Duplicate" accepted', async () => {
    const w = world();
    w.globus.loseNextAnswer = true;
    await expect(send(w)).rejects.toThrow(/connection reset/);
    const [row] = rows(w.state, table) as Array<{ submission_id: string; task_id: string | null; status: string }>;
    expect(row).toMatchObject({ task_id: null, status: 'CREATED' });
    expect(held(w.state)).toBeGreaterThan(0);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await settleOpen(w.ctx, kind as any, report());
    expect(w.globus.posts).toEqual([row!.submission_id, row!.submission_id]);
    expect(rows(w.state, table)).toEqual([{ submission_id: row!.submission_id, task_id: w.globus.bySubmission.get(row!.submission_id), status: 'ACTIVE', failed: 0 }]);
    expect(held(w.state)).toBeGreaterThan(0);
    w.state.close();
  });

  it('a refusal ends the row REJECTED and releases what it held; a 404 ends it LOST and releases likewise', async () => {
    const w = world();
    w.globus.refuse = true;
    await expect(send(w)).rejects.toThrow(/refused by the test/);
    expect(rows(w.state, table)).toMatchObject([{ status: 'REJECTED', failed: 1 }]);
    expect(held(w.state)).toBe(0);

    w.globus.refuse = false;
    await send(w);
    expect(held(w.state)).toBeGreaterThan(0);
    w.globus.unknown = true;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await settleOpen(w.ctx, kind as any, report());
    expect(rows(w.state, table)).toMatchObject([{ status: 'REJECTED' }, { status: 'LOST', failed: 1 }]);
    expect(held(w.state)).toBe(0);
    w.state.close();
  });
});
