import fs from 'node:fs/promises';
import { itemError } from './copy.js';
import type { Collection } from './collections.js';
import type { TaskOutcomeFault } from './faults.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedOptions } from './options.js';
import { TransferTask } from './task.js';

export interface DeleteOptions {
  label: string | null;
  /** Document-wide, as in the API: without it, a directory among the items fails the task. */
  recursive: boolean;
  /** A missing path counts as deleted instead of failing the task. */
  ignoreMissing: boolean;
  deadline: number;
}

/**
 * A delete task (POST /delete). It is a TransferTask for the routes and the
 * registry (GET task, event_list, task_list and cancel behave the same), with
 * the delete's own document: type DELETE and the one endpoint reported as the
 * source, destination fields null, as in the recorded DELETE task
 * test/fixtures/globus/task_get_failed.json.
 */
export class DeleteTask extends TransferTask {
  deletedPaths: string[] = [];

  constructor(
    id: string,
    submissionId: string,
    endpoint: Collection,
    readonly paths: string[],
    readonly deleteOptions: DeleteOptions,
    requestTime: number,
    ownerId: string,
    outcome: TaskOutcomeFault | undefined,
  ) {
    super(
      id,
      submissionId,
      endpoint,
      endpoint,
      paths.map((p) => ({ source_path: p, destination_path: p, recursive: deleteOptions.recursive })),
      {
        label: deleteOptions.label,
        syncLevel: null,
        verifyChecksum: false,
        preserveTimestamp: false,
        encryptData: false,
        skipSourceErrors: false,
        failOnQuotaErrors: false,
        deleteDestinationExtra: false,
        deadline: deleteOptions.deadline,
      },
      requestTime,
      ownerId,
      outcome,
    );
  }

  override document(): Record<string, unknown> {
    // Keys a transfer has and the recorded DELETE task does not.
    const { skip_source_errors: _s, fail_on_quota_errors: _f, filter_rules: _r, subtasks_skipped_errors: _e, ...doc } = super.document();
    return {
      ...doc,
      type: 'DELETE',
      // The recorded DELETE tasks (submit_delete_*.yaml, task_get_failed.json) carry the service's sort key.
      key: `${this.done ? 'complete' : 'active'},${new Date(this.completionTime ?? this.requestTime).toISOString().replace('Z', '000')}`,
      destination_endpoint: null,
      destination_endpoint_display_name: null,
      destination_endpoint_id: null,
      recursive_symlinks: null,
      sync_level: null,
      files: this.paths.length,
      subtasks_total: this.paths.length,
      subtasks_pending: this.done ? 0 : Math.max(0, this.paths.length - this.itemsDone - this.subtasksFailed),
      subtasks_succeeded: this.itemsDone,
    };
  }
}

class Stopped extends Error {}

/**
 * Runs a delete task to its end: each path in order, a symlink removed and
 * never followed (DeleteData.add_item: "Symlinks will never be followed, only
 * deleted"). A missing path without ignore_missing, or a directory without
 * recursive, fails the task as the recorded FILE_NOT_FOUND failure does
 * (task_get_failed.json); any other error is a fault, retried until the
 * deadline, as for transfers. Fault injection (fail, faulty, inactive) applies.
 */
export async function runDeleteTask(t: DeleteTask, opts: ResolvedOptions): Promise<void> {
  const pause = async (ms: number) => {
    if (t.abort.signal.aborted || t.done) throw new Stopped();
    if (ms > 0) await sleep(ms, undefined, { signal: t.abort.signal }).catch(() => Promise.reject(new Stopped()));
  };
  const fault = async (code: string, description: string, details: string): Promise<boolean> => {
    t.faults++;
    t.niceStatus = { code, description, details };
    t.event(code, description, details, true);
    if (Date.now() + opts.faultRetryMs >= t.options.deadline) {
      await pause(Math.max(0, t.options.deadline - Date.now()));
      t.subtasksExpired++;
      t.finish('FAILED', { code, description });
      return false;
    }
    await pause(opts.faultRetryMs);
    return true;
  };
  const fail = (code: string, description: string) => {
    t.faults++;
    t.subtasksFailed++;
    t.finish('FAILED', { code, description });
  };
  try {
    t.event('STARTED', 'started', JSON.stringify({ type: 'GridFTP Delete' }), false);
    await pause(opts.taskStartDelayMs);
    const o = t.outcome;
    if (o?.type === 'fail') return fail(o.code ?? 'ENDPOINT_ERROR', o.description ?? 'endpoint error (injected by the local server)');
    if (o?.type === 'inactive') {
      t.niceStatus = { code: o.code ?? 'CREDENTIALS_EXPIRED', description: o.description ?? 'credentials expired', details: 'Injected by the local server' };
      t.setStatus('INACTIVE');
      t.event('INACTIVE', 'inactive', t.niceStatus.details ?? '', true);
      await pause(Math.max(0, t.options.deadline - Date.now()));
      t.subtasksExpired++;
      return t.finish('FAILED', { code: t.niceStatus.code, description: t.niceStatus.description });
    }
    if (o?.type === 'faulty') {
      while (t.faults < (o.recoverAfter ?? Infinity)) {
        if (!(await fault(o.code ?? 'CONNECT_FAILED', o.description ?? 'could not connect to the server', 'Injected by the local server'))) return;
      }
      t.niceStatus = null;
    }
    for (const p of t.paths) {
      for (;;) {
        if (t.abort.signal.aborted || t.done) throw new Stopped();
        const local = t.destination.resolve(p);
        let isDir: boolean;
        try {
          isDir = (await fs.lstat(local)).isDirectory();
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            const f = itemError(err, 'destination', p);
            if (!(await fault(f.code, f.description, f.message))) return;
            continue;
          }
          if (!t.deleteOptions.ignoreMissing) return fail('FILE_NOT_FOUND', 'file not found');
          break;
        }
        if (isDir && !t.deleteOptions.recursive) return fail('IS_A_DIRECTORY', `${p} is a directory and the delete is not recursive`);
        try {
          await fs.rm(local, { recursive: isDir, force: false });
          if (isDir) t.dirsSeen.add(p);
          else t.filesSeen.add(p);
          t.deletedPaths.push(p);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
          const f = itemError(err, 'destination', p);
          if (!(await fault(f.code, f.description, f.message))) return;
        }
      }
      t.itemsDone++;
      t.niceStatus = null;
    }
    await pause(opts.taskDelayMs);
    t.finish('SUCCEEDED');
  } catch (err) {
    if (err instanceof Stopped || t.abort.signal.aborted) return;
    t.finish('FAILED', { code: 'ENDPOINT_ERROR', description: (err as Error)?.message ?? String(err) });
  }
}
