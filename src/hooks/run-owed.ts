import fs from 'node:fs';
import path from 'node:path';
import { markHookDone, markHookFailed, markHookStarted, owedHooks, type HookRecord } from '../state/hooks.js';
import { getSubmission } from '../ledger/transfer-rows.js';
import type { SyncContext } from '../run/sync-context.js';
import { pruneManifests, writeManifest } from './manifest.js';
import { runHookProcess } from './spawn-hook.js';

/**
 * Variables a hook never inherits: it gets gsync's environment so it finds
 * what cron or systemd gave gsync, but not the service account's secret.
 */
export const WITHHELD = ['GLOBUS_CLIENT_SECRET'];

/**
 * Runs what settled tasks are owed: the manifest of each SUCCEEDED task that
 * delivered files, then hooks.onSucceeded; hooks.onFailed for FAILED and
 * INACTIVE. runJob calls runOwed() first thing (what earlier runs left) and
 * again at the end (what this run settled). Each owed hook runs at most once
 * per run; one that fails stays owed for the next run, and the run exits 1.
 * A hook is marked done only after it exited 0, so a crash at any point means
 * it runs again: at least once, never lost.
 */
export class PostTransferHooks {
  private readonly attempted = new Set<number>();
  /** One line per hook that failed in this run, for the summary and the run row. */
  readonly problems: string[] = [];

  constructor(
    private readonly ctx: SyncContext,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async runOwed(): Promise<void> {
    const owed = owedHooks(this.ctx.state).filter((h) => !this.attempted.has(h.id));
    for (const h of owed) {
      this.attempted.add(h.id);
      await this.runOne(h);
    }
    if (owed.some((h) => h.event === 'SUCCEEDED')) this.prune();
  }

  private async runOne(h: HookRecord): Promise<void> {
    const { config, state } = this.ctx;
    const name = h.event === 'SUCCEEDED' ? 'onSucceeded' : 'onFailed';
    const log = this.ctx.logger.child({ hook: name, taskId: h.taskId });
    const env: NodeJS.ProcessEnv = { ...this.env, GSYNC_JOB: config.name, GSYNC_TASK_ID: h.taskId, GSYNC_STATUS: h.event, GSYNC_ATTEMPT: String(h.attempts + 1) };
    for (const k of WITHHELD) delete env[k];
    if (h.event === 'SUCCEEDED') {
      let manifest: string;
      try {
        manifest = this.ensureManifest(h);
      } catch (err) {
        this.fail(h, `manifest not written: ${(err as Error).message}`, log, {});
        return;
      }
      Object.assign(env, { GSYNC_MANIFEST: manifest, GSYNC_FILES: String(h.files), GSYNC_BYTES: String(h.bytes) });
    } else {
      env.GSYNC_ERROR = h.error ?? '';
    }
    const argv = h.event === 'SUCCEEDED' ? config.hooks.onSucceeded : config.hooks.onFailed;
    if (argv === undefined) {
      // No hook (manifest only), or the hook was removed from the config since: nothing more is owed.
      markHookDone(state, h.id, this.ctx.now(), h.event === 'SUCCEEDED' ? 'manifest written' : 'no hook configured');
      return;
    }
    markHookStarted(state, h.id, this.ctx.now());
    this.ctx.crashPoint('before-hook');
    log.info({ argv, attempt: h.attempts + 1 }, `running hooks.${name} for task ${h.taskId} (${h.event})`);
    const outcome = await runHookProcess({ argv, env, timeoutMs: config.hooks.timeoutSeconds * 1000, logger: log });
    if (outcome.ok) {
      this.ctx.crashPoint('after-hook');
      markHookDone(state, h.id, this.ctx.now(), outcome.result);
      log.info(`hooks.${name} for task ${h.taskId} finished (exit 0)`);
      return;
    }
    this.fail(h, outcome.result, log, { exitCode: outcome.exitCode, signal: outcome.signal, timedOut: outcome.timedOut, stderr: outcome.stderrTail });
  }

  private fail(h: HookRecord, result: string, log: SyncContext['logger'], details: Record<string, unknown>): void {
    markHookFailed(this.ctx.state, h.id, this.ctx.now(), result);
    const name = h.event === 'SUCCEEDED' ? 'onSucceeded' : 'onFailed';
    const line = `hooks.${name} for task ${h.taskId} failed (${result}); it runs again next run`;
    this.problems.push(line);
    log.error(details, line);
  }

  /** The manifest file, written from the state unless it is already there (an earlier attempt wrote it). */
  private ensureManifest(h: HookRecord): string {
    const file = path.join(this.ctx.config.hooks.manifestDir, h.manifest!);
    if (fs.existsSync(file)) return file;
    const sub = getSubmission(this.ctx.state, h.submissionRowId);
    if (sub === undefined) throw new Error(`internal: submission row ${h.submissionRowId} of hook ${h.id} is missing`);
    writeManifest(this.ctx.state, this.ctx.config, h, sub.document);
    this.ctx.logger.info({ taskId: h.taskId, files: h.files, manifest: file }, `wrote the manifest of task ${h.taskId}: ${h.files} files`);
    return file;
  }

  /** Best effort: a manifest that cannot be deleted is no reason to fail a run. */
  private prune(): void {
    const owed = new Set(owedHooks(this.ctx.state).flatMap((h) => (h.manifest === null ? [] : [h.manifest])));
    try {
      const gone = pruneManifests(this.ctx.config, owed);
      if (gone.length) this.ctx.logger.debug({ deleted: gone.length }, `deleted ${gone.length} old manifests (hooks.keepManifests)`);
    } catch (err) {
      this.ctx.logger.warn(`could not prune old manifests in ${this.ctx.config.hooks.manifestDir}: ${(err as Error).message}`);
    }
  }
}
