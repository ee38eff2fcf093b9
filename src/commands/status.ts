import { lastVerify, type VerifyRecord } from '../state/verify-runs.js';
import type { VerifyView } from '../report/verify-report.js';
import { reconcileView } from '../report/reconcile-status.js';
import { createCredentials, type Credentials } from '../auth/credentials.js';
import { EXIT } from '../errors/exit-codes.js';
import { renderStatusJson, renderStatusText } from '../report/render-status.js';
import { fillFromState, fillLiveStatus, newStatusView, wantsLiveStatus } from '../report/status-view.js';
import { openExistingState } from '../state/open.js';
import { loadJob, type CommandContext } from './context.js';
import { transferClientFor } from './globus-session.js';

export interface StatusOptions {
  json?: boolean;
}

/** Read-only: never creates the state database and never refreshes tokens unless a live task lookup needs one. */
export async function statusCommand(opts: StatusOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  const notes: string[] = [];
  let creds: Credentials | null = null;
  try {
    creds = createCredentials(config, ctx.env, logger);
  } catch (err) {
    notes.push(`credentials: ${(err as Error).message}`);
  }
  const view = newStatusView(config, notes);
  if (creds) {
    const d = creds.describe();
    view.credentials = { kind: d.kind, expiresAt: d.expiresAt?.toISOString() ?? null, refreshable: d.refreshable ?? null, tokenFile: d.tokenFile ?? null };
  }

  const state = openExistingState(config.state.path);
  if (state === null) {
    notes.push('no runs yet: there is no state database');
  } else {
    try {
      fillFromState(view, state, config.hooks);
      view.lastVerify = verifyView(lastVerify(state));
      view.reconcile = reconcileView(state, config.reconcile.intervalHours);
    } finally {
      state.close();
    }
  }
  if (creds !== null && wantsLiveStatus(view)) {
    // No retries: a person waiting on status wants the recorded state now rather than a minute of backoff.
    const client = transferClientFor(creds, ctx.env, logger, { retry: { maxRetries: 0 }, timeoutMs: 15_000 });
    try {
      await fillLiveStatus(view, client);
    } finally {
      await client.close();
    }
  }
  ctx.out.write(opts.json ? renderStatusJson(view) : renderStatusText(view));
  return EXIT.ok;
}

function verifyView(r: VerifyRecord | null): VerifyView | null {
  if (r === null) return null;
  const { startedNs, finishedNs, scope, exitCode, ...counts } = r;
  const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();
  return { finished: iso(finishedNs), durationSeconds: Number((finishedNs - startedNs) / 1_000_000n) / 1000, path: scope, ...counts, exitCode };
}
