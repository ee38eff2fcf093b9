import { DeleteTask, runDeleteTask } from './delete-task.js';
import { runTask } from './executor.js';
import type { ResolvedOptions } from './options.js';
import type { NiceStatus, TaskStatus, TransferTask } from './task.js';

/**
 * task_behavior, Queuing: "The Transfer backend will only work on 3 transfer
 * tasks and 3 delete tasks per user at a time. Additional tasks will be queued
 * until other tasks stop working due to completion, pausing, or backing off
 * from an error", and a queued task's nice_status is "Queued". Transfers and
 * deletes have slots of their own (issue 28, 7). Here a slot frees only when a
 * task ends (the stricter reading: pausing or backing off keeps it).
 */
export const RUNNING_PER_USER = 3;
// submit_delete_queued.yaml: a queued task shows nice_status "Queued" and no details.
const QUEUED: NiceStatus = { code: 'Queued', description: 'Queued', details: null };

/** The slots a task waits for: its owner's, of its own kind. */
const slotKey = (task: TransferTask) => `${task.ownerId}/${kindOf(task)}`;
const kindOf = (task: TransferTask) => (task instanceof DeleteTask ? 'delete' : 'transfer');

/** Every task the server accepted, in submission order, for routes and for tests. */
export class TaskRegistry {
  private readonly byId = new Map<string, TransferTask>();
  private readonly running = new Set<Promise<void>>();
  /** Tasks working now, per owner and kind (slotKey), and tasks waiting for a slot. */
  private readonly working = new Map<string, Set<TransferTask>>();
  private readonly queued: TransferTask[] = [];

  constructor(private readonly opts: ResolvedOptions) {}

  start(task: TransferTask): void {
    this.byId.set(task.id, task);
    const key = slotKey(task);
    const mine = this.working.get(key) ?? new Set();
    this.working.set(key, mine);
    if (mine.size >= RUNNING_PER_USER) {
      task.niceStatus = QUEUED;
      this.queued.push(task);
      return;
    }
    this.launch(task, mine);
  }

  private launch(task: TransferTask, mine: Set<TransferTask>): void {
    mine.add(task);
    const p = (task instanceof DeleteTask ? runDeleteTask(task, this.opts) : runTask(task, this.opts)).finally(() => {
      this.running.delete(p);
      mine.delete(task);
      this.next(slotKey(task));
    });
    this.running.add(p);
  }

  /** A slot freed: the oldest queued task of that owner and kind that is still open starts. */
  private next(key: string): void {
    const i = this.queued.findIndex((t) => slotKey(t) === key);
    if (i < 0) return;
    const [task] = this.queued.splice(i, 1);
    if (task!.done) return this.next(key); // cancelled while queued
    task!.niceStatus = null;
    this.launch(task!, this.working.get(key)!);
  }

  get(id: string): TransferTask | undefined {
    return this.byId.get(id.toLowerCase());
  }

  list(): TransferTask[] {
    return [...this.byId.values()];
  }

  /** Resolves when the task reaches one of `statuses` (default: SUCCEEDED or FAILED); rejects after `timeoutMs`. */
  waitFor(id: string, statuses: TaskStatus[] = ['SUCCEEDED', 'FAILED'], timeoutMs = 20_000): Promise<TransferTask> {
    const t = this.get(id);
    if (!t) return Promise.reject(new Error(`no task ${id}`));
    if (statuses.includes(t.status)) return Promise.resolve(t);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        t.off('status', onStatus);
        reject(new Error(`task ${id} is still ${t.status} after ${timeoutMs} ms`));
      }, timeoutMs);
      const onStatus = (s: TaskStatus) => {
        if (!statuses.includes(s)) return;
        clearTimeout(timer);
        t.off('status', onStatus);
        resolve(t);
      };
      t.on('status', onStatus);
    });
  }

  /** Stops every task still running and waits until none touches the disk any more. */
  async stopAll(): Promise<void> {
    this.queued.length = 0;
    for (const t of this.byId.values()) if (!t.done) t.abort.abort(new Error('server closing'));
    await Promise.allSettled([...this.running]);
  }
}
