import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GlobusApiError } from '../../src/globus/errors.js';
import {
  deleteResultSchema,
  fileEntrySchema,
  skippedErrorSchema,
  taskSchema,
  transferResultSchema,
  type DeleteDocument,
  type DeleteResult,
  type FileEntry,
  type SkippedError,
  type SuccessfulTransfer,
  type Task,
  type TransferDocument,
  type TransferResult,
} from '../../src/globus/schemas.js';
import type { RemoteSession, SyncRemote } from '../../src/run/remote.js';
import { fixture } from '../server-support.js';

/** How the next submitted task ends; default SUCCEEDED. */
export type NextTask = { status: 'FAILED'; code: string; description: string } | { status: 'INACTIVE'; description: string } | { status: 'ACTIVE' };

interface MemoryTask {
  task: Task;
  skipped: SkippedError[];
  /** What it "copied": every file found under its items when it ran. */
  delivered: SuccessfulTransfer[];
  doc: TransferDocument;
}

/**
 * Globus Transfer in memory, for fast unit tests of sync/ (rclone's memory
 * backend). Documents come back shaped like the recorded payloads in
 * test/fixtures/globus/ and parsed by gsync's own schemas; the same contract
 * suite (test/remote-contract.test.ts) runs against this and the local server.
 * It copies nothing: a task ends when it is submitted, with a skipped error
 * (skip_source_errors) for every source path missing under its collection root.
 */
export class MemoryRemote implements SyncRemote {
  /** Every document accepted, in order: what Globus was asked for. */
  readonly submitted: TransferDocument[] = [];
  readonly calls: string[] = [];
  private readonly tasks = new Map<string, MemoryTask>();
  private readonly bySubmission = new Map<string, string>();
  private readonly next: NextTask[] = [];

  /** `roots`: collection id -> local folder standing for it, to tell which source paths exist. */
  constructor(private readonly roots: Record<string, string>) {}

  /** The next submitted task ends so (one per call, in order). */
  endNextTask(how: NextTask): void {
    this.next.push(how);
  }

  /** An ACTIVE task (endNextTask({status:'ACTIVE'})) finishes as SUCCEEDED. */
  complete(taskId: string): void {
    const t = this.tasks.get(taskId);
    if (t) t.task = { ...t.task, status: 'SUCCEEDED', completion_time: new Date().toISOString() };
  }

  async getSubmissionId(): Promise<string> {
    this.calls.push('getSubmissionId');
    return randomUUID();
  }

  async submitTransfer(doc: TransferDocument): Promise<TransferResult> {
    this.calls.push('submitTransfer');
    // transfer_submit_error_no_items.json
    if (doc.DATA.length === 0) throw transferError(400, 'ClientError.BadRequest.NoTransferItems', 'A transfer requires at least one item', 'POST', 'transfer');
    const earlier = this.bySubmission.get(doc.submission_id);
    if (earlier) return result('Duplicate', `A transfer with id '${doc.submission_id}' was already submitted`, doc.submission_id, earlier);
    const taskId = randomUUID();
    this.bySubmission.set(doc.submission_id, taskId);
    this.submitted.push(doc);
    this.tasks.set(taskId, this.run(taskId, doc, this.next.shift()));
    return result('Accepted', 'The transfer has been accepted and a task has been created and queued for execution', doc.submission_id, taskId);
  }

  /** Delete documents accepted, in order. Like transfers, nothing on disk is touched. */
  readonly deletes: DeleteDocument[] = [];

  async submitDelete(doc: DeleteDocument): Promise<DeleteResult> {
    this.calls.push('submitDelete');
    const earlier = this.bySubmission.get(doc.submission_id);
    const answer = (code: 'Accepted' | 'Duplicate', taskId: string) =>
      deleteResultSchema.parse({ ...fixture('delete_submit.json'), code, submission_id: doc.submission_id, task_id: taskId, request_id: randomUUID().slice(0, 9) });
    if (earlier) return answer('Duplicate', earlier);
    const taskId = randomUUID();
    this.bySubmission.set(doc.submission_id, taskId);
    this.deletes.push(doc);
    const how = this.next.shift();
    const status = how?.status ?? 'SUCCEEDED';
    // task_get_failed.json is a recorded DELETE task.
    const task = taskSchema.parse({
      ...fixture('task_get_failed.json'),
      task_id: taskId,
      status,
      label: doc.label ?? null,
      source_endpoint_id: doc.endpoint,
      files: doc.DATA.length,
      fatal_error: how?.status === 'FAILED' ? { code: how.code, description: how.description } : null,
      completion_time: status === 'SUCCEEDED' || status === 'FAILED' ? new Date().toISOString() : null,
    });
    this.tasks.set(taskId, { task, skipped: [], delivered: [], doc: doc as unknown as TransferDocument });
    return answer('Accepted', taskId);
  }

  async getTask(taskId: string): Promise<Task> {
    this.calls.push('getTask');
    const t = this.tasks.get(taskId);
    if (!t) throw transferError(404, 'ClientError.NotFound', `Task ID '${taskId}' not found`, 'GET', `task/${taskId}`);
    return t.task;
  }

  async *skippedErrors(taskId: string): AsyncIterable<SkippedError> {
    this.calls.push('skippedErrors');
    const t = this.tasks.get(taskId);
    if (!t) throw transferError(404, 'ClientError.NotFound', `Task ID '${taskId}' not found`, 'GET', `task/${taskId}/skipped_errors`);
    yield* t.skipped;
  }

  async *successfulTransfers(taskId: string): AsyncIterable<SuccessfulTransfer> {
    this.calls.push('successfulTransfers');
    const t = this.tasks.get(taskId);
    if (!t) throw transferError(404, 'ClientError.NotFound', `Task ID '${taskId}' not found`, 'GET', `task/${taskId}/successful_transfers`);
    yield* t.task.status === 'SUCCEEDED' ? t.delivered : [];
  }

  /** operation/stat over the collection's folder; error_not_found_stat.json's code for a missing path. */
  async stat(collection: string, p: string): Promise<FileEntry> {
    this.calls.push('stat');
    const root = this.roots[collection];
    const local = root === undefined ? undefined : path.join(root, p.replace(/^\/~\//, '/'));
    const st = local === undefined ? undefined : fs.statSync(local, { throwIfNoEntry: false });
    if (st === undefined) throw transferError(404, 'NotFound', `Path not found: ${p}`, 'GET', `operation/endpoint/${collection}/stat`);
    const iso = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toISOString().replace('T', ' ').replace('.000Z', '+00:00');
    return fileEntrySchema.parse({ DATA_TYPE: 'file', name: path.posix.basename(p), type: st.isDirectory() ? 'dir' : 'file', size: st.size, last_modified: iso, permissions: '0644', link_target: null });
  }

  /** runJob's opener over this remote, with a login that is always usable. */
  session(): () => RemoteSession {
    return () => ({ remote: this, auth: { requireUsable() {}, handleConsentRequired: async (err) => Promise.reject(err) }, close: async () => {} });
  }

  private run(taskId: string, doc: TransferDocument, how: NextTask | undefined): MemoryTask {
    const root = this.roots[doc.source_endpoint];
    const skipped: SkippedError[] = [];
    const delivered: SuccessfulTransfer[] = [];
    let files = 0;
    for (const item of doc.DATA) {
      const local = root === undefined ? undefined : path.join(root, item.source_path);
      if (local !== undefined && fs.existsSync(local)) {
        const found = item.recursive ? filesUnder(local, '') : [''];
        for (const rel of found) {
          delivered.push({ DATA_TYPE: 'successful_transfer', source_path: item.source_path + rel, destination_path: item.destination_path + rel });
        }
        files += found.length;
      } else if (doc.skip_source_errors) {
        skipped.push(skippedError(item.source_path, item.destination_path));
      }
    }
    const status = how?.status ?? 'SUCCEEDED';
    const template = fixture('task_get_succeeded.json');
    const task = taskSchema.parse({
      ...template,
      task_id: taskId,
      status,
      label: doc.label ?? null,
      source_endpoint_id: doc.source_endpoint,
      destination_endpoint_id: doc.destination_endpoint,
      skip_source_errors: doc.skip_source_errors ?? false,
      files,
      files_transferred: status === 'SUCCEEDED' ? files : 0,
      subtasks_skipped_errors: skipped.length,
      // task_get_failed.json carries fatal_error {code, description}
      fatal_error: how?.status === 'FAILED' ? { code: how.code, description: how.description } : null,
      nice_status: how?.status === 'INACTIVE' ? 'PAUSED' : null,
      nice_status_short_description: how?.status === 'INACTIVE' ? how.description : null,
      completion_time: status === 'SUCCEEDED' || status === 'FAILED' ? new Date().toISOString() : null,
    });
    return { task, skipped, delivered, doc };
  }
}

function result(code: 'Accepted' | 'Duplicate', message: string, submissionId: string, taskId: string): TransferResult {
  return transferResultSchema.parse({
    ...fixture('transfer_submit.json'),
    code,
    message,
    request_id: randomUUID().slice(0, 9),
    submission_id: submissionId,
    task_id: taskId,
    task_link: { DATA_TYPE: 'link', href: `/v0.10/task/${taskId}?format=json`, rel: 'related', resource: 'task', title: 'related task' },
  });
}

function skippedError(sourcePath: string, destinationPath: string): SkippedError {
  const [template] = (fixture('skipped_errors.json') as { DATA: Record<string, unknown>[] }).DATA;
  return skippedErrorSchema.parse({
    ...template,
    source_path: sourcePath,
    destination_path: destinationPath,
    error_code: 'FILE_NOT_FOUND',
    error_time: new Date().toISOString(),
  });
}

function transferError(httpStatus: number, code: string, message: string, method: string, p: string): GlobusApiError {
  return new GlobusApiError({ service: 'transfer', httpStatus, code, message, method, path: `v0.10/${p}`, requiredScopes: [], requestId: randomUUID().slice(0, 9) });
}

/** Paths of the files under `dir`, relative to it ("a/b.txt"), as a recursive item's successful transfers name them. */
function filesUnder(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`));
    else out.push(prefix + e.name);
  }
  return out;
}
