import { loginHintFor } from '../auth/credentials.js';
import { lineReader, type LineReader } from '../auth/line-reader.js';
import { CODE_WAIT_MS, nativeAppLogin } from '../auth/native-app-login.js';
import { collectionsInScopes } from '../auth/scopes.js';
import { configProblems } from '../checks/local-checks.js';
import { checksExitCode } from '../checks/result.js';
import { runChecks } from '../checks/run-checks.js';
import { resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { GsyncError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Logger } from '../log/logger.js';
import { checklistSummary, formatCheck } from '../report/checklist.js';
import { loadJob, type CommandContext, type Job } from './context.js';

export interface TestConfigOptions {
  fix?: boolean;
  /** false (--no-login): never log in, even at a terminal. */
  login?: boolean;
}

/**
 * Runs every check and prints one line each, then a line saying whether the
 * job is ready for cron. The one-off setup command: at a terminal (stdin and
 * stderr are TTYs) a user login that is missing or refused is done inline, as
 * `gsync login` does it, and so is a consent a collection asks for; the
 * checks then go on in the same run. Without a terminal, or with --no-login,
 * it never prompts: it is what cron wrappers run to find out why a job stopped.
 *
 * Exit codes: 2 when the config itself is invalid (nothing else can be checked);
 * 77 when every failure is one a login or consent fixes; 1 for any other
 * failure; 0 when everything passed.
 */
export async function testConfigCommand(opts: TestConfigOptions, ctx: CommandContext): Promise<number> {
  let job: Job;
  try {
    job = loadJob(ctx, { logFile: false });
  } catch (err) {
    if (!(err instanceof GsyncError) || (err.kind !== 'config' && err.kind !== 'usage')) throw err;
    for (const r of configProblems(resolveConfigPath(ctx.global.config, ctx.env), ctx.env, err)) ctx.out.write(formatCheck(r) + '\n');
    return EXIT.usage;
  }
  const { config, logger } = job;
  const offerLogin = ctx.interactive && opts.login !== false;
  const terminal = offerLogin ? new TerminalLogin(config, ctx, logger) : undefined;
  try {
    const results = await runChecks(config, {
      env: ctx.env,
      logger,
      fix: opts.fix === true,
      loginHint: ctx.interactive ? `run gsync login now (gsync login --config ${config.file}), then this check again` : loginHintFor(config),
      login: terminal && ((scopes) => terminal.login(scopes)),
      onResult: (r) => ctx.out.write(formatCheck(r) + '\n'),
    });
    ctx.out.write(checklistSummary(results) + '\n');
    return checksExitCode(results);
  } finally {
    terminal?.close();
  }
}

/**
 * gsync login's flow at the terminal, in the middle of the checklist. Its
 * lines go to stderr, the terminal we know a person watches (stdout may be a
 * file); the code is read from stdin. No browser is opened: the URL is there.
 */
class TerminalLogin {
  private lines?: LineReader;

  constructor(
    private readonly config: Config,
    private readonly ctx: CommandContext,
    private readonly logger: Logger,
  ) {}

  async login(scopes: string[]): Promise<void> {
    const say = (line: string) => (this.ctx.err ?? process.stderr).write(line + '\n');
    const ids = collectionsInScopes(scopes);
    say(
      scopes.length === 0
        ? `No usable Globus login for this job: logging in now, as gsync login --config ${this.config.file} would.`
        : `Globus needs your consent for data access on ${ids.length ? `collection ${ids.join(', ')}` : `scope ${scopes.join(' ')}`}: logging in for it.`,
    );
    this.lines ??= lineReader(this.ctx.stdin, CODE_WAIT_MS);
    const lines = this.lines;
    await nativeAppLogin(this.config, { say, readLine: () => lines.next() }, this.ctx.env, this.logger, scopes);
    say(`Logged in. Tokens saved to ${this.config.auth.tokenFile} (mode 0600).`);
  }

  close(): void {
    this.lines?.close();
  }
}
