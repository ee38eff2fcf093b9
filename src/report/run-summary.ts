import type { Delivery } from '../sync/delivery.js';
import type { DeleteStepResult, RunJobResult } from '../sync/run-options.js';
import { formatBytes } from './format-bytes.js';

/**
 * What a person reads after a run: printed by `gsync run`, logged by watch, shown
 * by the demo. One line; when Globus skipped paths that still exist locally, a
 * second line with the hint (stdout carries it, cron mails it).
 */
/** The slice of a run's outcome the summary reads. */
export interface SummaryInput extends Pick<RunJobResult, 'result' | 'taskId' | 'tasks' | 'items' | 'files' | 'bytes' | 'delivery'> {
  plan: { deferred: number };
  settled: Pick<RunJobResult['settled'], 'problems' | 'deliveries'>;
  deletes: Pick<DeleteStepResult, 'submitted' | 'deletedPaths'>;
  reconcile?: Pick<RunJobResult['reconcile'], 'succeeded' | 'restored' | 'submitted'>;
}

export function summaryLine(r: SummaryInput): string {
  const line = transferPart(r) + deletesPart(r) + reconcilePart(r);
  const hint = [r.delivery, ...r.settled.deliveries].find((d) => d?.hint)?.hint;
  return hint ? `${line}\nhint: ${hint}` : line;
}

/** Deletes are news only when there were some: with deletes.enabled off this is always empty. */
function deletesPart(r: SummaryInput): string {
  const d = r.deletes;
  const parts: string[] = [];
  if (d.submitted) parts.push(`delete task ${d.submitted.taskId}: ${count(d.submitted.paths, 'path')}`);
  if (d.deletedPaths > 0) parts.push(`${count(d.deletedPaths, 'path')} deleted at the destination`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

/** Reconcile runs (issue 27): a SUCCEEDED one always says how many files it restored, 0 included. */
function reconcilePart(r: SummaryInput): string {
  const c = r.reconcile;
  if (c === undefined) return '';
  const parts: string[] = [];
  if (c.succeeded > 0) parts.push(`reconcile: ${count(c.restored, 'file')} restored at the destination`);
  else if (c.submitted) parts.push(`reconcile task ${c.submitted.taskId} submitted`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

function transferPart(r: SummaryInput): string {
  const what = `${count(r.files, 'file')} (${formatBytes(r.bytes)}) in ${count(r.items, 'item')}`;
  const settled = settledEarlier(r);
  const problems = [...r.settled.problems, ...settled];
  const news = problems.length ? `; ${problems.join('; ')}` : '';
  // The task was waited for and SUCCEEDED: say what Globus delivered, not what was asked.
  if (r.delivery) return `task ${r.taskId} SUCCEEDED: ${deliveryText(r.delivery)}${deferred(r)}${news}`;
  switch (r.result) {
    case 'nothing-to-do':
    case 'problems':
      if (r.taskId !== null) return `task ${r.taskId}: ${what}${news}`;
      // What an earlier task delivered leads: "nothing to ship" alone would hide the files it shipped (issue 31.6).
      if (settled.length) return `${[...settled, 'nothing new to ship'].join('; ')}${deferred(r)}${problemsOnly(r)}`;
      return `nothing to ship${deferred(r)}${news}`;
    case 'held':
      return `nothing submitted: ${count(r.files, 'file')} stay owed while this job's tasks are still open (transfer.maxOpenTasks)${deferred(r)}${news}`;
    case 'submitted':
      if (r.taskId === null) return `nothing to ship${deferred(r)}${news}`;
      return `submitted ${tasksOf(r)}: ${what}${deferred(r)}${news}`;
    case 'succeeded':
      if (r.taskId === null) return `nothing to ship${deferred(r)}`;
      return `${tasksOf(r)} SUCCEEDED: ${what}${deferred(r)}`;
    case 'failed':
      return `task ${r.taskId} FAILED: its ${count(r.files, 'file')} will ship again${news}`;
    case 'still-active':
      return `task ${r.taskId} still ACTIVE; the next run will settle it`;
  }
}

/** "0 of 3 files delivered (0 B); 1 item skipped by Globus (FILE_NOT_FOUND /data/run1/)". */
export function deliveryText(d: Delivery): string {
  const parts = [`${d.filesTransferred} of ${count(d.filesAsked, 'file')} delivered (${formatBytes(d.bytesTransferred)})`];
  if (d.filesUpToDate > 0) parts.push(`${d.filesUpToDate} already up to date`);
  if (d.owed > 0) parts.push(`${count(d.owed, 'item')} skipped by Globus (${sample(d.owedSample, d.owed)})`);
  if (d.vanished > 0) parts.push(`${count(d.vanished, 'item')} gone from the source since the scan (${sample(d.vanishedSample, d.vanished)})`);
  return parts.join('; ');
}

/** Tasks settled SUCCEEDED in this run other than its own waited-for one (earlier runs', a repair task's): what each delivered. */
function settledEarlier(r: SummaryInput): string[] {
  return r.settled.deliveries.map((d) => `settled task ${d.taskId}: ${deliveryText(d)}`);
}

const problemsOnly = (r: SummaryInput) => (r.settled.problems.length ? `; ${r.settled.problems.join('; ')}` : '');

function sample(s: ReadonlyArray<{ code: string; path: string }>, total: number): string {
  const named = s.map((x) => `${x.code} ${x.path}`).join(', ');
  return total > s.length ? `${named}, and ${total - s.length} more` : named;
}
/** "task X", or "tasks X (repair, checksum), Y" when partial copies are being repaired apart. */
const tasksOf = (r: SummaryInput) =>
  r.tasks.length <= 1 ? `task ${r.taskId}` : `tasks ${r.tasks.map((t) => (t.repair ? `${t.taskId} (repair, checksum)` : t.taskId)).join(', ')}`;

const deferred = (r: SummaryInput) => (r.plan.deferred ? `; ${count(r.plan.deferred, 'file')} modified too recently wait for the next run` : '');

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * What `gsync run --wait` left when Ctrl-C stopped its wait (issue 31.6):
 * "interrupted: task X (2 files, 2.0 kB) was submitted and is still open; the next run will settle it".
 */
export function interruptedLine(r: Pick<RunJobResult, 'tasks' | 'delivery' | 'settled' | 'deletes' | 'reconcile'>): string {
  const ended = new Set([r.delivery, ...r.settled.deliveries].map((d) => d?.taskId));
  const endedBadly = (id: string) => r.settled.problems.some((p) => p.includes(id));
  const open = r.tasks.filter((t) => !ended.has(t.taskId) && !endedBadly(t.taskId)).map((t) => `task ${t.taskId} (${count(t.files, 'file')}, ${formatBytes(t.bytes)})`);
  const del = r.deletes.submitted;
  if (del && r.deletes.stillOpen) open.push(`delete task ${del.taskId} (${count(del.paths, 'path')})`);
  if (r.reconcile.submitted && r.reconcile.stillOpen) open.push(`reconcile task ${r.reconcile.submitted.taskId}`);
  if (open.length === 0) return 'interrupted: no task of this run is left open';
  return `interrupted: ${open.join(', ')} ${open.length === 1 ? 'was' : 'were'} submitted and ${open.length === 1 ? 'is' : 'are'} still open; the next run will settle ${open.length === 1 ? 'it' : 'them'}`;
}
