import fs from 'node:fs';
import { usageError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { parseChangeList, type ChangeFormat } from './formats.js';
import { resolveChanges } from './resolve.js';

export interface ChangeListOptions {
  /** A file, or `-` for standard input. */
  file: string;
  format: ChangeFormat;
  sourcePath: string;
  stdin: NodeJS.ReadableStream;
  logger: Logger;
}

/**
 * Reads, parses and resolves `--changes`: the source-relative paths to look at.
 * A list that cannot be read, or a record that is not a path in the format, stops
 * the command with a usage error before the lock is taken: the engine's output is
 * wrong, and a run that skipped the record would exit 0 and let the operator clear
 * a changelog whose entry was never looked at. A path outside the source is only
 * refused with a warning: it was never gsync's to ship.
 */
export async function loadChangeList(opts: ChangeListOptions): Promise<string[]> {
  const data = await readAll(opts);
  const parsed = parseChangeList(data, opts.format);
  if (parsed.bad.length > 0) {
    const first = parsed.bad[0]!;
    const more = parsed.bad.length > 1 ? ` (and ${parsed.bad.length - 1} more)` : '';
    throw usageError(`--changes ${opts.file}: record ${first.record} is not a ${opts.format} change-list entry: ${first.message}${more}`);
  }
  // Relative paths as find prints them: from the directory gsync was started in.
  const { relPaths, refused, missing } = resolveChanges(parsed.paths, opts.sourcePath, undefined, process.cwd());
  for (const r of refused) opts.logger.warn({ path: r.path, reason: 'refused' }, `change list: ${r.path} ${r.message}`);
  if (missing > 0) {
    opts.logger.warn(
      { missing, listed: parsed.paths.length },
      `change list: ${missing} of ${parsed.paths.length} listed paths exist nowhere under ${opts.sourcePath} (read from the working directory ${process.cwd()} or from source.path); they are recorded gone if they were tracked`,
    );
  }
  opts.logger.info({ listed: parsed.paths.length, paths: relPaths.length, refused: refused.length }, `change list: ${relPaths.length} paths to look at`);
  return relPaths;
}

async function readAll(opts: ChangeListOptions): Promise<Buffer> {
  if (opts.file !== '-') {
    try {
      return fs.readFileSync(opts.file);
    } catch (err) {
      throw usageError(`--changes ${opts.file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of opts.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** The `--changes` and `--changes-format` flags of run and plan. */
export interface ChangeListFlags {
  changes?: string;
  changesFormat?: ChangeFormat;
}

/** The paths `--changes` lists, or undefined for a full walk. */
export async function changeListFor(flags: ChangeListFlags, sourcePath: string, stdin: NodeJS.ReadableStream, logger: Logger): Promise<string[] | undefined> {
  if (flags.changes === undefined) return undefined;
  return loadChangeList({ file: flags.changes, format: flags.changesFormat ?? 'lines', sourcePath, stdin, logger });
}
