import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { usageError } from '../errors/errors.js';
import { coveringPath, readSharedPaths, realOrResolved, type SharedPath } from './gcp-paths.js';
import { isUuid } from './ids.js';

/** Where gsync looks; each overridable (tests, unusual installs). */
export interface LocalPlaces {
  /** Globus Connect Personal's state folder: GSYNC_GCP_DIR, else ~/.globusonline/lta (as the SDK's LocalGlobusConnectPersonal). */
  gcpDir: string;
  /** Globus Connect Server's node file: GSYNC_GCS_INFO, else /var/lib/globus-connect-server/info.json (as the SDK's LocalGlobusConnectServer). */
  gcsInfo: string;
  home: string;
}

export function localPlaces(env: NodeJS.ProcessEnv): LocalPlaces {
  const home = env.HOME || os.homedir();
  return {
    gcpDir: env.GSYNC_GCP_DIR || path.join(home, '.globusonline', 'lta'),
    gcsInfo: env.GSYNC_GCS_INFO || '/var/lib/globus-connect-server/info.json',
    home,
  };
}

/** The local collection, or the Globus Connect Server endpoint whose mapped collections hold it. */
export type LocalFinding =
  | { kind: 'env'; collection: string; from: string }
  | { kind: 'gcp'; collection: string; from: string; shared: SharedPath; sharedFrom: string }
  | { kind: 'gcs'; endpoint: string; from: string };

/**
 * In the order the issue (and the RADICAL orbit plugin) gives: the
 * GSYNC_LOCAL_COLLECTION variable; Globus Connect Personal's client-id.txt,
 * whose config-paths must share `sourceDir` (refused otherwise, exit 2);
 * Globus Connect Server's info.json, which names only the endpoint (the
 * caller finds its mapped collections). undefined when none is there.
 */
export function findLocalCollection(sourceDir: string, env: NodeJS.ProcessEnv): LocalFinding | undefined {
  const places = localPlaces(env);
  const fromEnv = env.GSYNC_LOCAL_COLLECTION?.trim();
  if (fromEnv) {
    if (!isUuid(fromEnv)) throw usageError(`GSYNC_LOCAL_COLLECTION is "${fromEnv}", not a collection UUID`, 'set it to the id gsync collections shows, or unset it');
    return { kind: 'env', collection: fromEnv.toLowerCase(), from: 'GSYNC_LOCAL_COLLECTION' };
  }

  const idFile = path.join(places.gcpDir, 'client-id.txt');
  const gcpId = readTrimmed(idFile);
  if (gcpId !== undefined) {
    if (!isUuid(gcpId)) throw usageError(`${idFile} does not hold a collection id ("${gcpId.slice(0, 40)}")`, 'run Globus Connect Personal setup again, or pass --source-collection UUID');
    const pathsFile = path.join(places.gcpDir, 'config-paths');
    const shared = readSharedPaths(pathsFile, places.home);
    const real = realOrResolved(sourceDir);
    const covering = coveringPath(shared, real);
    if (!covering) {
      throw usageError(
        `source directory ${sourceDir} is not shared by Globus Connect Personal ${gcpId} (it shares ${shared.map((s) => s.written).join(', ') || 'nothing'})`,
        `add a line "${real},0,0" to ${pathsFile} and restart Globus Connect Personal, or pass --source-collection UUID`,
      );
    }
    return { kind: 'gcp', collection: gcpId.toLowerCase(), from: idFile, shared: covering, sharedFrom: pathsFile };
  }

  const info = readTrimmed(places.gcsInfo);
  if (info !== undefined) {
    let endpoint: unknown;
    try {
      endpoint = (JSON.parse(info) as { endpoint_id?: unknown }).endpoint_id;
    } catch {
      endpoint = undefined;
    }
    // The SDK treats an unreadable or malformed info.json as no local server; so does gsync.
    if (typeof endpoint === 'string' && isUuid(endpoint)) return { kind: 'gcs', endpoint: endpoint.toLowerCase(), from: places.gcsInfo };
  }
  return undefined;
}

function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw usageError(`${file} cannot be read (${code})`, 'fix its permissions, or pass --source-collection UUID');
  }
}
