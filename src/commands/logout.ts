import { globusAuthFactory } from '../auth/globus-clients.js';
import { logout } from '../auth/logout.js';
import { TokenStore } from '../auth/token-store.js';
import { EXIT } from '../errors/exit-codes.js';
import { loadJob, type CommandContext } from './context.js';

export async function logoutCommand(_opts: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  const { config, logger } = loadJob(ctx);
  const store = new TokenStore(config.auth.tokenFile);
  const authFor = globusAuthFactory(ctx.env, logger);
  const res = await logout(store, (clientId) => authFor({ clientId: clientId ?? config.auth.clientId }), logger);
  if (!res.existed) {
    ctx.out.write(`Not logged in: no token file at ${store.file}.\n`);
  } else {
    const failed = res.failed ? `; ${res.failed} could not be revoked (see the warnings)` : '';
    ctx.out.write(`Logged out: ${res.revoked} token(s) revoked${failed}; deleted ${store.file}.\n`);
  }
  return EXIT.ok;
}
