import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { usageError } from '../errors/errors.js';
import { runDemo } from '../demo/run-demo.js';
import { createLogger } from '../log/logger.js';
import type { CommandContext } from './context.js';
import { globusWiring } from './globus-session.js';

export interface DemoCommandOptions {
  dir?: string;
  keep?: boolean;
  /** The pull story (issue 29): a remote collection listed through Globus, a hook per arrival. */
  pull?: boolean;
}

export async function demoCommand(opts: DemoCommandOptions, ctx: CommandContext): Promise<number> {
  const { work, created } = workFolder(opts.dir);
  // The demo's story goes to stdout; routine run logs would drown it, so only warnings unless asked.
  const logger = createLogger({ quiet: ctx.global.quiet, json: ctx.global.logJson, level: ctx.global.logLevel ?? 'warn' }).child({ job: 'demo' });
  try {
    return await runDemo({ work, out: ctx.out, logger, wire: globusWiring, pull: opts.pull });
  } finally {
    if (opts.keep) ctx.out.write(`\nKept the work folder: ${work} (config demo.json, state, metrics)\n`);
    else removeWork(work, created);
  }
}

/** A fresh temporary folder, or --dir if it is missing or empty: the demo never writes over someone's files. */
function workFolder(dir: string | undefined): { work: string; created: boolean } {
  if (dir === undefined) return { work: fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-demo-')), created: true };
  const work = path.resolve(dir);
  if (!fs.existsSync(work)) {
    fs.mkdirSync(work, { recursive: true });
    return { work, created: true };
  }
  if (!fs.statSync(work).isDirectory()) throw usageError(`--dir ${work} is not a folder`);
  if (fs.readdirSync(work).length > 0) throw usageError(`--dir ${work} is not empty`, 'give a new or empty folder; the demo writes a source and a destination tree there');
  return { work, created: false };
}

function removeWork(work: string, created: boolean): void {
  if (created) {
    fs.rmSync(work, { recursive: true, force: true });
    return;
  }
  for (const name of fs.readdirSync(work)) fs.rmSync(path.join(work, name), { recursive: true, force: true });
}
