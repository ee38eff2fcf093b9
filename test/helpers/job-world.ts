import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log/logger.js';
import { DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT_ENV, type GlobusServer, type GlobusServerOptions } from '../../src/server/index.js';
import { globusWiring } from '../../src/commands/globus-session.js';
import { runJob, type RunJobOptions, type RunJobResult } from '../../src/sync/run-job.js';
import { DST_ID, readTree, SRC_ID, twoCollections } from '../server-support.js';

export interface JobWorld {
  srv: GlobusServer;
  base: string;
  src: string;
  dst: string;
  configFile: string;
  config: Config;
  /** Server URLs and service-account credentials: what a child gsync needs. */
  env: NodeJS.ProcessEnv;
  /** runJob's remote for this job, as `gsync run` wires it from `env`. */
  wiring: Pick<RunJobOptions, 'openRemote' | 'crashPoint'>;
  /** runJob, waiting; `env` replaces the world's environment for this run's credentials and URLs. */
  run(opts?: Partial<RunJobOptions> & { env?: NodeJS.ProcessEnv }): Promise<RunJobResult>;
  /** Source and destination hold the same files with the same contents. */
  inSync(): boolean;
  diff(): string;
  cleanup(): Promise<void>;
}

/** A job over two fresh folders served as collections by the local server, with a service account. */
export async function jobWorld(server: GlobusServerOptions = {}, configPatch: Record<string, unknown> = {}): Promise<JobWorld> {
  const { srv, base, src, dst } = await twoCollections('job', { ...server, collections: undefined });
  const raw = {
    name: 'e2e',
    source: { collection: SRC_ID, path: src, collectionPath: '/' },
    destination: { collection: DST_ID, path: '/' },
    auth: { clientId: DEMO_CLIENT_ID, tokenFile: path.join(base, 'tokens.json') },
    state: { path: path.join(base, 'state', 'e2e.db') },
    scan: { minAgeSeconds: 0 },
    ...configPatch,
  };
  const configFile = path.join(base, 'job.json');
  fs.writeFileSync(configFile, JSON.stringify(raw, null, 2));
  const env = { ...srv.env, ...DEMO_SERVICE_ACCOUNT_ENV };
  const parsed = parseConfig(raw, configFile, env);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const config = parsed.config;
  const diff = () => {
    const a = readTree(src);
    const b = readTree(dst);
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.filter((k) => a[k] !== b[k]).map((k) => `${k}: src ${JSON.stringify(a[k])} dst ${JSON.stringify(b[k])}`).join('\n');
  };
  return {
    srv,
    base,
    src,
    dst,
    configFile,
    config,
    env,
    wiring: globusWiring(config, env, silentLogger),
    run: ({ env: runEnv, ...opts } = {}) => runJob({ config, logger: silentLogger, ...globusWiring(config, runEnv ?? env, silentLogger), wait: true, pollIntervalMs: 20, ...opts }),
    inSync: () => diff() === '',
    diff,
    // The folders go with the test that made them (test/helpers/temp.ts); the server is the caller's to close.
    cleanup: () => srv.close(),
  };
}
