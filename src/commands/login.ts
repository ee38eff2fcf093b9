import { spawn } from 'node:child_process';
import { lineReader } from '../auth/line-reader.js';
import type { LoginIO } from '../auth/login-flow.js';
import { CODE_WAIT_MS, nativeAppLogin } from '../auth/native-app-login.js';
import { EXIT } from '../errors/exit-codes.js';
import { loadJob, type CommandContext } from './context.js';

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
