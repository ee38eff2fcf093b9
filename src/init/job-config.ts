import { parseConfig, type Config } from '../config/load.js';
import { configError } from '../errors/errors.js';

export { isUuid } from '../collections/ids.js';
export const UUID_PROBLEM = 'must be a collection id, a UUID such as 1405823f-0597-4a16-b296-46d4f0ae4b15';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const NAME_PROBLEM = 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';
export const isJobName = (s: string) => NAME.test(s);

/** A job name made from a folder name: the characters a name may hold, the rest as "-". */
export function suggestName(folder: string): string | undefined {
  const s = folder.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return isJobName(s) ? s : undefined;
}

export interface JobAnswers {
  name: string;
  sourcePath: string;
  sourceCollection: string;
  sourceCollectionPath?: string;
  destinationCollection: string;
  destinationPath: string;
  clientId: string;
}

/**
 * The config init writes: only what has no default (name, both collections
 * and paths, the client id), source.collectionPath only when it differs,
 * and the two keys people edit first, written with their default values so
 * they are seen: scan.exclude and deletes.enabled (off: gsync never deletes
 * at the destination unless told to). Everything else keeps its default.
 */
export function minimalConfig(a: JobAnswers): Record<string, unknown> {
  return {
    name: a.name,
    source: {
      collection: a.sourceCollection,
      path: a.sourcePath,
      ...(a.sourceCollectionPath && a.sourceCollectionPath !== a.sourcePath ? { collectionPath: a.sourceCollectionPath } : {}),
    },
    destination: { collection: a.destinationCollection, path: a.destinationPath },
    auth: { clientId: a.clientId },
    scan: { exclude: [] },
    deletes: { enabled: false },
  };
}

/** The config as every command will load it; a problem here is gsync's own bug or a bad flag. */
export function validated(raw: Record<string, unknown>, file: string, env: NodeJS.ProcessEnv): Config {
  const r = parseConfig(raw, file, env);
  if (!r.ok) throw configError(`the config gsync init made is not valid: ${r.errors[0]}`);
  return r.config;
}
