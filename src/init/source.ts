import { findLocalCollection, localPlaces, type LocalFinding } from '../collections/local.js';
import { formatRows, searchCollections, type CollectionRow } from '../collections/search.js';
import { realOrResolved } from '../collections/gcp-paths.js';
import { usageError } from '../errors/errors.js';
import type { Prompter } from './prompt.js';
import type { InitSession } from './session.js';
import { isUuid, UUID_PROBLEM } from './job-config.js';

/** The source collection and how the source directory appears on it. */
export interface SourceCollection {
  collection: string;
  /** Set only when it differs from the source directory's own path. */
  collectionPath?: string;
}

/** What could be learnt without Globus; a Connect Server endpoint still needs its mapped collection found. */
export type LocalStep = { resolved: SourceCollection } | { gcsEndpoint: string; from: string };

/**
 * --source-collection, else the local collection found by itself (and said
 * where from), else asked for at a terminal. A Globus Connect Personal that
 * does not share the source directory is refused (exit 2) by findLocalCollection.
 */
export async function localSource(
  flag: string | undefined,
  sourceDir: string,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
  prompter: Prompter | undefined,
): Promise<LocalStep> {
  if (flag !== undefined) {
    if (!isUuid(flag)) throw usageError(`--source-collection "${flag}": ${UUID_PROBLEM}`);
    return { resolved: { collection: flag.toLowerCase() } };
  }
  const found: LocalFinding | undefined = findLocalCollection(sourceDir, env);
  if (found?.kind === 'env') {
    say(`Source collection ${found.collection}: from ${found.from}.`);
    return { resolved: { collection: found.collection } };
  }
  if (found?.kind === 'gcp') {
    // Globus Connect Personal on Linux shows local paths as they are; only the real path counts against config-paths.
    const real = realOrResolved(sourceDir);
    const where = found.shared.line ? `line ${found.shared.line} of ${found.sharedFrom}` : found.shared.written;
    say(`Source collection ${found.collection}: Globus Connect Personal (from ${found.from}); ${sourceDir} is shared under ${found.shared.absolute} (${where}).`);
    return { resolved: { collection: found.collection, ...(real !== sourceDir ? { collectionPath: real } : {}) } };
  }
  if (found?.kind === 'gcs') return { gcsEndpoint: found.endpoint, from: found.from };
  const places = localPlaces(env);
  const looked = `GSYNC_LOCAL_COLLECTION, ${places.gcpDir}/client-id.txt, ${places.gcsInfo}`;
  if (!prompter) throw usageError(`no local collection found (looked at ${looked})`, 'pass --source-collection UUID');
  prompter.say(`No local collection found (looked at ${looked}).`);
  const id = await prompter.askValid('Id of the collection that holds the source directory (gsync collections lists yours)', undefined, (a) => (isUuid(a) ? undefined : UUID_PROBLEM));
  return { resolved: { collection: id.toLowerCase() } };
}

/**
 * Globus Connect Server's info.json names the endpoint; the source lives on
 * one of its mapped collections. Transfer's search shows which mapped
 * collections belong to it; with one, that one; with several, the person
 * picks (without a terminal: refused, naming them).
 */
export async function gcsSource(
  endpoint: string,
  from: string,
  session: InitSession | undefined,
  say: (line: string) => void,
  prompter: Prompter | undefined,
): Promise<SourceCollection> {
  if (!session) throw usageError(`Globus Connect Server endpoint ${endpoint} found (${from}), but finding its mapped collections needs a Globus login`, 'pass --source-collection UUID, or run gsync init at a terminal');
  const { rows } = await session.call((c) =>
    searchCollections(c, { entityType: 'GCSv5_mapped_collection', scopes: ['administered-by-me', 'my-endpoints', 'shared-with-me', 'recently-used'], max: 1000 }),
  );
  const mine: CollectionRow[] = rows.filter((r) => r.endpoint === endpoint);
  if (mine.length === 1) {
    say(`Source collection ${mine[0]!.id} (${mine[0]!.displayName}): the mapped collection of Globus Connect Server endpoint ${endpoint} (from ${from}).`);
    return { collection: mine[0]!.id };
  }
  if (!prompter) {
    const which = mine.length ? `it has ${mine.length} mapped collections: ${mine.map((r) => `${r.id} (${r.displayName})`).join(', ')}` : 'none of its mapped collections is visible to this login';
    throw usageError(`Globus Connect Server endpoint ${endpoint} (${from}): ${which}`, 'pass --source-collection UUID');
  }
  prompter.say(`Globus Connect Server endpoint ${endpoint} (from ${from}) has ${mine.length === 0 ? 'no mapped collection visible to you' : `${mine.length} mapped collections`}.`);
  for (const line of formatRows(mine, true)) prompter.say(line);
  const pick = await prompter.askValid('Which one holds the source directory (number or id)', mine.length ? '1' : undefined, (a) =>
    isUuid(a) || (Number(a) >= 1 && Number(a) <= mine.length) ? undefined : `type a number from the list or a collection id`,
  );
  return { collection: isUuid(pick) ? pick.toLowerCase() : mine[Number(pick) - 1]!.id };
}
