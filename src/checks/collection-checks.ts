import path from 'node:path';
import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import { ConsentRequiredError, GlobusApiError } from '../globus/errors.js';
import type { Endpoint } from '../globus/schemas.js';
import type { TransferClient } from '../globus/transfer-client.js';
import { fail, failFromError, ok, skip, type CheckResult } from './result.js';

export interface Role {
  role: 'source' | 'destination';
  id: string;
  path: string;
}

export interface CollectionCheckDeps {
  client: TransferClient;
  config: Config;
  /** What an auth failure's line tells the person to do. */
  loginHint: string;
  /** --fix: create a missing destination path. */
  fix: boolean;
  /** A service account's own hints (check its permissions) beat the login hint. */
  serviceAccount: boolean;
  /**
   * Called with a ConsentRequired answer to an ls of `role`: resolves when the
   * ls should be tried once more (the scopes were obtained), throws the error
   * to report otherwise.
   */
  consent(err: ConsentRequiredError, role: Role): Promise<void>;
}

export function jobRoles(config: Config): Role[] {
  return [
    { role: 'source', id: config.source.collection, path: config.source.collectionPath },
    { role: 'destination', id: config.destination.collection, path: config.destination.path },
  ];
}

/** The collection fits its role, its data can be reached, and the path is there: three lines. */
export async function checkCollection(deps: CollectionCheckDeps, r: Role): Promise<CheckResult[]> {
  const { client, config, loginHint } = deps;
  const [check, access, pathCheck] = [`${r.role} collection`, `${r.role} data access`, `${r.role} path`];
  const out: CheckResult[] = [];
  let ep: Endpoint;
  try {
    ep = await client.getEndpoint(r.id);
  } catch (err) {
    if (err instanceof GlobusApiError && err.isNotFound) {
      out.push(fail(check, r.id, 'no such collection', `check ${r.role}.collection in ${config.file}`));
    } else out.push(failFromError(check, r.id, err, loginHint));
    out.push(skip(access, undefined, 'not checked without the collection'), skip(pathCheck, r.path, 'not checked without the collection'));
    return out;
  }
  const problem = unusable(ep, config, r);
  out.push(problem ? fail(check, r.id, problem.problem, problem.hint) : ok(check, r.id, `(${ep.display_name ?? 'no name'}) is ${kindName(ep)}${ep.high_assurance ? ', high assurance' : ''}`));
  if (problem) {
    out.push(skip(access, undefined, 'not checked: the collection cannot be used'), skip(pathCheck, r.path, 'not checked: the collection cannot be used'));
    return out;
  }

  // An ls is the cheapest call that needs the data_access consent; Globus checks consent before the path.
  const listed = await lsWithConsent(deps, r);
  if (listed === 'missing') {
    out.push(ok(access, undefined, `to ${r.id} is granted`));
    if (r.role === 'source') {
      const hint =
        config.source.listing === 'globus'
          ? `fix source.path in ${config.file}: with source.listing "globus" it is the folder's path on the source collection`
          : `set source.collectionPath in ${config.file} to how ${config.source.path} appears on the collection`;
      out.push(fail(pathCheck, r.path, 'not found on the source collection', hint));
    } else if (!deps.fix) {
      out.push(fail(pathCheck, r.path, 'does not exist on the destination collection', `run gsync test-config --fix --config ${config.file} to create it`));
    } else {
      try {
        const made = await makeDirs(client, r.id, r.path);
        out.push(ok(pathCheck, r.path, `created (--fix: ${made.join(', ')})`));
      } catch (err) {
        out.push(failFromError(pathCheck, r.path, err, loginHint, 'could not be created'));
      }
    }
  } else if (listed !== null) {
    const hint = deps.serviceAccount && listed instanceof GsyncError ? (listed.hint ?? loginHint) : loginHint;
    out.push(failFromError(access, undefined, listed, hint), skip(pathCheck, r.path, 'not checked without data access'));
  } else {
    out.push(ok(access, undefined, `to ${r.id} is granted`));
    out.push(ok(pathCheck, r.path, 'exists'));
  }
  return out;
}

/** null when the ls worked, 'missing' when the path is not there (access was granted), else the error. */
async function lsWithConsent(deps: CollectionCheckDeps, r: Role): Promise<null | 'missing' | unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.client.ls(r.id, r.path, { limit: 1 });
      return null;
    } catch (err) {
      if (err instanceof GlobusApiError && err.isNotFound && !(err instanceof ConsentRequiredError)) return 'missing';
      if (!(err instanceof ConsentRequiredError) || attempt > 1) return err;
      // A service account grants itself the scope; a person at a terminal logs in for it; else an auth error
      // naming the collection and scope (which is also the answer when asking again would not help).
      try {
        await deps.consent(err, r);
      } catch (consent) {
        return consent;
      }
    }
  }
}

/** mkdir each missing component, top down, after finding the deepest one that exists. */
export async function makeDirs(client: TransferClient, id: string, target: string): Promise<string[]> {
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
