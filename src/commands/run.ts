import { progressFor, runProgress } from '../progress/progress-line.js';
import { runJob, type RunJobResult } from '../sync/run-job.js';
import { loadJob, type CommandContext } from './context.js';
import { planCommand } from './plan.js';

export interface RunCommandOptions {
  wait?: boolean;
  timeout?: number;
  dryRun?: boolean;
}

export async function runCommand(opts: RunCommandOptions, ctx: CommandContext): Promise<number> {
  // A dry run is exactly a plan: read-only, no lock, no Globus.
  if (opts.dryRun) return planCommand({}, ctx);
  const { config, logger } = loadJob(ctx);
  const line = progressFor(process.stderr, ctx.global.quiet);
  let result: RunJobResult;
  try {
    result = await runJob({ config, logger, env: ctx.env, wait: opts.wait, timeoutSeconds: opts.timeout, ...runProgress(line) });
  } finally {
    line?.stop();
  }
  // Cron mails whatever a job prints, so --quiet prints nothing here; the exit code carries the news.
  if (!ctx.global.quiet) ctx.out.write(summaryLine(result) + '\n');
  return result.exitCode;
}

export function summaryLine(r: RunJobResult): string {
  const what = `${r.files} files (${formatBytes(r.bytes)}) in ${r.items} items`;
  const problems = r.reconciled.problems.length ? `; ${r.reconciled.problems.join('; ')}` : '';
  switch (r.result) {
    case 'nothing-to-do':
    case 'problems':
      return r.taskId === null ? `nothing to ship${deferred(r)}${problems}` : `task ${r.taskId}: ${what}${problems}`;
    case 'submitted':
      return `submitted task ${r.taskId}: ${what}${deferred(r)}`;
    case 'succeeded':
      return `task ${r.taskId} SUCCEEDED: ${what}${deferred(r)}`;
    case 'failed':
      return `task ${r.taskId} FAILED: its ${r.files} files will ship again${problems}`;
    case 'still-active':
      return `task ${r.taskId} still ACTIVE; the next run will reconcile it`;
  }
}

const deferred = (r: RunJobResult) => (r.plan.deferred ? `; ${r.plan.deferred} files modified too recently wait for the next run` : '');

export function formatBytes(n: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
