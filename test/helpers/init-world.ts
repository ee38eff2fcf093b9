import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_SERVICE_ACCOUNT_ENV, startGlobusServer, type GlobusServer } from '../../src/server/index.js';

/** The fake Globus Connect Personal collection (root "/": GCP on Linux shows local paths as they are). */
export const GCP_ID = 'a0a0a0a0-0000-4000-8000-0000000000c1';
/** A guest collection on the archive, the destination. */
export const ARCHIVE_ID = 'a0a0a0a0-0000-4000-8000-0000000000d1';
/** The archive's Globus Connect Server endpoint itself: not a collection. */
export const ENDPOINT_ID = 'a0a0a0a0-0000-4000-8000-0000000000e1';

export interface InitWorld {
  srv: GlobusServer;
  base: string;
  /** HOME of the person running init; holds .globusonline/lta (client-id.txt, config-paths). */
  home: string;
  /** A folder Globus Connect Personal shares (config-paths), with the source directory under it. */
  shared: string;
  source: string;
  /** The archive's folder, behind ARCHIVE_ID; holds "incoming". */
  archive: string;
  gcpDir: string;
  /** A person's environment: server URLs, HOME, no service account; GSYNC_GCS_INFO points at a file that does not exist. */
  env: NodeJS.ProcessEnv;
  /** The same with the local server's service account. */
  serviceEnv: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/**
 * A machine with Globus Connect Personal set up (client-id.txt, config-paths
 * sharing ~/instrument) and the local Globus-compatible server standing in
 * for Globus: the GCP collection (mine), a guest collection on the archive,
 * and the archive's endpoint. Everything lives under one mkdtemp folder.
 */
export async function initWorld(): Promise<InitWorld> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-init-'));
  const home = path.join(base, 'home');
  const shared = path.join(home, 'instrument');
  const source = path.join(shared, 'raw');
  const archive = path.join(base, 'archive');
  const gcpDir = path.join(home, '.globusonline', 'lta');
  for (const d of [source, path.join(archive, 'incoming'), gcpDir]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(source, 'scan-001.h5'), 'data');
  fs.writeFileSync(path.join(gcpDir, 'client-id.txt'), GCP_ID + '\n');
  fs.writeFileSync(path.join(gcpDir, 'config-paths'), '~/instrument,0,1\n');
  let srv: GlobusServer;
  try {
    srv = await startGlobusServer({
      collections: [
        { id: GCP_ID, root: '/', kind: 'gcp', displayName: 'beamline laptop', mine: true },
        { id: ARCHIVE_ID, root: archive, kind: 'guest', displayName: 'Tape archive incoming' },
        { id: ENDPOINT_ID, root: archive, kind: 'endpoint', displayName: 'Tape archive endpoint' },
      ],
    });
  } catch (err) {
    fs.rmSync(base, { recursive: true, force: true });
    throw err;
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, GSYNC_GCS_INFO: path.join(base, 'no-gcs-info.json'), ...srv.env };
  return {
    srv,
    base,
    home,
    shared,
    source,
    archive,
    gcpDir,
    env,
    serviceEnv: { ...env, ...DEMO_SERVICE_ACCOUNT_ENV },
    cleanup: async () => {
      await srv.close();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
