import path from 'node:path';
import { createCredentials, type Credentials, type CredentialsDescription } from '../auth/credentials.js';
import { LoginNeededError } from '../auth/user-token-source.js';
import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import { writePermissionHint, writeRefused } from '../errors/file-access.js';
import { ConsentRequiredError } from '../globus/errors.js';
import { TransferClient } from '../globus/transfer-client.js';
import type { Logger } from '../log/logger.js';
import { checkCollection, jobRoles, type CollectionCheckDeps, type Role } from './collection-checks.js';
import { checkFileModes } from './file-modes-check.js';
import { checkSource, checkStateDb } from './local-checks.js';
import { checkMapping } from './mapping-check.js';
import { checkLocalDestination, pulledSourceLine } from './pull-checks.js';
import { writeChecks } from './write-checks.js';
import { fail, failFromError, ok, skip, type CheckResult } from './result.js';

export interface CheckOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** --fix: create a missing destination path. */
  fix: boolean;
  /** What an auth failure's line tells the person to do. */
  loginHint: string;
  /**
   * Offered only when a person is at the terminal: runs gsync login's flow,
   * asking also for `scopes` (a ConsentRequired answer's). Used for a user
   * login only, at most once for the credentials and once for a consent.
   * Without it nothing ever prompts.
   */
  login?: (scopes: string[]) => Promise<void>;
  /** Each result as soon as it is known, for a person watching the checklist grow. */
  onResult?: (r: CheckResult) => void;
}

/**
 * Every check of a job whose config loaded, in order, as data: a failure
 * never stops the checks after it unless they would mean nothing (no
 * credentials: the collections are skipped, and say so).
 */
export async function runChecks(config: Config, opts: CheckOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (r: CheckResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  add(ok('config', config.file, 'is valid'));
  const pull = config.source.listing === 'globus';
  const source = pull ? pulledSourceLine(config) : checkSource(config);
  add(source);
  add(checkStateDb(config));
  const modes = checkFileModes(config);
  if (modes) add(modes);
  for (const r of writeChecks(config, opts.env)) add(r);

  const { result, creds } = await checkCredentials(config, opts);
  add(result);
  const roles = jobRoles(config);
  if (creds === undefined) {
    for (const r of roles) add(skip(`${r.role} collection`, r.id, 'not checked without working credentials'));
    return results;
  }
  // Few retries: a person is waiting for the checklist, and an unreachable Globus is itself the answer.
  const client = new TransferClient({ tokens: creds.tokens, logger: opts.logger, env: opts.env, retry: { maxRetries: 1 }, timeoutMs: 30_000 });
  const deps: CollectionCheckDeps = {
    client,
    config,
    loginHint: opts.loginHint,
    fix: opts.fix,
    serviceAccount: creds.kind === 'client',
    consent: consentHandler(creds, opts.login, client, roles),
  };
  try {
    const sourceLines: CheckResult[] = [];
    const destinationLines: CheckResult[] = [];
    for (const r of roles) {
      for (const line of await checkCollection(deps, r)) {
        add(line);
        (r.role === 'source' ? sourceLines : destinationLines).push(line);
      }
    }
    if (pull) {
      // No local source to map; the local side is the destination's folder, if any (issue 29).
      add(await checkLocalDestination(config, client, destinationLines.every((l) => l.status === 'ok'), opts.loginHint));
      return results;
    }
    // Last: it writes a probe file, worth doing only once everything it relies on passed.
    const usable = source.status === 'ok' && sourceLines.every((l) => l.status === 'ok');
    add(await checkMapping(config, (c, p) => client.stat(c, p), usable, opts.loginHint));
  } finally {
    await client.close();
  }
  return results;
}

/**
 * A token can be had without a person. A user login that is missing or can
 * no longer be refreshed is what `login` fixes: log in, then check again, so
 * the line shows that the new refresh token works (what cron will rely on).
 */
async function checkCredentials(config: Config, opts: CheckOptions): Promise<{ result: CheckResult; creds?: Credentials }> {
  let creds: Credentials;
  try {
    creds = createCredentials(config, opts.env, opts.logger);
  } catch (err) {
    return { result: credentialsFailed(err, opts.loginHint) };
  }
  try {
    return { result: credentialsOk(await creds.verify()), creds };
  } catch (err) {
    if (creds.kind === 'user' && opts.login && err instanceof LoginNeededError) {
      opts.logger.debug({ reason: err.message }, 'no usable login: logging in at the terminal');
      try {
        await opts.login([]);
        return { result: credentialsOk(await creds.verify(), ' (logged in just now)'), creds };
      } catch (loginErr) {
        const hint = loginErr instanceof GsyncError && loginErr.hint ? loginErr.hint : opts.loginHint;
        return { result: failFromError('credentials', undefined, loginErr, hint) };
      }
    }
    // A service account's rejection hint (which variable to check) is the better one there.
    const hint = creds.kind === 'client' && err instanceof GsyncError && err.hint ? err.hint : opts.loginHint;
    return { result: credentialsFailed(err, hint) };
  }
}

/** A token file or its lock that cannot be written is a permission to fix: logging in again cannot. */
function credentialsFailed(err: unknown, hint: string): CheckResult {
  const refused = writeRefused(err);
  if (refused === null) return failFromError('credentials', undefined, err, hint);
  return fail('credentials', undefined, `${refused.path} cannot be written (${refused.code})`, writePermissionHint(path.dirname(refused.path), 'auth.tokenFile'));
}

function credentialsOk(d: CredentialsDescription, note = ''): CheckResult {
  const who = d.kind === 'client' ? `service account ${d.clientId}` : `user login (${d.tokenFile})`;
  return ok('credentials', undefined, `${who} can get a token${d.expiresAt ? `, valid until ${d.expiresAt.toISOString()}` : ''}${note}`);
}

/**
 * A service account requests the scopes itself. A person at a terminal logs
 * in once, for the scopes the first ConsentRequired names and those the other
 * collection's ls asks for (probed first, so it does not need a second login;
 * the login also adds every data_access the job's collections need). After
 * that one login, or without a terminal, a consent still missing is a failure
 * naming the collection and scope.
 */
function consentHandler(creds: Credentials, login: CheckOptions['login'], client: TransferClient, roles: Role[]): CollectionCheckDeps['consent'] {
  if (creds.kind === 'client' || login === undefined) return (err) => creds.handleConsentRequired(err);
  let asked = false;
  return async (err, role) => {
    if (asked) return creds.handleConsentRequired(err);
    asked = true;
    const scopes = [...err.requiredScopes];
    for (const other of roles.filter((r) => r.id.toLowerCase() !== role.id.toLowerCase())) {
      try {
        await client.ls(other.id, other.path, { limit: 1 });
      } catch (e) {
        // Anything else is that collection's own check's business.
        if (e instanceof ConsentRequiredError) scopes.push(...e.requiredScopes);
      }
    }
    await login(scopes);
  };
}
