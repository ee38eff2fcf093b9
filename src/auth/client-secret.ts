import fs from 'node:fs';
import { configError, GsyncError } from '../errors/errors.js';
import { GlobusApiError } from '../globus/errors.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Where the secret came from, for messages: never the secret itself. */
  secretSource: string;
  /** Where the client id came from, for messages. */
  idSource: 'GLOBUS_CLIENT_ID' | 'auth.clientId';
}

/**
 * Service-account credentials, or undefined for a user login.
 * GLOBUS_CLIENT_ID + GLOBUS_CLIENT_SECRET win (the names the Globus CLI and
 * SDK use); otherwise auth.clientSecretFile pairs with auth.clientId.
 * The secret file must be private: a readable secret is a leaked secret, so
 * refuse it rather than use it.
 */
export function resolveClientCredentials(
  auth: { clientId: string; clientSecretFile?: string },
  env: NodeJS.ProcessEnv,
  configFile: string,
): ClientCredentials | undefined {
  const envId = env.GLOBUS_CLIENT_ID?.trim();
  const envSecret = env.GLOBUS_CLIENT_SECRET?.trim();
  const idSource = envId ? 'GLOBUS_CLIENT_ID' : 'auth.clientId';
  if (envSecret) return { clientId: envId || auth.clientId, clientSecret: envSecret, secretSource: 'GLOBUS_CLIENT_SECRET', idSource };
  if (envId && !auth.clientSecretFile) {
    throw configError('GLOBUS_CLIENT_ID is set but GLOBUS_CLIENT_SECRET is not', `set both, or unset GLOBUS_CLIENT_ID to use gsync login`);
  }
  if (!auth.clientSecretFile) return undefined;
  return { clientId: envId || auth.clientId, clientSecret: readSecretFile(auth.clientSecretFile, configFile), secretSource: auth.clientSecretFile, idSource };
}

export function readSecretFile(file: string, configFile: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw configError(`auth.clientSecretFile ${file} cannot be read (${(err as NodeJS.ErrnoException).code})`, `fix auth.clientSecretFile in ${configFile}`);
  }
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw configError(`auth.clientSecretFile ${file} is readable by group or others (mode ${mode})`, `run: chmod 600 ${file}`);
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (!secret) throw configError(`auth.clientSecretFile ${file} is empty`, `put the client secret in it`);
  return secret;
}

/**
 * Globus Auth refusing the client itself (401, invalid_client) cannot say
 * whether the id or the secret is wrong, so the hint names both, where each
 * came from, secret first (the usual culprit). Anything else is returned as is.
 */
export function rejectedClient(err: unknown, client: ClientCredentials, configFile: string): unknown {
  if (!(err instanceof GlobusApiError) || err.service !== 'auth') return err;
  if (!(err.httpStatus === 401 || err.code === 'invalid_client' || err.code === 'unauthorized')) return err;
  const secret = client.secretSource === 'GLOBUS_CLIENT_SECRET' ? 'GLOBUS_CLIENT_SECRET' : `the secret in auth.clientSecretFile ${client.secretSource}`;
  const id = client.idSource === 'GLOBUS_CLIENT_ID' ? 'GLOBUS_CLIENT_ID' : `GLOBUS_CLIENT_ID (unset, so auth.clientId in ${configFile} is used)`;
  return new GsyncError('auth', `Globus Auth rejected service account ${client.clientId} (${err.httpStatus} ${err.code})`, {
    hint: `fix ${secret}, or ${id} if ${client.clientId} is not the service account's client id`,
    cause: err,
  });
}
