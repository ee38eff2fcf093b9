import { createCredentials } from '../auth/credentials.js';
import { usageError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { TransferClient } from '../globus/transfer-client.js';
import { acquireJobLock, lockPathFor } from '../lock/job-lock.js';
import { writeVerifyMetrics } from '../metrics/textfile.js';
import { progressFor } from '../report/progress-line.js';
import { findingJson, findingLine, verifyProgress, verifySummaryJson, verifySummaryLine } from '../report/verify-report.js';
import { findNode } from '../state/last-transfer.js';
import { openState, ROOT_NODE_ID } from '../state/open.js';
import { recordVerify, shippedDirsUnder } from '../state/verify-runs.js';
import { needsAttention } from '../verify/findings.js';
import { verifyTree } from '../verify/verify-tree.js';
import { crashHookFrom } from './globus-session.js';
import { loadJob, refuseWithGlobusListing, type CommandContext } from './context.js';
import { relativeToSource } from '../plan/paths.js';

export interface VerifyCommandOptions {
  path?: string;
  repair?: boolean;
  json?: boolean;
}

/**
 * `gsync verify`: lists the destination through Globus and compares it with
 * every path the trie records shipped. Holds the job lock throughout (exit 75
 * while a run holds it), so no run settles a task between a listing and its
 * comparison. Writes nothing until the end, then, in one transaction, the record
 * of this verify and (--repair) the drifted paths made owed.
 */
export async function verifyCommand(opts: VerifyCommandOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  refuseWithGlobusListing(config, 'gsync verify', 'verify compares with the local source; in pull mode it is not available yet');
  const relPath = relativeToSource(config.source.path, opts.path);
  const crashPoint = crashHookFrom(ctx.env);
  const lock = acquireJobLock(lockPathFor(config.state.path));
  try {
    const state = openState(config.state.path);
    try {
      const nodeId = relPath === '' ? ROOT_NODE_ID : findNode(state, relPath);
      const dirsTotal = nodeId === null ? 0 : shippedDirsUnder(state, nodeId);
      if (nodeId === null || (relPath !== '' && dirsTotal === 0)) {
        throw usageError(`--path ${opts.path}: not a directory gsync has shipped (verify works on directories)`);
      }
      const credentials = createCredentials(config, ctx.env, logger);
      const client = new TransferClient({ tokens: credentials.tokens, logger, env: ctx.env, timeoutMs: Number(ctx.env.GSYNC_HTTP_TIMEOUT_MS) || undefined });
      const line = opts.json ? null : progressFor(process.stderr, ctx.global.quiet);
      const started = Date.now();
      const startedNs = BigInt(started) * 1_000_000n;
      let result;
      try {
        result = await verifyTree({
          config,
          state,
          client,
          root: { nodeId, relPath },
          collectMarks: opts.repair === true,
          onFinding: (f) => {
            ctx.out.write((opts.json ? findingJson(f) : findingLine(f)) + '\n');
            if (f.kind !== 'extra') logger.warn({ kind: f.kind, path: f.path, detail: f.detail }, `verify: ${findingLine(f)}`);
          },
          // For benchmarks against the local server only (scripts/bench/verify-rows.ts): never against Globus.
          requestsPerSecond: ctx.env.GSYNC_VERIFY_UNLIMITED === '1' ? Infinity : undefined,
          onDirectory: line ? (c) => line.update(verifyProgress(c, dirsTotal, Date.now() - started)) : undefined,
        });
      } finally {
        line?.stop();
        await client.close();
      }
      const { counts, marks } = result;
      const exitCode = needsAttention(counts) ? EXIT.failure : EXIT.ok;
      crashPoint('verify-before-record');
      const finishedNs = BigInt(Date.now()) * 1_000_000n;
      const repaired = recordVerify(state, { startedNs, finishedNs, scope: relPath, ...counts, exitCode }, opts.repair ? marks : null);
      crashPoint('verify-after-record');
      const elapsed = Date.now() - started;
      if (config.metrics.textfile) writeVerifyMetrics(config.metrics.textfile, config.name, { finishedSeconds: Math.floor(Date.now() / 1000), drift: counts.missing + counts.differs, unverified: counts.unverified });
      logger.info({ ...counts, repaired: opts.repair ? repaired : null, seconds: elapsed / 1000 }, 'verify finished');
      if (opts.json) ctx.out.write(verifySummaryJson(counts, elapsed, opts.repair ? repaired : null, exitCode) + '\n');
      else if (!ctx.global.quiet || exitCode !== EXIT.ok) ctx.out.write(verifySummaryLine(counts, elapsed, opts.repair ? repaired : null) + '\n');
      return exitCode;
    } finally {
      state.close();
    }
  } finally {
    lock.release();
  }
}
