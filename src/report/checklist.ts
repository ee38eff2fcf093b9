import { failures, subjectOf, type CheckResult } from '../checks/result.js';
import { firstLine } from './text.js';

/** `ok   <what> <detail>`, `FAIL <what>: <problem> -> <what to do>` or `skip <what>: <why>`. */
export function formatCheck(r: CheckResult): string {
  const subject = subjectOf(r);
  if (r.status === 'ok') return `ok   ${subject} ${r.detail}`;
  if (r.status === 'skip') return `skip ${subject}: ${r.why}`;
  return `FAIL ${subject}: ${firstLine(r.problem)}${r.hint ? ` -> ${r.hint}` : ''}`;
}

/**
 * The checklist's last line says whether the job can be left to cron (or a
 * timer): every check passed, or which failed and how many were not run.
 */
export function checklistSummary(results: CheckResult[]): string {
  const failed = failures(results);
  if (failed.length === 0) return `all ${results.length} checks passed: this job is ready for cron`;
  const names = [...new Set(failed.map((f) => f.check))].join(', ');
  const skipped = results.filter((r) => r.status === 'skip').length;
  return `${failed.length} of ${results.length} checks failed (${names})${skipped ? `, ${skipped} skipped` : ''}: not ready for cron`;
}
