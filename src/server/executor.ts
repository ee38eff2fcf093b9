import { filterJudge } from './filter-rules.js';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { copyAtomically, ItemError, itemError, needsCopy } from './copy.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isoSeconds } from './http.js';
import { deleteDestinationExtra } from './destination-extra.js';
import { leavePartialCopies } from './partial.js';
import type { ResolvedOptions } from './options.js';
import type { TaskItem, TransferTask } from './task.js';

/** Thrown inside a task when it was cancelled or the server is closing; never a fault. */
class Stopped extends Error {}

/**
 * Runs one task to its end in the background. Items are processed in order;
 * a skippable source error (with skip_source_errors) is recorded and passed
 * over, any other error is a fault: the item is retried after a pause, with
 * work already done kept, until it succeeds or the deadline passes.
 */
export async function runTask(task: TransferTask, opts: ResolvedOptions): Promise<void> {
  try {
    await new TaskRun(task, opts).run();
  } catch (err) {
    if (err instanceof Stopped || task.abort.signal.aborted) return;
    task.finish('FAILED', { code: 'ENDPOINT_ERROR', description: (err as Error)?.message ?? String(err) });
  }
}

class TaskRun {
  /** Source→destination pairs settled (copied, skipped or recorded as a skipped error), so retries do not count them twice. */
  private readonly settled = new Set<string>();
  private readonly dirsMade = new Set<string>();

  constructor(
    private readonly t: TransferTask,
    private readonly opts: ResolvedOptions,
  ) {}

  async run(): Promise<void> {
    const t = this.t;
    t.event('STARTED', 'started', JSON.stringify({ type: 'GridFTP Transfer', concurrency: 1, parallelism: 1, pipelining: 1 }), false);
    await this.pause(this.opts.taskStartDelayMs);
    if (!(await this.applyOutcomeFault())) return;
    for (const item of t.items) {
      for (;;) {
        this.checkStopped();
        try {
          await this.processItem(item);
          t.itemsDone++;
          t.niceStatus = null;
          break;
        } catch (err) {
          if (err instanceof Stopped || t.abort.signal.aborted) throw new Stopped();
          const f = itemError(err, 'destination', item.destination_path);
          if (f.code === 'QUOTA_EXCEEDED' && t.options.failOnQuotaErrors) {
            t.subtasksFailed++;
            t.faults++;
            this.fail(f.code, f.description);
            return;
          }
          if (!(await this.fault(f.code, f.description, f.message))) return;
        }
      }
    }
    await this.pause(this.opts.taskDelayMs);
    t.finish('SUCCEEDED');
  }

  /** False when the task has ended (forced FAILED, or expired while INACTIVE or faulting). */
  private async applyOutcomeFault(): Promise<boolean> {
    const t = this.t;
    const o = t.outcome;
    if (!o) return true;
    if (o.type === 'fail') {
      t.faults++;
      t.subtasksFailed++;
      this.fail(o.code ?? 'ENDPOINT_ERROR', o.description ?? 'endpoint error (injected by the local server)');
      return false;
    }
    if (o.type === 'inactive') {
      t.niceStatus = { code: o.code ?? 'CREDENTIALS_EXPIRED', description: o.description ?? 'credentials expired', details: 'Injected by the local server: the task is paused until its deadline' };
      t.setStatus('INACTIVE');
      t.event('INACTIVE', 'inactive', t.niceStatus.details ?? '', true);
      await this.pause(Math.max(0, t.options.deadline - Date.now()));
      this.expire(t.niceStatus.code, t.niceStatus.description);
      return false;
    }
    const limit = o.recoverAfter ?? Infinity;
    while (t.faults < limit) {
      if (!(await this.fault(o.code ?? 'CONNECT_FAILED', o.description ?? 'could not connect to the server', 'Injected by the local server'))) return false;
    }
    t.niceStatus = null;
    return true;
  }

  /** Count one fault, show it in nice_status, and wait before the retry. False when the deadline has passed. */
  private async fault(code: string, description: string, details: string): Promise<boolean> {
    const t = this.t;
    t.faults++;
    t.niceStatus = { code, description, details };
    t.event(code, description, details, true);
    if (Date.now() + this.opts.faultRetryMs >= t.options.deadline) {
      await this.pause(Math.max(0, t.options.deadline - Date.now()));
      this.expire(code, description);
      return false;
    }
    await this.pause(this.opts.faultRetryMs);
    return true;
  }

  private expire(code: string, description: string): void {
    this.t.subtasksExpired++;
    this.fail(code, description);
  }

  /** Ends the task FAILED, leaving the truncated copies an interrupted in-place write leaves (partial.ts). */
  private fail(code: string, description: string): void {
    leavePartialCopies(this.t, this.settled, pair);
    this.t.finish('FAILED', { code, description });
  }

  private async processItem(item: TaskItem): Promise<void> {
    const t = this.t;
    const src = t.source.resolve(item.source_path);
    const dst = t.destination.resolve(item.destination_path);
    let st: Stats;
    try {
      st = await fs.lstat(src);
    } catch (err) {
      if (!item.recursive) t.filesSeen.add(pair(item.source_path, item.destination_path));
      this.entryError(err, item.source_path, item.destination_path, item.recursive, 'source');
      return;
    }
    // recursive_symlinks "ignore": a symlink is neither followed nor copied.
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      if (!item.recursive) throw new ItemError('IS_A_DIRECTORY', 'is a directory', 'source', `source ${item.source_path} is a directory but the item is not recursive`);
      await this.walk(src, dst, item.source_path, item.destination_path);
      return;
    }
    if (!st.isFile()) return;
    if (item.recursive) throw new ItemError('NOT_A_DIRECTORY', 'not a directory', 'source', `source ${item.source_path} is a file but the item is recursive`);
    await this.file(src, dst, item.source_path, item.destination_path, st);
  }

  private filterCache?: (name: string, type: 'file' | 'dir') => boolean;

  private included(name: string, type: 'file' | 'dir'): boolean {
    this.filterCache ??= filterJudge(this.t.options.filterRules ?? []);
    return this.filterCache(name, type);
  }

  private async walk(src: string, dst: string, srcPath: string, dstPath: string): Promise<void> {
    const t = this.t;
    t.dirsSeen.add(pair(srcPath, dstPath));
    if (!this.dirsMade.has(pair(srcPath, dstPath))) {
      try {
        await fs.mkdir(dst, { recursive: true });
      } catch (err) {
        throw itemError(err, 'destination', dstPath);
      }
      this.dirsMade.add(pair(srcPath, dstPath));
      t.dirsDone++;
    }
    let entries;
    try {
      entries = await fs.readdir(src, { withFileTypes: true });
    } catch (err) {
      this.entryError(err, srcPath, dstPath, true, 'source');
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (t.options.deleteDestinationExtra) {
      try {
        await deleteDestinationExtra(entries, dst);
      } catch (err) {
        throw itemError(err, 'destination', dstPath);
      }
    }
    for (const e of entries) {
      this.checkStopped();
      // filter_rules: an excluded directory is not walked, so nothing in it is transferred.
      if ((e.isDirectory() || e.isFile()) && !this.included(e.name, e.isDirectory() ? 'dir' : 'file')) continue;
      const s = path.join(src, e.name);
      const d = path.join(dst, e.name);
      const sp = path.posix.join(srcPath, e.name);
      const dp = path.posix.join(dstPath, e.name);
      if (e.isDirectory()) await this.walk(s, d, sp, dp);
      else if (e.isFile()) {
        if (this.settled.has(pair(sp, dp))) continue;
        t.filesSeen.add(pair(sp, dp));
        let st: Stats;
        try {
          st = await fs.lstat(s);
        } catch (err) {
          this.entryError(err, sp, dp, false, 'source');
          continue;
        }
        await this.file(s, d, sp, dp, st);
      }
      // symlinks and special files are ignored, as with recursive_symlinks "ignore"
    }
  }

  private async file(src: string, dst: string, srcPath: string, dstPath: string, st: Stats): Promise<void> {
    const t = this.t;
    if (this.settled.has(pair(srcPath, dstPath))) return;
    t.filesSeen.add(pair(srcPath, dstPath));
    if (t.sourceDenied(srcPath)) {
      this.entryError(Object.assign(new Error('permission denied (injected by the local server)'), { code: 'EACCES' }), srcPath, dstPath, false, 'source');
      return;
    }
    try {
      if (!(await needsCopy(src, st, dst, t.options.syncLevel, this.opts.mtimePrecision))) {
        t.filesSkipped++;
      } else {
        const r = await copyAtomically(src, dst, {
          preserveTimestamp: t.options.preserveTimestamp,
          verifyChecksum: t.options.verifyChecksum,
          precision: this.opts.mtimePrecision,
          signal: t.abort.signal,
          srcPath,
          dstPath,
        });
        t.filesTransferred++;
        t.bytesTransferred += r.bytes;
        t.bytesChecksummed += r.checksummed;
        t.successful.push({ source_path: srcPath, destination_path: dstPath, size: r.bytes, checksum: r.checksum });
      }
    } catch (err) {
      if (t.abort.signal.aborted) throw new Stopped();
      const gone = await fs.access(src).then(() => false, () => true);
      this.entryError(err, srcPath, dstPath, false, gone ? 'source' : 'destination');
      return;
    }
    t.filesDone++;
    this.settled.add(pair(srcPath, dstPath));
  }

  /**
   * A skippable source error is recorded when skip_source_errors is on
   * (task_behavior, Skippable Errors). Without it, a source file that is not
   * there is a fault like any other: the task stays ACTIVE, faults rise, the
   * subtask stays pending and is retried until the deadline, as real
   * `globus task show` output shows (globus-cli issue 1056; Parsl issue 436).
   * (task_get_failed.json records a DELETE task and says nothing about this.)
   */
  private entryError(err: unknown, srcPath: string, dstPath: string, isDirectory: boolean, side: 'source' | 'destination'): void {
    const t = this.t;
    const f = itemError(err, side, side === 'source' ? srcPath : dstPath);
    if (!(f.skippable && t.options.skipSourceErrors)) throw f;
    if (this.settled.has(pair(srcPath, dstPath))) return;
    this.settled.add(pair(srcPath, dstPath));
    t.skipped.push({
      DATA_TYPE: 'skipped_error',
      checksum_algorithm: null,
      destination_path: dstPath,
      error_code: f.code,
      error_details: f.message,
      error_time: isoSeconds(Date.now()),
      external_checksum: null,
      is_delete_destination_extra: false,
      is_directory: isDirectory,
      is_symlink: false,
      source_path: srcPath,
    });
  }

  private async pause(ms: number): Promise<void> {
    if (ms <= 0) return this.checkStopped();
    try {
      await sleep(ms, undefined, { signal: this.t.abort.signal });
    } catch {
      throw new Stopped();
    }
  }

  private checkStopped(): void {
    if (this.t.abort.signal.aborted || this.t.done) throw new Stopped();
  }
}

/** The same source may go to several destinations in one task; each pair is its own file. */
const pair = (srcPath: string, dstPath: string) => `${srcPath}\0${dstPath}`;
