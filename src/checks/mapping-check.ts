import fs from 'node:fs';
import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import { acquireJobLock, lockPathFor, type JobLock } from '../lock/job-lock.js';
import { probeMapping, type StatPath } from './mapping-probe.js';
import { fail, failFromError, ok, skip, type CheckResult } from './result.js';

const CHECK = 'source mapping';

/**
 * test-config's proof that source.collectionPath names source.path on the
 * source collection (src/checks/mapping-probe.ts). Run under the job lock, so
 * that no run's scan can see, and ship, the probe file while it exists. The
 * lock file is left by the first run: without it no run ever started, and it
 * is not created here (test-config creates nothing).
 */
export async function checkMapping(config: Config, stat: StatPath, sourceUsable: boolean, loginHint: string): Promise<CheckResult> {
  const target = `${config.source.path} as ${config.source.collectionPath}`;
  if (!sourceUsable) return skip(CHECK, target, 'not checked without a readable source directory and a usable source collection');
  let lock: JobLock | undefined;
  try {
    const lockPath = lockPathFor(config.state.path);
    if (fs.existsSync(lockPath)) lock = acquireJobLock(lockPath);
  } catch (err) {
    if (err instanceof GsyncError && err.kind === 'locked') return skip(CHECK, target, `not checked now: ${err.message}`);
    throw err;
  }
  try {
    const r = await probeMapping({ collection: config.source.collection, sourcePath: config.source.path, collectionPath: config.source.collectionPath }, stat);
    if (r.status === 'proven') return ok(CHECK, target, `is right: ${r.detail}`);
    if (r.status === 'unproven') return skip(CHECK, target, `not checked: ${r.why}`);
    return fail(CHECK, target, r.problem, r.hint);
  } catch (err) {
    return failFromError(CHECK, target, err, loginHint, 'could not look for the probe through Globus');
  } finally {
    lock?.release();
  }
}
