import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GlobusApiError } from '../../src/globus/errors.js';
import type { TransferDocument } from '../../src/globus/schemas.js';
import type { SyncRemote } from '../../src/run/remote.js';
import { DST_ID, fixture, item, keyDiff, SRC_ID, writeTree } from '../server-support.js';

/** One Globus stand-in under test, over a source folder served as SRC_ID. */
export interface RemoteHarness {
  remote: SyncRemote;
  /** Local folder of the source collection SRC_ID. */
  src: string;
  /** Resolves once the task has ended (or paused); the local server copies in the background. */
  ended(taskId: string): Promise<void>;
  /** The next submitted task ends FAILED with this fatal error / goes INACTIVE. */
  failNext(code: string, description: string): void;
  inactivateNext(description: string): void;
  close(): Promise<void>;
}

const doc = (submissionId: string, DATA: unknown[]): TransferDocument =>
  ({
    DATA_TYPE: 'transfer',
    submission_id: submissionId,
    source_endpoint: SRC_ID,
    destination_endpoint: DST_ID,
    DATA,
    sync_level: 2,
    skip_source_errors: true,
    preserve_timestamp: true,
    label: 'contract',
  }) as TransferDocument;

/**
 * What sync/ relies on from any Globus stand-in (restic's backend/test/suite.go),
 * written against the recorded payloads in test/fixtures/globus/. Every stand-in
 * gets the whole suite from one call.
 */
export function remoteContract(name: string, make: () => Promise<RemoteHarness>): void {
  describe(`SyncRemote contract: ${name}`, () => {
    let h: RemoteHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close();
    });

    async function submitted(DATA: unknown[]) {
      const sid = await h.remote.getSubmissionId();
      const res = await h.remote.submitTransfer(doc(sid, DATA));
      await h.ended(res.task_id);
      return { sid, res, task: await h.remote.getTask(res.task_id) };
    }

    it('hands out a fresh submission id each time, shaped like submission_id.json', async () => {
      const a = await h.remote.getSubmissionId();
      const b = await h.remote.getSubmissionId();
      expect(a).not.toBe(b);
      const recorded = fixture('submission_id.json').value as string;
      expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(recorded).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it('accepts a transfer with the keys of transfer_submit.json, and its task SUCCEEDS with every file', async () => {
      writeTree(h.src, { 'd/1': '1', 'd/2': '2', 'one.txt': 'x' });
      const { sid, res, task } = await submitted([item('/d', '/d', true), item('/one.txt', '/one.txt')]);
      expect(res).toMatchObject({ code: 'Accepted', submission_id: sid });
      expect(keyDiff(res, fixture('transfer_submit.json'))).toEqual([]);
      expect(task).toMatchObject({ task_id: res.task_id, status: 'SUCCEEDED', files: 3, files_transferred: 3 });
      const missing = keyDiff(task, fixture('task_get_succeeded.json')).filter((d) => d.endsWith('missing'));
      expect(missing).toEqual([]);
    });

    it('answers a repeated submission_id "Duplicate" with the first task, and runs it once', async () => {
      writeTree(h.src, { 'a.txt': 'a' });
      const { sid, res } = await submitted([item('/a.txt', '/a.txt')]);
      const again = await h.remote.submitTransfer(doc(sid, [item('/a.txt', '/a.txt')]));
      expect(again).toMatchObject({ code: 'Duplicate', task_id: res.task_id, submission_id: sid });
    });

    it('refuses a transfer with no items as transfer_submit_error_no_items.json does', async () => {
      const err = await h.remote.submitTransfer(doc(await h.remote.getSubmissionId(), [])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GlobusApiError);
      expect(err).toMatchObject({ httpStatus: 400, code: fixture('transfer_submit_error_no_items.json').code, kind: 'failure' });
    });

    it('accepts a delete with the keys of delete_submit.json, runs a DELETE task, and answers a repeat "Duplicate"', async () => {
      writeTree(h.src, { 'gone.txt': 'g' });
      const sid = await h.remote.getSubmissionId();
      const del = { DATA_TYPE: 'delete' as const, submission_id: sid, endpoint: SRC_ID, recursive: false, ignore_missing: true, interpret_globs: false, DATA: [{ DATA_TYPE: 'delete_item' as const, path: '/gone.txt' }] };
      const res = await h.remote.submitDelete(del);
      expect(res).toMatchObject({ code: 'Accepted', submission_id: sid });
      expect(keyDiff(res, fixture('delete_submit.json'))).toEqual([]);
      await h.ended(res.task_id);
      expect(await h.remote.getTask(res.task_id)).toMatchObject({ task_id: res.task_id, type: 'DELETE', status: 'SUCCEEDED' });
      expect(await h.remote.submitDelete(del)).toMatchObject({ code: 'Duplicate', task_id: res.task_id });
    });

    it('does not know a task it never ran: a not-found GlobusApiError', async () => {
      const err = await h.remote.getTask('00000000-0000-0000-0000-0000699934d5').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GlobusApiError);
      expect((err as GlobusApiError).isNotFound).toBe(true);
    });

    it('skips a missing source under skip_source_errors: SUCCEEDED, and the skipped error is shaped like skipped_errors.json', async () => {
      writeTree(h.src, { 'here.txt': 'h' });
      const { res, task } = await submitted([item('/here.txt', '/here.txt'), item('/gone.txt', '/gone.txt')]);
      expect(task.status).toBe('SUCCEEDED');
      expect(task.subtasks_skipped_errors).toBe(1);
      const skipped = [];
      for await (const s of h.remote.skippedErrors(res.task_id)) skipped.push(s);
      expect(skipped.map((s) => [s.source_path, s.error_code])).toEqual([['/gone.txt', 'FILE_NOT_FOUND']]);
      const recorded = (fixture('skipped_errors.json') as { DATA: unknown[] }).DATA[0];
      expect(keyDiff(skipped[0], recorded).filter((d) => d.endsWith('missing'))).toEqual([]);
    });

    it('reports a FAILED task with its fatal_error, as task_get_failed.json does', async () => {
      writeTree(h.src, { 'a.txt': 'a' });
      h.failNext('PERMISSION_DENIED', 'permission denied on the destination');
      const { task } = await submitted([item('/a.txt', '/a.txt')]);
      expect(task.status).toBe('FAILED');
      expect(task.fatal_error).toMatchObject({ code: 'PERMISSION_DENIED', description: 'permission denied on the destination' });
      expect(Object.keys(fixture('task_get_failed.json').fatal_error as object).sort()).toEqual(['code', 'description']);
    });

    it('reports an INACTIVE task with a short description of why', async () => {
      writeTree(h.src, { 'a.txt': 'a' });
      h.inactivateNext('credentials expired');
      const { task } = await submitted([item('/a.txt', '/a.txt')]);
      expect(task.status).toBe('INACTIVE');
      expect(task.nice_status_short_description ?? task.nice_status).toContain('credentials expired');
    });
  });
}
