import { createCredentials, type Credentials } from '../auth/credentials.js';
import type { Config } from '../config/schema.js';
import type { ServiceClientOptions } from '../globus/http.js';
import { TransferClient } from '../globus/transfer-client.js';
import type { Logger } from '../log/logger.js';
import { noCrash, type CrashHook } from '../run/crash-point.js';
import type { OpenRemote } from '../run/remote.js';

/**
 * The real remote for runJob: the job's credentials (service account from the
 * environment, else the stored login) and a TransferClient at
 * GLOBUS_SDK_SERVICE_URL_TRANSFER when set. Opened by runJob after it holds the
 * lock, so a bad client secret is recorded as that run's failure, as before.
 */
export function globusSession(config: Config, env: NodeJS.ProcessEnv, logger: Logger): OpenRemote {
  return () => {
    const credentials = createCredentials(config, env, logger);
    const client = transferClientFor(credentials, env, logger);
    return { remote: client, auth: credentials, close: () => client.close() };
  };
}

/** A TransferClient with the job's credentials, at GLOBUS_SDK_SERVICE_URL_TRANSFER when set; `overrides` for a command that wants other limits (status). */
export function transferClientFor(
  credentials: Credentials,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  overrides: Pick<ServiceClientOptions, 'retry' | 'timeoutMs'> = {},
): TransferClient {
  // GSYNC_HTTP_TIMEOUT_MS: per-request limit (default 60 s), for tests.
  return new TransferClient({ tokens: credentials.tokens, logger, env, timeoutMs: Number(env.GSYNC_HTTP_TIMEOUT_MS) || undefined, ...overrides });
}

/** GSYNC_CRASH_AT=<point>: the crash harness's kill switch (see src/run/crash-point.ts). */
export function crashHookFrom(env: NodeJS.ProcessEnv): CrashHook {
  const at = env.GSYNC_CRASH_AT;
  if (!at) return noCrash;
  return (name) => {
    if (name === at) process.kill(process.pid, 'SIGKILL');
  };
}

/** What runJob needs from the process, for `run`, `watch` and the demo: spread it into runJob's options. */
export function globusWiring(
  config: Config,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): { openRemote: OpenRemote; crashPoint: CrashHook; hookEnv: NodeJS.ProcessEnv } {
  // Hooks inherit the same environment (src/hooks/run-owed.ts withholds the client secret).
  return { openRemote: globusSession(config, env, logger), crashPoint: crashHookFrom(env), hookEnv: env };
}
