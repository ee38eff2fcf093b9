import { spawn } from 'node:child_process';
import { globusAuthFactory, globusCollectionLookup } from '../auth/globus-clients.js';
import { lineReader } from '../auth/line-reader.js';
import { login, type LoginIO, type LoginResult } from '../auth/login-flow.js';
import { TokenStore } from '../auth/token-store.js';
import type { Config } from '../config/schema.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Logger } from '../log/logger.js';
import { loadJob, type CommandContext } from './context.js';

/** Authorization codes are short-lived; waiting longer than Globus keeps one is pointless. */
export const CODE_WAIT_MS = 10 * 60_000;

export async function loginCommand(opts: { open?: boolean }, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  if (ctx.env.GLOBUS_CLIENT_SECRET) {
    logger.warn('GLOBUS_CLIENT_SECRET is set, so runs use the client-credentials grant, not this login');
  }
  const lines = lineReader(ctx.stdin, CODE_WAIT_MS);
  const io: LoginIO = {
    say: (line) => ctx.out.write(line + '\n'),
    readLine: () => lines.next(),
    open: ctx.interactive && opts.open !== false ? openInBrowser : undefined,
  };
  try {
    const res = await nativeAppLogin(config, io, ctx.env, logger);
    ctx.out.write(`Logged in. Tokens saved to ${config.auth.tokenFile} (mode 0600).\n`);
    ctx.out.write(`The access token expires ${res.expiresAt.toISOString()}; runs refresh it without a login.\n`);
    return EXIT.ok;
  } finally {
    lines.close();
  }
}

/**
 * The login `gsync login` runs, against the real (or GLOBUS_SDK_SERVICE_URL_*)
 * Auth and Transfer, storing into auth.tokenFile; test-config runs it inline.
 * `scopes` are asked for as well (what a ConsentRequired answer named).
 */
export function nativeAppLogin(config: Config, io: LoginIO, env: NodeJS.ProcessEnv, logger: Logger, scopes: string[] = []): Promise<LoginResult> {
  return login(
    config,
    io,
    {
      auth: globusAuthFactory(env, logger)({ clientId: config.auth.clientId }),
      store: new TokenStore(config.auth.tokenFile),
      lookup: globusCollectionLookup(env, logger),
      logger,
    },
    { scopes },
  );
}

/** Best effort and silent on failure: the URL is printed anyway. */
function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    /* no opener installed */
  }
}
