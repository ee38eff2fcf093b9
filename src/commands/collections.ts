import fs from 'node:fs';
import { createCredentials } from '../auth/credentials.js';
import { formatRows, searchCollections } from '../collections/search.js';
import { parseConfig, resolveConfigPath } from '../config/load.js';
import { usageError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { TransferClient } from '../globus/transfer-client.js';
import { createLogger } from '../log/logger.js';
import { loadJob, type CommandContext, type Job } from './context.js';

export interface CollectionsOptions {
  mine?: boolean;
  json?: boolean;
}

/**
 * gsync collections [TEXT] [--mine] [--json]: the search init uses, alone,
 * for people who want the ids without writing a config. Credentials are the
 * job's when a config is found (its login), else a service account's
 * (GLOBUS_CLIENT_ID/GLOBUS_CLIENT_SECRET). Endpoints that are not
 * collections are left out and counted on stderr.
 */
export async function collectionsCommand(text: string | undefined, opts: CollectionsOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = jobOrServiceAccount(ctx);
  const creds = createCredentials(config, ctx.env, logger);
  creds.requireUsable();
  const client = new TransferClient({ tokens: creds.tokens, logger, env: ctx.env, retry: { maxRetries: 1 }, timeoutMs: 30_000 });
  try {
    const found = await searchCollections(client, { text, mine: opts.mine, max: 1000 });
    if (opts.json) {
      for (const r of found.rows) ctx.out.write(JSON.stringify({ id: r.id, display_name: r.displayName, owner_string: r.owner, entity_type: r.entityType }) + '\n');
    } else if (found.rows.length > 0) {
      for (const line of formatRows(found.rows)) ctx.out.write(line + '\n');
    }
    const err = ctx.err ?? process.stderr;
    if (!opts.json && found.rows.length === 0) err.write(text ? `no collection matches "${text}"\n` : 'no collection of yours, shared with you or used lately: search by name (gsync collections TEXT)\n');
    if (found.leftOut) err.write(`${found.leftOut} endpoint${found.leftOut > 1 ? 's' : ''} left out: not collections (nothing can be transferred to them)\n`);
    if (found.truncated) err.write(`more than ${found.rows.length} matches: only the first ${found.rows.length} shown; narrow the search\n`);
    return EXIT.ok;
  } finally {
    await client.close();
  }
}

/**
 * The job's config (and its login) when one is found; else, for a service
 * account, a stand-in carrying only its client id; else a usage error.
 */
function jobOrServiceAccount(ctx: CommandContext): Job {
  const file = resolveConfigPath(ctx.global.config, ctx.env);
  const id = ctx.env.GLOBUS_CLIENT_ID;
  if (!fs.existsSync(file) && id && ctx.env.GLOBUS_CLIENT_SECRET) {
    const stub = parseConfig({ name: 'collections', source: { collection: id, path: '/' }, destination: { collection: id, path: '/' }, auth: { clientId: id } }, '<inline>', ctx.env);
    if (stub.ok) return { config: stub.config, logger: createLogger({ quiet: ctx.global.quiet, json: ctx.global.logJson, level: ctx.global.logLevel ?? 'warn' }) };
  }
  if (!fs.existsSync(file)) {
    throw usageError(`gsync collections needs a Globus login, and there is no job config at ${file}`, 'pass --config FILE of a job (its login is used), or set GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET');
  }
  return loadJob(ctx);
}
