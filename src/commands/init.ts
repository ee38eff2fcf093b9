import { spawn } from 'node:child_process';
import { GsyncError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { EndOfAnswers } from '../init/prompt.js';
import { runInit, type InitFlags } from '../init/run-init.js';
import { createLogger } from '../log/logger.js';
import type { CommandContext } from './context.js';

/**
 * gsync init: writes a job config (src/init/), then runs `gsync test-config`
 * on it as its own process, on the same terminal, so its checklist, its
 * inline login and its exit code are exactly those of the command people
 * run later.
 */
export async function initCommand(opts: InitFlags, ctx: CommandContext): Promise<number> {
  const logger = createLogger({ quiet: ctx.global.quiet, json: ctx.global.logJson, level: ctx.global.logLevel ?? 'warn' });
  let file: string;
  try {
    file = await runInit(opts, {
      env: ctx.env,
      err: ctx.err ?? process.stderr,
      stdin: ctx.stdin,
      interactive: ctx.interactive,
      logger,
      cwd: process.cwd(),
      configFlag: ctx.global.config,
    });
  } catch (err) {
    if (err instanceof EndOfAnswers) throw new GsyncError('usage', err.message);
    throw err;
  }
  (ctx.err ?? process.stderr).write(`Running gsync test-config --config ${file}\n`);
  return testConfigChild(file, ctx);
}

function testConfigChild(file: string, ctx: CommandContext): Promise<number> {
  const entry = process.argv[1];
  if (!entry) return Promise.resolve(EXIT.failure);
  const global = [...(ctx.global.quiet ? ['--quiet'] : []), ...(ctx.global.logJson ? ['--log-json'] : []), ...(ctx.global.logLevel ? ['--log-level', ctx.global.logLevel] : [])];
  const child = spawn(process.execPath, [entry, ...global, '--config', file, 'test-config'], { stdio: 'inherit', env: ctx.env });
  return new Promise((resolve) => {
    child.on('error', () => resolve(EXIT.failure));
    child.on('close', (code, signal) => resolve(code ?? (signal ? EXIT.failure : EXIT.ok)));
  });
}
