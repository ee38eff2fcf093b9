import { setTimeout as sleep } from 'node:timers/promises';
import type { Task } from '../globus/schemas.js';
import type { SyncRemote } from './remote.js';

export interface WaitOptions {
  /** Give up after this long; the task stays recorded and the next run settles it. */
  timeoutMs?: number;
  /** First poll interval; it doubles up to maxIntervalMs, as the Globus CLI's task wait does. */
  intervalMs?: number;
  maxIntervalMs?: number;
  onPoll?(task: Task): void;
  /** Once, before the first poll: the caller now waits (the run command stops a wait, not the run, on Ctrl-C from then on). */
  onStart?(): void;
  signal?: AbortSignal;
}

/**
 * Polls until the task is SUCCEEDED or FAILED, or INACTIVE: that one waits for a
 * person (expired collection credentials) and could hold a --wait for days.
 * null when the timeout or the signal came first.
 */
export async function waitForTask(remote: Pick<SyncRemote, 'getTask'>, taskId: string, opts: WaitOptions = {}): Promise<Task | null> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let interval = opts.intervalMs ?? 500;
  const max = opts.maxIntervalMs ?? 15_000;
  opts.onStart?.();
  for (;;) {
    const task = await remote.getTask(taskId);
    opts.onPoll?.(task);
    if (task.status !== 'ACTIVE') return task;
    const left = deadline - Date.now();
    if (left <= 0 || opts.signal?.aborted) return null;
    // An abort ends the pause early; the loop then returns null.
    await sleep(Math.min(interval, left), undefined, { signal: opts.signal }).catch(() => {});
    interval = Math.min(interval * 2, max);
  }
}
