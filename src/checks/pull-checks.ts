import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { FileList } from '../globus/schemas.js';
import { fail, failFromError, ok, skip, type CheckResult } from './result.js';

/*
 * test-config in pull mode (source.listing "globus", issue 29). The source is
 * never read on this host: whether source.path can be listed, and whether
 * destination.path exists, are the collection checks' lines (they list both
 * through Globus). What is left is the local side: with destination.localPath,
 * that folder must really be destination.path on the destination collection,
 * or file hooks would be handed paths to other files.
 */

const CHECK = 'destination local path';

/** Replaces the local source-directory line: in pull mode there is no local source to look at. */
export function pulledSourceLine(config: Config): CheckResult {
  return ok('source directory', config.source.path, `is listed through Globus on collection ${config.source.collection} (source.listing "globus"); never read on this host`);
}

export interface ListDestination {
  ls(collection: string, dirPath: string, opts: { filter: string; limit: number }): Promise<FileList>;
}

/**
 * With destination.localPath: write a probe file (a random name and size) in
 * that folder, find it through a Globus listing of destination.path, remove it.
 * Found with that size: the folder is the destination. Not found: localPath
 * names another folder (or the collection maps elsewhere).
 */
export async function checkLocalDestination(config: Config, client: ListDestination, usable: boolean, loginHint: string): Promise<CheckResult> {
  const local = config.destination.localPath;
  const target = local === undefined ? undefined : `${local} as ${config.destination.path}`;
  if (local === undefined) return skip(CHECK, undefined, 'not set: a remote-to-remote pull, file hooks get no local path');
  if (!usable) return skip(CHECK, target, 'not checked without a usable destination collection');
  const name = `.gsync-probe-${crypto.randomBytes(8).toString('hex')}`;
  const size = 17 + crypto.randomInt(4000);
  const file = path.join(local, name);
  try {
    fs.writeFileSync(file, Buffer.alloc(size, 0x2e), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(CHECK, target, code === 'ENOENT' ? 'does not exist' : `a probe file cannot be written there (${code})`, `create it, or fix destination.localPath in ${config.file}`);
  }
  try {
    const listed = await client.ls(config.destination.collection, config.destination.path, { filter: `name:${name}`, limit: 10 });
    const seen = listed.DATA.find((e) => e.name === name);
    if (seen !== undefined && seen.size === size) return ok(CHECK, target, `is right: Globus lists the probe file ${name} (${size} B) in ${config.destination.path}`);
    return fail(
      CHECK,
      target,
      `a probe file written in ${local} is not in ${config.destination.path} on collection ${config.destination.collection}${seen ? ` (a file of that name has ${seen.size} B)` : ''}`,
      `set destination.localPath in ${config.file} to the folder destination.path is on this host`,
    );
  } catch (err) {
    return failFromError(CHECK, target, err, loginHint, 'could not look for the probe through Globus');
  } finally {
    fs.rmSync(file, { force: true });
  }
}
