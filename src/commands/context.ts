import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { usageError } from '../errors/errors.js';
import { createLogger, type Logger } from '../log/logger.js';

/** Options every command accepts; same names and meanings everywhere. */
export interface GlobalOptions {
  config?: string;
  quiet?: boolean;
  logJson?: boolean;
  logLevel?: string;
}

/** What a command needs from the process, injectable so tests can run commands in-process. */
export interface CommandContext {
  global: GlobalOptions;
  /** Command results (plan items, status, checklists) go here; logs go to stderr. */
  out: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** True when a person can answer a prompt; never true under cron or systemd. */
  interactive: boolean;
  stdin: NodeJS.ReadableStream;
  /** Where prompts for the person at the terminal go (stderr); default process.stderr. */
  err?: NodeJS.WritableStream;
}

export function processContext(global: GlobalOptions): CommandContext {
  return {
    global,
    out: process.stdout,
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    stdin: process.stdin,
    err: process.stderr,
  };
}

export interface Job {
  config: Config;
  logger: Logger;
}

/** Load the job's config and a logger configured from it and the global flags. */
export function loadJob(ctx: CommandContext, opts: { logFile?: boolean } = {}): Job {
  const config = loadConfig(ctx.global.config, ctx.env);
  const logger = createLogger({
    quiet: ctx.global.quiet,
    json: ctx.global.logJson,
    level: ctx.global.logLevel ?? config.log.level,
    // false: test-config checks the log file's folder and must not create it (or fail on it) first.
    file: opts.logFile === false ? undefined : config.log.file,
  });
  return { config, logger: logger.child({ job: config.name }) };
}

/**
 * What reads the source folder on this host has no meaning with source.listing
 * "globus" (issue 29), where the source is never read locally: refused with
 * exit 2 and the reason, rather than reading whatever sits at that path here.
 */
export function refuseWithGlobusListing(config: Config, what: string, instead: string): void {
  if (config.source.listing !== 'globus') return;
  throw usageError(`${what} reads source.path on this host, and source.listing is "globus" in ${config.file}: the source is only listed through Globus`, instead);
}
