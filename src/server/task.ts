import type { FilterRule } from './filter-rules.js';
import { EventEmitter } from 'node:events';
import { isoSeconds } from './http.js';
import type { Collection } from './collections.js';
import type { TaskOutcomeFault } from './faults.js';

export type TaskStatus = 'ACTIVE' | 'INACTIVE' | 'SUCCEEDED' | 'FAILED';

export interface TaskItem {
  source_path: string;
  destination_path: string;
  recursive: boolean;
}

export interface TaskOptions {
  label: string | null;
  /** 0 exists, 1 size, 2 mtime, 3 checksum; null copies everything. */
  syncLevel: 0 | 1 | 2 | 3 | null;
  verifyChecksum: boolean;
  preserveTimestamp: boolean;
  encryptData: boolean;
  skipSourceErrors: boolean;
  failOnQuotaErrors: boolean;
  deleteDestinationExtra: boolean;
  /** Applied to what recursive items meet (filter-rules.ts); empty: everything. */
  filterRules?: FilterRule[];
  deadline: number;
}

export interface SkippedErrorDocument {
  DATA_TYPE: 'skipped_error';
  checksum_algorithm: null;
  destination_path: string;
  error_code: string;
  error_details: string;
  error_time: string;
  external_checksum: null;
  is_delete_destination_extra: false;
  is_directory: boolean;
  is_symlink: boolean;
  source_path: string;
}

/** One successful_transfer entry; size and checksum as the JS SDK's types list them (issue 28, 11). */
export interface SuccessfulTransfer {
  source_path: string;
  destination_path: string;
  size: number;
  /** MD5 when verify_checksum checked it, else null. */
  checksum: string | null;
}

export interface TaskEvent {
  code: string;
  description: string;
  details: string;
  is_error: boolean;
  time: number;
}

export interface NiceStatus {
  code: string;
  description: string;
  details: string | null;
}

/** One transfer task: what was asked, and honest counters of what happened. */
export class TransferTask extends EventEmitter {
  status: TaskStatus = 'ACTIVE';
  completionTime: number | null = null;
  fatalError: { code: string; description: string } | null = null;
  /** Set while the task is queued, faulting or INACTIVE; null when all is well. */
  niceStatus: NiceStatus | null = null;
  faults = 0;
  /** Distinct source→destination file and directory pairs met so far. */
  readonly filesSeen = new Set<string>();
  readonly dirsSeen = new Set<string>();
  /*
   * The counters follow the task document's fields (docs.globus.org/api/transfer/task,
   * "Task Fields"; recorded in test/fixtures/globus/task_get_succeeded.json):
   * files_transferred and bytes_transferred count only what was copied;
   * files_skipped counts files not copied because sync_level found the destination
   * up to date (task_submit, sync_level); a path skipped with an error is neither,
   * it is counted by subtasks_skipped_errors and listed by /task/<id>/skipped_errors.
   * `files` counts every file met, whichever of these it became.
   */
  filesTransferred = 0;
  filesSkipped = 0;
  bytesTransferred = 0;
  bytesChecksummed = 0;
  itemsDone = 0;
  dirsDone = 0;
  filesDone = 0;
  subtasksFailed = 0;
  subtasksExpired = 0;
  subtasksCanceled = 0;
  readonly successful: SuccessfulTransfer[] = [];
  readonly skipped: SkippedErrorDocument[] = [];
  readonly events: TaskEvent[] = [];
  readonly abort = new AbortController();
  /**
   * task docs: "Detailed per-file status, errors, and information events are
   * retained for 30 days and then deleted. When this happens, the
   * history_deleted flag will be set on the task document." Tests set it with
   * deleteHistory(); the counters stay, the per-file lists answer empty.
   */
  historyDeleted = false;
  private skippedCountAfterDeletion = 0;

  constructor(
    readonly id: string,
    readonly submissionId: string,
    readonly source: Collection,
    readonly destination: Collection,
    readonly items: TaskItem[],
    readonly options: TaskOptions,
    readonly requestTime: number,
    readonly ownerId: string,
    readonly outcome: TaskOutcomeFault | undefined,
    /** Source paths the server cannot read now (Faults.denySource). */
    readonly sourceDenied: (collectionPath: string) => boolean = () => false,
  ) {
    super();
  }

  /** What 30 days do to a task's history: skipped_errors, successful_transfers and event_list become empty. */
  deleteHistory(): void {
    this.historyDeleted = true;
    this.skippedCountAfterDeletion = this.skipped.length;
    this.successful.length = 0;
    this.skipped.length = 0;
    this.events.length = 0;
  }

  get done(): boolean {
    return this.status === 'SUCCEEDED' || this.status === 'FAILED';
  }

  event(code: string, description: string, details: string, isError: boolean): void {
    this.events.push({ code, description, details, is_error: isError, time: Date.now() });
  }

  finish(status: 'SUCCEEDED' | 'FAILED', fatal?: { code: string; description: string }): void {
    if (this.done) return;
    this.status = status;
    this.completionTime = Date.now();
    this.fatalError = fatal ?? null;
    this.niceStatus = null;
    // task_event_list.yaml (a cancelled transfer): the cancel is logged as event CANCELED, not FAILED.
    if (fatal?.code === 'CANCELED') this.event('CANCELED', 'canceled', 'Canceled by the task owner', true);
    else this.event(status, status.toLowerCase(), fatal ? `${fatal.code}: ${fatal.description}` : 'The task completed successfully', status === 'FAILED');
    this.emit('status', status);
  }

  setStatus(status: 'ACTIVE' | 'INACTIVE'): void {
    this.status = status;
    this.emit('status', status);
  }

  /** The task document, with the key set of task_get_active.json / task_get_succeeded.json. */
  document(): Record<string, unknown> {
    const o = this.options;
    const now = this.completionTime ?? Date.now();
    const elapsed = Math.max(1, (now - this.requestTime) / 1000);
    const skippedErrors = this.historyDeleted ? this.skippedCountAfterDeletion : this.skipped.length;
    const total = this.items.length + this.filesSeen.size + this.dirsSeen.size;
    const settled = this.itemsDone + this.filesDone + this.dirsDone + this.subtasksFailed + this.subtasksExpired + this.subtasksCanceled + skippedErrors;
    const active = !this.done;
    // A queued task is waiting its turn, not faulting (task_behavior, Queuing).
    const faulting = active && this.niceStatus !== null && this.niceStatus.code !== 'Queued';
    return {
      DATA_TYPE: 'task',
      bytes_checksummed: this.bytesChecksummed,
      bytes_transferred: this.bytesTransferred,
      canceled_by_admin: null,
      canceled_by_admin_message: null,
      command: 'API 0.10',
      completion_time: this.completionTime === null ? null : isoSeconds(this.completionTime),
      deadline: isoSeconds(o.deadline),
      delete_destination_extra: o.deleteDestinationExtra,
      destination_endpoint: this.destination.id,
      destination_endpoint_display_name: this.destination.displayName,
      destination_endpoint_id: this.destination.id,
      directories: this.dirsSeen.size,
      effective_bytes_per_second: Math.floor(this.bytesTransferred / elapsed),
      encrypt_data: o.encryptData,
      fail_on_quota_errors: o.failOnQuotaErrors,
      fatal_error: this.fatalError,
      faults: this.faults,
      files: this.filesSeen.size,
      files_skipped: this.filesSkipped,
      files_transferred: this.filesTransferred,
      filter_rules: o.filterRules?.length ? o.filterRules.map((r) => ({ DATA_TYPE: 'filter_rule', ...r })) : null,
      history_deleted: this.historyDeleted,
      is_ok: active ? !faulting : null,
      is_paused: false,
      label: o.label,
      nice_status: active ? (this.niceStatus?.code ?? 'OK') : null,
      nice_status_details: active ? (this.niceStatus?.details ?? null) : null,
      nice_status_expires_in: active ? -1 : null,
      nice_status_short_description: active ? (this.niceStatus?.description ?? 'OK') : null,
      owner_id: this.ownerId,
      preserve_timestamp: o.preserveTimestamp,
      recursive_symlinks: 'ignore',
      request_time: isoSeconds(this.requestTime),
      skip_source_errors: o.skipSourceErrors,
      source_endpoint: this.source.id,
      source_endpoint_display_name: this.source.displayName,
      source_endpoint_id: this.source.id,
      status: this.status,
      subtasks_canceled: this.subtasksCanceled,
      subtasks_expired: this.subtasksExpired,
      subtasks_failed: this.subtasksFailed,
      // A finished task has nothing pending (task_get_failed.json, task_get_succeeded.json: 0).
      subtasks_pending: active ? Math.max(0, total - settled) : 0,
      subtasks_retrying: faulting ? 1 : 0,
      subtasks_skipped_errors: skippedErrors,
      subtasks_succeeded: this.itemsDone + this.filesDone + this.dirsDone,
      subtasks_total: Math.max(total, settled),
      symlinks: 0,
      sync_level: o.syncLevel,
      task_id: this.id,
      type: 'TRANSFER',
      username: 'gsync-local',
      verify_checksum: o.verifyChecksum,
    };
  }
}
