import { DeleteTask, runDeleteTask } from './delete-task.js';
import { runTask } from './executor.js';
import type { ResolvedOptions } from './options.js';
import type { TaskStatus, TransferTask } from './task.js';

/** Every task the server accepted, in submission order, for routes and for tests. */
export class TaskRegistry {
  private readonly byId = new Map<string, TransferTask>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly opts: ResolvedOptions) {}

  start(task: TransferTask): void {
    this.byId.set(task.id, task);
    const p = (task instanceof DeleteTask ? runDeleteTask(task, this.opts) : runTask(task, this.opts)).finally(() => this.running.delete(p));
    this.running.add(p);
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
    for (const t of this.byId.values()) if (!t.done) t.abort.abort(new Error('server closing'));
    await Promise.allSettled([...this.running]);
  }
}
