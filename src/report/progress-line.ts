import type { Task } from '../globus/schemas.js';
import { formatBytes } from './format-bytes.js';
import type { ScanCounts } from '../scan/events.js';

export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

// Made on first use: building a NumberFormat (ICU) cost about 13 ms of every run's start-up,
// and a run under cron never draws a progress line.
let numberFormat: Intl.NumberFormat | undefined;
/** A whole number with thousands separators: "120,000". */
export function count(n: number): string {
  numberFormat ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  return numberFormat.format(n);
}

/** "scanning: 120,000 entries, 45,000/s, 12 changed" */
export function formatScanProgress(counts: Readonly<Pick<ScanCounts, 'files' | 'dirs' | 'changed'>>, elapsedMs: number): string {
  const entries = counts.files + counts.dirs;
  const rate = elapsedMs > 0 ? `, ${count((entries * 1000) / elapsedMs)}/s` : '';
  return `scanning: ${count(entries)} entries${rate}, ${count(counts.changed)} changed`;
}

export type TaskProgress = Pick<Task, 'task_id' | 'status' | 'files' | 'files_transferred' | 'files_skipped' | 'bytes_transferred'> &
  Partial<Pick<Task, 'nice_status'>>;

/** "task 1f2e3d4c ACTIVE: 1,200/5,000 files, 3.4 GB" (a skipped file counts as done: it will not move). */
export function formatTaskProgress(task: TaskProgress): string {
  const done = task.files_transferred + task.files_skipped;
  const files = task.files > 0 ? `${count(done)}/${count(task.files)} files` : 'counting files';
  const nice = task.nice_status && task.nice_status !== 'Queued' && task.nice_status !== 'OK' ? ` (${task.nice_status})` : '';
  return `task ${task.task_id.slice(0, 8)} ${task.status}${nice}: ${files}, ${formatBytes(task.bytes_transferred)}`;
}

/**
 * One status line redrawn in place with \r. While it is shown, anything else
 * written to the same stream (log lines) first clears it and then gets it
 * redrawn below, so logs and the line never share a row.
 */
export class ProgressLine {
  private text = '';
  private drawn = false;
  private lastDraw = -Infinity;
  private readonly original: ProgressStream['write'];
  private stopped = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly minIntervalMs = 100,
    private readonly clock: () => number = Date.now,
  ) {
    this.original = stream.write;
    const self = this;
    // Instance property, not the prototype: only this stream, and undone by stop().
    stream.write = function (this: unknown, ...args: unknown[]): boolean {
      if (self.drawn) self.erase();
      const ok = (self.original as (...a: unknown[]) => boolean).apply(stream, args);
      if (self.text && endsWithNewline(args[0])) self.draw();
      return ok;
    } as ProgressStream['write'];
  }

  /** Redraws at most every minIntervalMs unless forced; the newest text always wins at the next draw. */
  update(text: string, force = false): void {
    if (this.stopped) return;
    this.text = text;
    const now = this.clock();
    if (!force && now - this.lastDraw < this.minIntervalMs) return;
    this.draw();
  }

  /** Removes the line and gives the stream its own write back. */
  stop(): void {
    if (this.stopped) return;
    if (this.drawn) this.erase();
    this.stopped = true;
    this.text = '';
    this.stream.write = this.original;
  }

  private draw(): void {
    // A pty whose size nobody set reports 0 columns.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const shown = this.text.length > width ? this.text.slice(0, width - 1) + '…' : this.text;
    this.original.call(this.stream, `\r${shown}\x1b[K`);
    this.drawn = true;
    this.lastDraw = this.clock();
  }

  private erase(): void {
    this.original.call(this.stream, '\r\x1b[K');
    this.drawn = false;
  }
}

function endsWithNewline(chunk: unknown): boolean {
  if (typeof chunk === 'string') return chunk.endsWith('\n');
  if (chunk instanceof Uint8Array) return chunk.length > 0 && chunk[chunk.length - 1] === 0x0a;
  return false;
}

/** Only for a person at a terminal: never under cron, systemd or a pipe, never with --quiet. */
/**
 * A line at a terminal unless --quiet. `wanted` is --progress (true: also without a
 * terminal, under `script` or in a CI log, and even with --quiet, since it was asked
 * for by name) or --no-progress (false: never).
 */
export function progressFor(stream: ProgressStream, quiet: boolean | undefined, wanted?: boolean): ProgressLine | null {
  if (wanted !== undefined) return wanted ? new ProgressLine(stream) : null;
  return stream.isTTY === true && !quiet ? new ProgressLine(stream) : null;
}

/** The callbacks runJob takes, drawing on `line`; all no-ops without a line. */
export function runProgress(line: ProgressLine | null, clock: () => number = Date.now) {
  const started = clock();
  return {
    onScanProgress: line ? (counts: Readonly<ScanCounts>) => line.update(formatScanProgress(counts, clock() - started)) : undefined,
    onTaskPoll: line ? (task: Task) => line.update(formatTaskProgress(task), true) : undefined,
  };
}
