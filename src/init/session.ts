import { createCredentials, type Credentials } from '../auth/credentials.js';
import { nativeAppLogin } from '../auth/native-app-login.js';
import { LoginNeededError } from '../auth/user-token-source.js';
import type { Config } from '../config/schema.js';
import { ConsentRequiredError } from '../globus/errors.js';
import { TransferClient } from '../globus/transfer-client.js';
import type { Logger } from '../log/logger.js';
import type { Prompter } from './prompt.js';

/**
 * Globus for init: the job's own credentials, as every command gets them (a
 * service account from GLOBUS_CLIENT_ID/GLOBUS_CLIENT_SECRET needs no login;
 * a person's login is stored in the job's token file). At a terminal a
 * missing or refused login, and a consent a collection asks for, are done
 * there and then with gsync login's flow; without one nothing prompts.
 */
export class InitSession {
  private constructor(
    private config: Config,
    private readonly creds: Credentials,
    readonly client: TransferClient,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
    private readonly prompter: Prompter | undefined,
  ) {}

  /** undefined when only a login would give access and there is nobody to log in (no terminal). */
  static async open(config: Config, env: NodeJS.ProcessEnv, logger: Logger, prompter: Prompter | undefined): Promise<InitSession | undefined> {
    const creds = createCredentials(config, env, logger);
    if (creds.kind === 'user') {
      try {
        creds.requireUsable();
      } catch (err) {
        if (!(err instanceof LoginNeededError)) throw err;
        if (!prompter) return undefined;
        prompter.say('No Globus login for this job yet: logging in now, as gsync login would (to search and check collections).');
        await login(config, env, logger, prompter, []);
      }
    }
    // Few retries: a person is waiting, and an unreachable Globus is itself the answer.
    const client = new TransferClient({ tokens: creds.tokens, logger, env, retry: { maxRetries: 1 }, timeoutMs: 30_000 });
    return new InitSession(config, creds, client, env, logger, prompter);
  }

  get serviceAccount(): boolean {
    return this.creds.kind === 'client';
  }

  /** Later logins ask data_access for the collections known by then. */
  update(config: Config): void {
    this.config = config;
  }

  /**
   * One Transfer call; at a terminal, a ConsentRequired answer or a login
   * Globus refuses is fixed by logging in once, then the call is made again.
   * A service account asks for the scopes itself (Credentials).
   */
  async call<T>(fn: (client: TransferClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client);
    } catch (err) {
      if (err instanceof ConsentRequiredError && this.creds.kind === 'client') {
        await this.creds.handleConsentRequired(err);
      } else if (this.prompter && this.creds.kind === 'user' && (err instanceof ConsentRequiredError || err instanceof LoginNeededError)) {
        const scopes = err instanceof ConsentRequiredError ? err.requiredScopes : [];
        this.prompter.say(scopes.length ? 'Globus needs your consent for data access on this collection: logging in for it.' : 'Globus refused the stored login: logging in again.');
        await login(this.config, this.env, this.logger, this.prompter, scopes);
      } else {
        throw err;
      }
      return fn(this.client);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

async function login(config: Config, env: NodeJS.ProcessEnv, logger: Logger, prompter: Prompter, scopes: string[]): Promise<void> {
  await nativeAppLogin(config, { say: (l) => prompter.say(l), readLine: () => prompter.readLine() }, env, logger, scopes);
  prompter.say(`Logged in. Tokens saved to ${config.auth.tokenFile} (mode 0600).`);
}
