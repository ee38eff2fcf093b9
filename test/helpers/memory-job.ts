import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log/logger.js';
import { runJob, type RunJobOptions, type RunJobResult } from '../../src/sync/run-job.js';
import { DST_ID, SRC_ID } from '../server-support.js';
import { MemoryRemote } from '../support/memory-remote.js';
import { tempDir } from './temp.js';

export interface MemoryJob {
  base: string;
  /** The source folder (SRC_ID's root): write the tree here. */
  src: string;
  config: Config;
  remote: MemoryRemote;
  /** runJob over the in-memory remote; --wait unless `opts` says otherwise. */
  run(opts?: Partial<RunJobOptions>): Promise<RunJobResult>;
}

/** A job over the in-memory remote (no server, no network) in a new temporary folder; `scan` adds to the job's scan settings. */
export function memoryJob(name: string, scan: Record<string, unknown> = {}): MemoryJob {
  const base = tempDir(`gsync-${name}-`);
  const src = path.join(base, 'src');
  fs.mkdirSync(src);
  const raw = {
    name,
    source: { collection: SRC_ID, path: src, collectionPath: '/' },
    destination: { collection: DST_ID, path: '/dst/' },
    auth: { clientId: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001', tokenFile: path.join(base, 'tokens.json') },
    state: { path: path.join(base, 'state.db') },
    scan: { minAgeSeconds: 0, ...scan },
  };
  const parsed = parseConfig(raw, path.join(base, 'job.json'), {});
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const config = parsed.config;
  const remote = new MemoryRemote({ [SRC_ID]: src });
  const run = (opts: Partial<RunJobOptions> = {}) => runJob({ config, logger: silentLogger, openRemote: remote.session(), wait: true, pollIntervalMs: 1, ...opts });
  return { base, src, config, remote, run };
}
