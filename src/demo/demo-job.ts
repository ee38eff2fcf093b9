import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { RunJobOptions } from '../sync/run-job.js';
import { DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT_ENV, startGlobusServer, type GlobusServer } from '../server/index.js';

export const DEMO_SOURCE_COLLECTION = '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1d5c1';
export const DEMO_DESTINATION_COLLECTION = '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1d5c2';

export interface DemoOptions {
  /** Folder for the source, destination, state and config; must exist. */
  work: string;
  out: NodeJS.WritableStream;
  logger: Logger;
  /** Builds runJob's remote for the demo job (the command passes globusWiring). */
  wire(config: Config, env: NodeJS.ProcessEnv, logger: Logger): Pick<RunJobOptions, 'openRemote' | 'crashPoint'>;
  /** Wall clock in ms (the tree's mtimes are set relative to it). */
  now?: () => number;
  /** `--pull`: the pull story (src/demo/pull-demo.ts) instead. */
  pull?: boolean;
}

/** `gsync demo --pull`: the per-file hook the job runs. */
export interface DemoPull {
  onFile: string[];
}

export interface DemoJob {
  srv: GlobusServer;
  source: string;
  destination: string;
  config: Config;
  /** Only the server URLs and the service account: nothing from the caller's environment reaches Globus. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * A job whose two collections are folders under `work`, served by the local
 * Globus-compatible server on a free loopback port, using the server's built-in
 * service account so no login is needed.
 */
export async function startDemoJob(work: string, o: { pull?: DemoPull } = {}): Promise<DemoJob> {
  const source = path.join(work, 'source');
  const destination = path.join(work, 'destination');
  fs.mkdirSync(source, { recursive: true });
  fs.mkdirSync(destination, { recursive: true });
  const srv = await startGlobusServer({
    port: 0,
    collections: [
      { id: DEMO_SOURCE_COLLECTION, root: source, kind: 'mapped', displayName: 'gsync demo source' },
      { id: DEMO_DESTINATION_COLLECTION, root: destination, kind: 'guest', displayName: 'gsync demo destination' },
    ],
  });
  try {
    const env: NodeJS.ProcessEnv = { ...srv.env, ...DEMO_SERVICE_ACCOUNT_ENV };
    const raw = {
      name: 'demo',
      source: { collection: DEMO_SOURCE_COLLECTION, path: source, collectionPath: '/' },
      destination: { collection: DEMO_DESTINATION_COLLECTION, path: '/' },
      auth: { clientId: DEMO_CLIENT_ID, tokenFile: path.join(work, 'tokens.json') },
      state: { path: path.join(work, 'state', 'demo.db') },
      // The demo writes its files and syncs them at once; a real job waits a minute for writers to finish.
      scan: { minAgeSeconds: 0 },
      metrics: { textfile: path.join(work, 'metrics', 'gsync-demo.prom') },
      // Pull mode (issue 29): the source collection listed through Globus, the destination a folder here, a hook per file.
      ...(o.pull
        ? {
            source: { collection: DEMO_SOURCE_COLLECTION, path: '/', listing: 'globus' },
            destination: { collection: DEMO_DESTINATION_COLLECTION, path: '/', localPath: destination },
            hooks: { onFile: o.pull.onFile, parallel: 4 },
          }
        : {}),
    };
    const file = path.join(work, 'demo.json');
    fs.writeFileSync(file, JSON.stringify(raw, null, 2) + '\n');
    const parsed = parseConfig(raw, file, env);
    if (!parsed.ok) throw new Error(`internal: the demo config is invalid: ${parsed.errors.join('; ')}`);
    return { srv, source, destination, config: parsed.config, env, close: () => srv.close() };
  } catch (err) {
    await srv.close();
    throw err;
  }
}
