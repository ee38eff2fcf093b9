import fs from 'node:fs';
import { configError } from '../errors/errors.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Where the secret came from, for messages: never the secret itself. */
  secretSource: string;
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
  if (envSecret) return { clientId: envId || auth.clientId, clientSecret: envSecret, secretSource: 'GLOBUS_CLIENT_SECRET' };
  if (envId && !auth.clientSecretFile) {
    throw configError('GLOBUS_CLIENT_ID is set but GLOBUS_CLIENT_SECRET is not', `set both, or unset GLOBUS_CLIENT_ID to use gsync login`);
  }
  if (!auth.clientSecretFile) return undefined;
  return { clientId: envId || auth.clientId, clientSecret: readSecretFile(auth.clientSecretFile, configFile), secretSource: auth.clientSecretFile };
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
