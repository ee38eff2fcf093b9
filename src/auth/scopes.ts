import type { CollectionInfo, CollectionLookup } from './auth-api.js';

/**
 * GCSv5 mapped collections need a data_access consent; guest collections,
 * GCP and legacy endpoints have no such scope (asking for it is an error),
 * and high-assurance collections demand a fresh authentication per session,
 * so a stored consent would not help there.
 */
export function needsDataAccess(info: CollectionInfo): boolean {
  return info.entity_type === 'GCSv5_mapped_collection' && info.high_assurance !== true;
}

/** The job's collections (source and destination, deduplicated) that need data_access. */
export async function dataAccessCollections(transfer: CollectionLookup, collectionIds: string[]): Promise<string[]> {
  const unique = [...new Set(collectionIds.map((id) => id.toLowerCase()))];
  const infos = await Promise.all(unique.map((id) => transfer.getEndpoint(id)));
  return unique.filter((_, i) => needsDataAccess(infos[i]!));
}

const DATA_ACCESS = /https:\/\/auth\.globus\.org\/scopes\/([0-9a-f-]{36})\/data_access/gi;

/** Collection ids named by data_access dependencies in a scope string, for error messages. */
export function collectionsInScopes(scopes: string[]): string[] {
  const ids = new Set<string>();
  for (const s of scopes) for (const m of s.matchAll(DATA_ACCESS)) ids.add(m[1]!.toLowerCase());
  return [...ids];
}
