import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCredentials, loginHintFor, type Credentials } from '../auth/credentials.js';
import { parseConfig, resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { ConsentRequiredError, GlobusApiError } from '../globus/errors.js';
import type { Endpoint } from '../globus/schemas.js';
import { TransferClient } from '../globus/transfer-client.js';
import { openExistingState } from '../state/open.js';
import { loadJob, type CommandContext } from './context.js';

export interface TestConfigOptions {
  fix?: boolean;
}

/** One checklist line. `auth` failures are the ones a login (or a consent) fixes. */
type Result =
  | { status: 'ok'; subject: string; detail: string }
  | { status: 'fail'; subject: string; problem: string; hint?: string; auth?: boolean }
  | { status: 'skip'; subject: string; why: string };

const ok = (subject: string, detail: string): Result => ({ status: 'ok', subject, detail });
const fail = (subject: string, problem: string, hint?: string, auth = false): Result => ({ status: 'fail', subject, problem, hint, auth });
const skip = (subject: string, why: string): Result => ({ status: 'skip', subject, why });

/**
 * Runs every check and prints one line each, going on after a failure wherever
 * the next check still means something. Never prompts, even at a terminal: it
 * is what cron wrappers run to find out why a job stopped.
 *
 * Exit codes: 2 when the config itself is invalid (nothing else can be checked);
 * 77 when every failure is one a login or consent fixes (credentials rejected or
 * missing, ConsentRequired), which is what cron users already read as "a person
 * must run gsync login"; 1 for any other failure; 0 when everything passed.
 */
export async function testConfigCommand(opts: TestConfigOptions, ctx: CommandContext): Promise<number> {
  const results: Result[] = [];
  const print = (r: Result) => {
    results.push(r);
    ctx.out.write(formatLine(r) + '\n');
  };

  let job: ReturnType<typeof loadJob>;
  try {
    job = loadJob(ctx);
  } catch (err) {
    if (!(err instanceof GsyncError) || (err.kind !== 'config' && err.kind !== 'usage')) throw err;
    for (const r of configProblems(ctx, err)) print(r);
    return EXIT.usage;
  }
  const { config, logger } = job;
  print(ok(`config ${config.file}`, 'is valid'));
  print(checkSource(config));
  print(checkStateDb(config));

  const loginHint = ctx.interactive ? `run gsync login now (gsync login --config ${config.file}), then this check again` : loginHintFor(config);
  let creds: Credentials | null = null;
  try {
    creds = createCredentials(config, ctx.env, logger);
    const d = await creds.verify();
    const who = d.kind === 'client' ? `service account ${d.clientId}` : `user login (${d.tokenFile})`;
    print(ok('credentials', `${who} can get a token${d.expiresAt ? `, valid until ${d.expiresAt.toISOString()}` : ''}`));
  } catch (err) {
    // A service account's rejection hint (check the client id and secret) is the better one there.
    const hint = creds?.kind === 'client' && err instanceof GsyncError && err.hint ? err.hint : loginHint;
    creds = null;
    print(failFromError('credentials', err, hint));
  }

  const roles = [
    { role: 'source' as const, id: config.source.collection, path: config.source.collectionPath },
    { role: 'destination' as const, id: config.destination.collection, path: config.destination.path },
  ];
  if (creds === null) {
    for (const r of roles) print(skip(`${r.role} collection ${r.id}`, 'not checked without working credentials'));
  } else {
    // Few retries: a person is waiting for the checklist, and an unreachable Globus is itself the answer.
    const client = new TransferClient({ tokens: creds.tokens, logger, env: ctx.env, retry: { maxRetries: 1 }, timeoutMs: 30_000 });
    try {
      for (const r of roles) {
        for (const line of await checkCollection(client, creds, config, r, loginHint, opts.fix === true)) print(line);
      }
    } finally {
      await client.close();
    }
  }

  const failed = results.filter((r): r is Extract<Result, { status: 'fail' }> => r.status === 'fail');
  ctx.out.write(failed.length === 0 ? `all ${results.length} checks passed\n` : `${failed.length} of ${results.length} checks failed\n`);
  if (failed.length === 0) return EXIT.ok;
  return failed.every((f) => f.auth) ? EXIT.auth : EXIT.failure;
}

function formatLine(r: Result): string {
  if (r.status === 'ok') return `ok   ${r.subject} ${r.detail}`;
  if (r.status === 'skip') return `skip ${r.subject}: ${r.why}`;
  return `FAIL ${r.subject}: ${oneLine(r.problem)}${r.hint ? ` -> ${r.hint}` : ''}`;
}

/** loadConfig stops at the first problem; the checklist lists them all when it can read the file. */
function configProblems(ctx: CommandContext, err: GsyncError): Result[] {
  const file = resolveConfigPath(ctx.global.config, ctx.env);
  const hint = `fix it in ${file}`;
  try {
    const parsed = parseConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file, ctx.env);
    if (!parsed.ok) return parsed.errors.map((e) => fail(`config ${file}`, e, hint));
  } catch {
    // unreadable or not JSON: the original error says which
  }
  return [fail('config', err.message, err.hint ?? hint)];
}

function checkSource(config: Config): Result {
  const dir = config.source.path;
  const subject = `source directory ${dir}`;
  const hint = `create it, or fix source.path in ${config.file}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(subject, code === 'ENOENT' ? 'does not exist' : `cannot be examined (${code})`, hint);
  }
  if (!st.isDirectory()) return fail(subject, 'is not a directory', `fix source.path in ${config.file}`);
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch (err) {
    return fail(subject, `cannot be listed (${(err as NodeJS.ErrnoException).code})`, `give ${userName()} read and execute permission on it`);
  }
  return ok(subject, 'is readable');
}

/**
 * Writable without creating anything: an existing file is opened read-only to
 * prove it is a gsync database (anything else is reported, never touched), and
 * otherwise the nearest existing parent must let us create the file.
 */
function checkStateDb(config: Config): Result {
  const file = config.state.path;
  const subject = `state database ${file}`;
  const hint = `fix state.path in ${config.file}, or the permissions`;
  // SQLite writes -wal, -shm and journal files beside the database, and the job lock lives there too.
  const dirWritable = (dir: string): string | null => {
    try {
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
      return null;
    } catch (err) {
      return `${dir} is not writable (${(err as NodeJS.ErrnoException).code})`;
    }
  };
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return fail(subject, `cannot be examined (${code})`, hint);
  }
  if (st !== undefined) {
    if (!st.isFile()) return fail(subject, 'is not a regular file', hint);
    try {
      openExistingState(file)?.close();
    } catch (err) {
      // The subject already names the file; the error's own "state.path <file>: " would say it twice.
      if (err instanceof GsyncError) err.message = err.message.replace(`state.path ${file}: `, '');
      return failFromError(subject, err, hint);
    }
    try {
      fs.accessSync(file, fs.constants.W_OK);
    } catch (err) {
      return fail(subject, `is not writable (${(err as NodeJS.ErrnoException).code})`, hint);
    }
    const problem = dirWritable(path.dirname(file));
    return problem ? fail(subject, problem, hint) : ok(subject, 'is a gsync database and writable');
  }
  let dir = path.dirname(file);
  for (;;) {
    let dst: fs.Stats | undefined;
    try {
      dst = fs.statSync(dir);
    } catch {
      // missing: gsync creates it, so its parent is what matters
    }
    if (dst !== undefined) {
      if (!dst.isDirectory()) return fail(subject, `${dir} is not a directory`, hint);
      const problem = dirWritable(dir);
      return problem ? fail(subject, problem, hint) : ok(subject, 'does not exist yet and can be created');
    }
    const up = path.dirname(dir);
    if (up === dir) return fail(subject, 'no parent directory exists', hint);
    dir = up;
  }
}

interface Role {
  role: 'source' | 'destination';
  id: string;
  path: string;
}

async function checkCollection(client: TransferClient, creds: Credentials, config: Config, r: Role, loginHint: string, fix: boolean): Promise<Result[]> {
  const subject = `${r.role} collection ${r.id}`;
  const out: Result[] = [];
  let ep: Endpoint;
  try {
    ep = await client.getEndpoint(r.id);
  } catch (err) {
    if (err instanceof GlobusApiError && err.isNotFound) {
      out.push(fail(subject, 'no such collection', `check ${r.role}.collection in ${config.file}`));
    } else out.push(failFromError(subject, err, loginHint));
    out.push(skip(`${r.role} data access`, 'not checked without the collection'));
    return out;
  }
  const problem = unusable(ep, config, r);
  out.push(problem ? fail(subject, problem.problem, problem.hint) : ok(subject, `(${ep.display_name ?? 'no name'}) is ${kindName(ep)}${ep.high_assurance ? ', high assurance' : ''}`));
  if (problem) {
    out.push(skip(`${r.role} data access`, 'not checked: the collection cannot be used'));
    return out;
  }

  // An ls is the cheapest call that needs the data_access consent; Globus checks consent before the path.
  const access = `${r.role} data access`;
  const listed = await lsWithConsent(client, creds, r);
  if (listed === 'missing') {
    out.push(ok(access, `to ${r.id} is granted`));
    if (r.role === 'source') {
      out.push(fail(`source path ${r.path}`, 'not found on the source collection', `set source.collectionPath in ${config.file} to how ${config.source.path} appears on the collection`));
    } else if (!fix) {
      out.push(fail(`destination path ${r.path}`, 'does not exist on the destination collection', `run gsync test-config --fix --config ${config.file} to create it`));
    } else {
      try {
        const made = await makeDirs(client, r.id, r.path);
        out.push(ok(`destination path ${r.path}`, `created (--fix: ${made.join(', ')})`));
      } catch (err) {
        out.push(failFromError(`destination path ${r.path}`, err, loginHint, 'could not be created'));
      }
    }
  } else if (listed !== null) {
    out.push(failFromError(access, listed, creds.kind === 'user' || !(listed instanceof GsyncError) ? loginHint : (listed.hint ?? loginHint)));
  } else {
    out.push(ok(access, `to ${r.id} is granted`));
    out.push(ok(`${r.role} path ${r.path}`, 'exists'));
  }
  return out;
}

/** null when the ls worked, 'missing' when the path is not there (access was granted), else the error. */
async function lsWithConsent(client: TransferClient, creds: Credentials, r: Role): Promise<null | 'missing' | unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.ls(r.id, r.path, { limit: 1 });
      return null;
    } catch (err) {
      if (err instanceof GlobusApiError && err.isNotFound && !(err instanceof ConsentRequiredError)) return 'missing';
      if (!(err instanceof ConsentRequiredError) || attempt > 0) return err;
      // A service account can grant itself the scope; a user login gets an auth error naming scope and collection.
      try {
        await creds.handleConsentRequired(err);
      } catch (consent) {
        return consent;
      }
    }
  }
}

/** mkdir each missing component, top down, after finding the deepest one that exists. */
async function makeDirs(client: TransferClient, id: string, target: string): Promise<string[]> {
  const missing: string[] = [];
  for (let p = path.posix.normalize(target).replace(/\/+$/, '') || '/'; p !== '/'; p = path.posix.dirname(p)) {
    try {
      await client.ls(id, p, { limit: 1 });
      break;
    } catch (err) {
      if (!(err instanceof GlobusApiError && err.isNotFound)) throw err;
      missing.unshift(p);
    }
  }
  for (const p of missing) {
    try {
      await client.mkdir(id, p);
    } catch (err) {
      if (!(err instanceof GlobusApiError && err.isAlreadyExists)) throw err;
    }
  }
  await client.ls(id, target, { limit: 1 });
  return missing;
}

/** Why a collection cannot play its role, or null. */
function unusable(ep: Endpoint, config: Config, r: Role): { problem: string; hint: string } | null {
  if (ep.non_functional === true || ep.entity_type === 'GCSv5_endpoint') {
    return { problem: `is a Globus Connect Server endpoint (${ep.entity_type ?? 'non-functional'}), which cannot transfer`, hint: `set ${r.role}.collection in ${config.file} to one of its mapped or guest collections` };
  }
  if (ep.is_globus_connect && ep.gcp_connected === false) {
    return { problem: 'is Globus Connect Personal and not connected', hint: 'start Globus Connect Personal on that machine' };
  }
  if (ep.is_globus_connect && ep.gcp_paused === true) {
    return { problem: 'is Globus Connect Personal and paused', hint: 'resume transfers in Globus Connect Personal' };
  }
  // Syncing into the tree being synced would ship its own copies on every run.
  if (r.role === 'destination' && r.id.toLowerCase() === config.source.collection.toLowerCase() && overlaps(config.destination.path, config.source.collectionPath)) {
    return { problem: `destination path ${config.destination.path} overlaps the source path ${config.source.collectionPath} on the same collection`, hint: `point destination.path outside the source in ${config.file}` };
  }
  return null;
}

function overlaps(a: string, b: string): boolean {
  const norm = (p: string) => (path.posix.normalize(p).replace(/\/+$/, '') || '') + '/';
  const [x, y] = [norm(a), norm(b)];
  return x.startsWith(y) || y.startsWith(x);
}

function kindName(ep: Endpoint): string {
  const names: Record<string, string> = {
    GCSv5_mapped_collection: 'a GCSv5 mapped collection',
    GCSv5_guest_collection: 'a GCSv5 guest collection',
    GCP_mapped_collection: 'a Globus Connect Personal collection',
    GCP_guest_collection: 'a Globus Connect Personal guest collection',
  };
  return names[ep.entity_type ?? ''] ?? `a ${ep.entity_type ?? 'collection'}${ep.gcs_version ? ` (GCS ${ep.gcs_version})` : ''}`;
}

/**
 * A failed check from an error. `hint` replaces the error's own for auth errors (ours knows
 * whether a person is at the terminal) and stands in for a missing one otherwise.
 */
function failFromError(subject: string, err: unknown, hint: string, prefix?: string): Result {
  const message = err instanceof Error ? err.message : String(err);
  const problem = prefix ? `${prefix}: ${message}` : message;
  if (!(err instanceof GsyncError)) return fail(subject, problem, hint);
  const auth = err.kind === 'auth';
  return fail(subject, problem, auth ? hint : (err.hint ?? hint), auth);
}

const oneLine = (s: string) => s.split('\n')[0]!;

function userName(): string {
  try {
    return `user ${os.userInfo().username}`;
  } catch {
    return 'this user';
  }
}
