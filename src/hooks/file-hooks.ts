import path from 'node:path';
import { mapPath } from '../plan/paths.js';
import type { SyncContext } from '../run/sync-context.js';
import { dueFileHooks, markFileHookDone, markFileHookFailed, markFileHookStarted, type FileHookRecord } from '../state/file-hooks.js';
import { runHookProcess } from './spawn-hook.js';
import { WITHHELD } from './run-owed.js';

/** The wait before a failed file hook is tried again: 1 min, doubling per failure, at most 1 h. */
export const FILE_HOOK_BACKOFF_S = { first: 60, max: 3600 };
const PAGE = 1000;
const NS_PER_S = 1_000_000_000n;

export function fileHookBackoffSeconds(failures: number): number {
  return Math.min(FILE_HOOK_BACKOFF_S.max, FILE_HOOK_BACKOFF_S.first * 2 ** Math.max(0, failures - 1));
}

/**
 * hooks.onFile (issue 29): runs the hook owed for each delivered file, at most
 * hooks.parallel at once, each with hooks.timeoutSeconds. The rows were written
 * in the transaction that committed their task (src/state/file-hooks.ts); a
 * row is marked done only after its hook exited 0, so a crash anywhere means
 * it runs again. A failure waits a backoff (retried by a later run) and after
 * hooks.maxAttempts attempts is given up: counted, reported, kept.
 */
export class FileHooks {
  /** Rows that failed in this run: not tried twice in one run, whatever the backoff. */
  private readonly failedHere = new Set<number>();
  failed = 0;
  givenUp = 0;
  ran = 0;

  constructor(
    private readonly ctx: SyncContext,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Lines for the run's summary: failures make the run exit 1 (as a task hook's do). */
  get problems(): string[] {
    const out: string[] = [];
    if (this.failed > 0) out.push(`${this.failed} file hook(s) failed (hooks.onFile); they run again on a later run, after a backoff`);
    if (this.givenUp > 0) out.push(`${this.givenUp} file hook(s) given up after hooks.maxAttempts (${this.ctx.config.hooks.maxAttempts}) attempts: see gsync status`);
    return out;
  }

  async runOwed(): Promise<void> {
    const argv = this.ctx.config.hooks.onFile;
    if (argv === undefined) return;
    const before = { ran: this.ran, failed: this.failed, givenUp: this.givenUp };
    await this.runDue(argv);
    const ran = this.ran - before.ran;
    if (ran > 0) this.ctx.logger.info({ ran, failed: this.failed - before.failed, givenUp: this.givenUp - before.givenUp }, `ran hooks.onFile for ${ran} files`);
  }

  private async runDue(argv: readonly string[]): Promise<void> {
    const parallel = this.ctx.config.hooks.parallel;
    let after = 0;
    for (;;) {
      const page = dueFileHooks(this.ctx.state, this.ctx.now(), after, PAGE).filter((h) => !this.failedHere.has(h.id));
      const last = page.at(-1);
      if (last === undefined) {
        // A page of only rows that failed here: look further.
        const raw = dueFileHooks(this.ctx.state, this.ctx.now(), after, PAGE);
        if (raw.length === 0) return;
        after = raw.at(-1)!.id;
        continue;
      }
      after = last.id;
      let next = 0;
      const worker = async () => {
        while (next < page.length) await this.runOne(page[next++]!, argv);
      };
      await Promise.all(Array.from({ length: Math.min(parallel, page.length) }, worker));
    }
  }

  private async runOne(h: FileHookRecord, argv: readonly string[]): Promise<void> {
    const { config, state } = this.ctx;
    const paths = mapPath(h.relPath, false, { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path });
    const env: NodeJS.ProcessEnv = {
      ...this.env,
      GSYNC_JOB: config.name,
      GSYNC_TASK_ID: h.taskId,
      GSYNC_STATUS: 'SUCCEEDED',
      GSYNC_ATTEMPT: String(h.attempts + 1),
      GSYNC_RELATIVE_PATH: h.relPath,
      GSYNC_SOURCE_PATH: paths.source_path,
      GSYNC_DESTINATION_PATH: paths.destination_path,
      GSYNC_SIZE: h.size === null ? '' : String(h.size),
    };
    if (config.destination.localPath !== undefined) env.GSYNC_LOCAL_PATH = path.join(config.destination.localPath, h.relPath);
    for (const k of WITHHELD) delete env[k];
    const log = this.ctx.logger.child({ hook: 'onFile', taskId: h.taskId, path: h.relPath });
    markFileHookStarted(state, h.id, this.ctx.now());
    this.ctx.crashPoint('before-file-hook');
    this.ran++;
    const outcome = await runHookProcess({ argv, env, timeoutMs: config.hooks.timeoutSeconds * 1000, logger: log });
    if (outcome.ok) {
      this.ctx.crashPoint('after-file-hook');
      markFileHookDone(state, h.id, this.ctx.now(), outcome.result);
      log.debug(`hooks.onFile for ${h.relPath} finished (exit 0)`);
      return;
    }
    this.failedHere.add(h.id);
    const now = this.ctx.now();
    const attempts = h.attempts + 1;
    if (attempts >= config.hooks.maxAttempts) {
      markFileHookFailed(state, h.id, now, outcome.result, { givenUp: true });
      this.givenUp++;
      log.error({ attempts, exitCode: outcome.exitCode, signal: outcome.signal, timedOut: outcome.timedOut, stderr: outcome.stderrTail }, `hooks.onFile for ${h.relPath} failed (${outcome.result}) and is given up after ${attempts} attempts (hooks.maxAttempts)`);
      return;
    }
    const wait = fileHookBackoffSeconds(h.failures + 1);
    markFileHookFailed(state, h.id, now, outcome.result, { retryNs: now + BigInt(wait) * NS_PER_S });
    this.failed++;
    log.error({ attempt: attempts, exitCode: outcome.exitCode, signal: outcome.signal, timedOut: outcome.timedOut, stderr: outcome.stderrTail }, `hooks.onFile for ${h.relPath} failed (${outcome.result}); tried again by a run at least ${wait} s from now`);
  }
}
