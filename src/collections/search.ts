import type { Endpoint } from '../globus/schemas.js';
import type { TransferClient } from '../globus/transfer-client.js';
import { isUuid } from './ids.js';

/** What a person needs to pick a collection: its name, owner, type and id. */
export interface CollectionRow {
  id: string;
  displayName: string;
  owner: string;
  entityType: string;
  /** GCSv5 mapped collections: the endpoint they belong to. */
  endpoint?: string;
}

export interface SearchResult {
  rows: CollectionRow[];
  /** Entries the search returned that are not collections (GCSv5 endpoints, non-functional). */
  leftOut: number;
  /** Globus had more than `max` matches. */
  truncated: boolean;
}

export interface SearchRequest {
  /** Full-text search over names, descriptions, organisations and keywords. */
  text?: string;
  /** Only collections the user owns (filter_scope my-endpoints). */
  mine?: boolean;
  /** Stop after this many rows (default 100). */
  max?: number;
  /** Only this entity type (filter_entity_type). */
  entityType?: string;
  /** Search these scopes instead of the ones the text and `mine` choose. */
  scopes?: string[];
}

/**
 * A search answers endpoints as well as collections (the VSC guide's warning):
 * a GCSv5 endpoint (entity_type GCSv5_endpoint, non_functional) holds no data
 * and Transfer refuses it, so it is never offered as a place to sync to.
 */
export function isCollection(ep: Pick<Endpoint, 'entity_type' | 'non_functional'>): boolean {
  return ep.entity_type !== 'GCSv5_endpoint' && ep.non_functional !== true;
}

/**
 * Which scopes a request searches: text alone searches everything ("all"
 * needs text); --mine only what the user owns; neither, the collections a
 * new user most likely means: their own, those shared with them, those used
 * lately. Each scope is paged (100 a page) until `max` rows.
 */
export async function searchCollections(client: TransferClient, req: SearchRequest): Promise<SearchResult> {
  const max = req.max ?? 100;
  const text = req.text?.trim() || undefined;
  const scopes = req.scopes ?? (req.mine ? ['my-endpoints'] : text ? ['all'] : ['my-endpoints', 'shared-with-me', 'recently-used']);
  const byId = new Map<string, CollectionRow>();
  let leftOut = 0;
  let truncated = false;
  for (const scope of scopes) {
    for (let offset = 0; ; ) {
      const limit = Math.min(100, 1000 - offset);
      const page = await client.endpointSearch({ filterFulltext: text, filterScope: scope, filterEntityType: req.entityType, limit, offset });
      for (const ep of page.DATA) {
        if (!isCollection(ep)) {
          leftOut++;
          continue;
        }
        if (byId.has(ep.id)) continue;
        if (byId.size >= max) {
          truncated = true;
          break;
        }
        byId.set(ep.id, rowOf(ep));
      }
      offset += page.DATA.length;
      if (truncated || !page.has_next_page || page.DATA.length === 0 || offset >= 1000) break;
    }
  }
  return { rows: [...byId.values()], leftOut, truncated };
}

export function rowOf(ep: Endpoint): CollectionRow {
  const owner = typeof ep.owner_string === 'string' ? ep.owner_string : '';
  const endpoint = endpointOfCollection(ep);
  return { id: ep.id, displayName: ep.display_name ?? ep.canonical_name ?? '(no name)', owner, entityType: ep.entity_type ?? 'unknown', ...(endpoint ? { endpoint } : {}) };
}

/**
 * The Globus Connect Server endpoint a mapped collection belongs to: its
 * non_functional_endpoint_id when the document has one, else the
 * "<endpoint>#<collection>" canonical name (as in endpoint_get_mapped.json).
 */
export function endpointOfCollection(doc: Endpoint): string | undefined {
  if (doc.entity_type !== 'GCSv5_mapped_collection') return undefined;
  const explicit = doc.non_functional_endpoint_id;
  if (typeof explicit === 'string') return explicit.toLowerCase();
  const prefix = doc.canonical_name?.split('#')[0];
  return prefix && isUuid(prefix) ? prefix.toLowerCase() : undefined;
}

const TYPE_NAMES: Record<string, string> = {
  GCSv5_mapped_collection: 'mapped (GCSv5)',
  GCSv5_guest_collection: 'guest (GCSv5)',
  GCP_mapped_collection: 'personal (GCP)',
  GCP_guest_collection: 'guest (GCP)',
  GCSv4_host: 'GCSv4 endpoint',
  GCSv4_share: 'GCSv4 share',
};

export function typeName(entityType: string): string {
  return TYPE_NAMES[entityType] ?? entityType;
}

/** Aligned columns: display name, owner, type, id (the id last, whole, for copying). */
export function formatRows(rows: CollectionRow[], numbered = false): string[] {
  const cells = rows.map((r) => [r.displayName, r.owner || '-', typeName(r.entityType), r.id]);
  const head = ['DISPLAY NAME', 'OWNER', 'TYPE', 'ID'];
  const widths = head.map((h, i) => Math.min(40, Math.max(h.length, ...cells.map((c) => c[i]!.length))));
  const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const line = (c: string[]) => c.map((s, i) => (i === c.length - 1 ? s : fit(s, widths[i]!))).join('  ');
  const pad = numbered ? String(rows.length).length + 2 : 0;
  return [' '.repeat(pad) + line(head), ...cells.map((c, i) => (numbered ? `${i + 1})`.padStart(pad - 1) + ' ' : '') + line(c))];
}
