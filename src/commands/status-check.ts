import { loadConfig } from '../config/load.js';
import { readHealthFacts } from '../health/facts.js';
import { CHECK, DEFAULT_TASK_AGES, evaluateHealth, parseDuration, type CheckThresholds } from '../health/verdict.js';
import { openExistingState } from '../state/open.js';
import type { CommandContext } from './context.js';

export interface StatusCheckOptions {
  warning?: string;
  critical?: string;
  taskWarning?: string;
  taskCritical?: string;
}

/**
 * `gsync status --check`: one line and a Monitoring Plugins exit code (0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN) for Nagios, Icinga or Checkmk. Reads the
 * state database only: no Globus call, no log file, nothing written, so a
 * monitoring agent may run it every minute. Every failure to judge is UNKNOWN.
 */
export async function statusCheckCommand(opts: StatusCheckOptions, ctx: CommandContext, nowNs = BigInt(Date.now()) * 1_000_000n): Promise<number> {
  const say = (line: string, code: number) => {
    ctx.out.write(line + '\n');
    return code;
  };
  const thresholds: CheckThresholds = { ...DEFAULT_TASK_AGES };
  for (const [flag, option, key] of [
    ['--warning', 'warning', 'warningAge'],
    ['--critical', 'critical', 'criticalAge'],
    ['--task-warning', 'taskWarning', 'taskWarningAge'],
    ['--task-critical', 'taskCritical', 'taskCriticalAge'],
  ] as const) {
    const text = opts[option];
    if (text === undefined) continue;
    const seconds = parseDuration(text);
    if (seconds === undefined) return say(`GSYNC UNKNOWN - ${flag} ${JSON.stringify(text)} is not a duration (e.g. 900, 15m, 2h, 1d)`, CHECK.unknown);
    thresholds[key] = seconds;
  }
  try {
    const config = loadConfig(ctx.global.config, ctx.env);
    const state = openExistingState(config.state.path);
    if (state === null) return say(`GSYNC UNKNOWN - job ${config.name}: no runs yet (no state database at ${config.state.path})`, CHECK.unknown);
    try {
      const verdict = evaluateHealth(readHealthFacts(state, nowNs), thresholds);
      return say(verdict.line.replace(/^GSYNC (\w+) - /, `GSYNC $1 - ${config.name}: `), verdict.code);
    } finally {
      state.close();
    }
  } catch (err) {
    return say(`GSYNC UNKNOWN - ${(err as Error).message.split('\n')[0]}`, CHECK.unknown);
  }
}
