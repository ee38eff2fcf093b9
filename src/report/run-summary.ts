import type { RunJobResult } from '../sync/run-job.js';
import { formatBytes } from './format-bytes.js';

/** One line a person reads after a run: printed by `gsync run`, logged by watch, shown by the demo. */
export function summaryLine(r: RunJobResult): string {
  return transferPart(r) + deletesPart(r);
}

/** Deletes are news only when there were some: with deletes.enabled off this is always empty. */
function deletesPart(r: RunJobResult): string {
  const d = r.deletes;
  const parts: string[] = [];
  if (d.submitted) parts.push(`delete task ${d.submitted.taskId}: ${count(d.submitted.paths, 'path')}`);
  if (d.deletedPaths > 0) parts.push(`${count(d.deletedPaths, 'path')} deleted at the destination`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

function transferPart(r: RunJobResult): string {
  const what = `${count(r.files, 'file')} (${formatBytes(r.bytes)}) in ${count(r.items, 'item')}`;
  const problems = r.reconciled.problems.length ? `; ${r.reconciled.problems.join('; ')}` : '';
  switch (r.result) {
    case 'nothing-to-do':
    case 'problems':
      return r.taskId === null ? `nothing to ship${deferred(r)}${problems}` : `task ${r.taskId}: ${what}${problems}`;
    case 'held':
      return `nothing submitted: ${count(r.files, 'file')} stay owed while this job's tasks are still open (transfer.maxOpenTasks)${deferred(r)}`;
    case 'submitted':
      if (r.taskId === null) return `nothing to ship${deferred(r)}`;
      return `submitted ${tasksOf(r)}: ${what}${deferred(r)}`;
    case 'succeeded':
      if (r.taskId === null) return `nothing to ship${deferred(r)}`;
      return `${tasksOf(r)} SUCCEEDED: ${what}${deferred(r)}`;
    case 'failed':
      return `task ${r.taskId} FAILED: its ${count(r.files, 'file')} will ship again${problems}`;
    case 'still-active':
      return `task ${r.taskId} still ACTIVE; the next run will reconcile it`;
  }
}

/** "task X", or "tasks X (repair, checksum), Y" when partial copies are being repaired apart. */
const tasksOf = (r: RunJobResult) =>
  r.tasks.length <= 1 ? `task ${r.taskId}` : `tasks ${r.tasks.map((t) => (t.repair ? `${t.taskId} (repair, checksum)` : t.taskId)).join(', ')}`;

const deferred = (r: RunJobResult) => (r.plan.deferred ? `; ${count(r.plan.deferred, 'file')} modified too recently wait for the next run` : '');

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
