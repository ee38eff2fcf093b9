import type { Collection } from './collections.js';
import { json, type Reply } from './http.js';
import { badRequest, type TransferContext, type TransferRequest } from './transfer-common.js';

/**
 * GET /v0.10/endpoint_search, as the Transfer "Endpoint and Collection Search"
 * document and its official clients describe it (globus-sdk-python
 * TransferClient.endpoint_search; globus-cli `globus endpoint search`):
 *
 * - filter_scope is one of the names globus-cli offers; default "all", and
 *   "all" needs filter_fulltext (the SDK: "in which case filter_fulltext is
 *   required"; the CLI refuses it before asking).
 * - filter_fulltext matches display name, legacy (canonical) name,
 *   description, organization, department and keywords (globus-cli's help);
 *   the stricter reading: every word must match somewhere.
 * - filter_entity_type and filter_non_functional are mutually exclusive (SDK).
 * - limit at most 100 a page (SDK paginator page_size 100; the CLI: "result
 *   size limit is 100"), and no result past the 1000th (SDK: "limits you to
 *   1000 results for any search query"; its paginator, _LimitOffsetBasedPaginator,
 *   shrinks the last limit so that offset + limit <= 1000, and reads has_next_page).
 * - The answer is shaped as recorded in endpoint_search.json: endpoint_list
 *   with limit, offset, has_next_page, and each item an endpoint document
 *   with its `_rank`.
 *
 * Scopes here, with one user and no roles: my-endpoints, administered-by-me
 * and my-gcp-endpoints (GCP only) are the collections marked `mine`;
 * shared-by-me the guest collections marked `mine`; shared-with-me the guest
 * collections not marked; recently-used those named by this server's
 * transfer tasks, newest first; in-use those of tasks still ACTIVE.
 */
export const SEARCH_SCOPES = ['all', 'administered-by-me', 'my-endpoints', 'my-gcp-endpoints', 'recently-used', 'in-use', 'shared-by-me', 'shared-with-me'] as const;
const ENTITY_TYPES = ['GCP_mapped_collection', 'GCP_guest_collection', 'GCSv5_endpoint', 'GCSv5_mapped_collection', 'GCSv5_guest_collection'];
const MAX_PAGE = 100;
const MAX_RESULTS = 1000;

export function endpointSearch(ctx: TransferContext, req: TransferRequest): Reply {
  const q = req.query;
  const scope = q.get('filter_scope') ?? 'all';
  const text = (q.get('filter_fulltext') ?? '').trim();
  const entityType = q.get('filter_entity_type');
  const nonFunctional = q.get('filter_non_functional');
  if (!(SEARCH_SCOPES as readonly string[]).includes(scope)) return badRequest(req, `Invalid filter_scope '${scope}'; must be one of ${SEARCH_SCOPES.join(', ')}`);
  if (scope === 'all' && text === '') return badRequest(req, "filter_fulltext is required when filter_scope is 'all'");
  if (entityType !== null && !ENTITY_TYPES.includes(entityType)) return badRequest(req, `Invalid filter_entity_type '${entityType}'`);
  if (entityType !== null && nonFunctional !== null) return badRequest(req, 'filter_entity_type and filter_non_functional are mutually exclusive');
  if (nonFunctional !== null && !['0', '1', 'true', 'false'].includes(nonFunctional)) return badRequest(req, `Invalid filter_non_functional '${nonFunctional}'`);
  const limit = intParam(q.get('limit'), 25);
  const offset = intParam(q.get('offset'), 0);
  if (limit === undefined || limit < 1 || limit > MAX_PAGE) return badRequest(req, `limit must be a whole number from 1 to ${MAX_PAGE}`);
  if (offset === undefined || offset < 0) return badRequest(req, 'offset must be a whole number, 0 or more');
  if (offset + limit > MAX_RESULTS) return badRequest(req, `offset + limit must be at most ${MAX_RESULTS}`);

  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const ranked: { c: Collection; doc: Record<string, unknown>; rank: number }[] = [];
  for (const c of inScope(ctx, scope)) {
    const doc = c.endpointDocument();
    if (entityType !== null && doc.entity_type !== entityType) continue;
    if (nonFunctional !== null && Boolean(doc.non_functional) !== (nonFunctional === '1' || nonFunctional === 'true')) continue;
    const rank = rankOf(doc, words);
    if (rank === 0) continue;
    ranked.push({ c, doc, rank });
  }
  // recently-used and in-use keep their own order; a text search puts the best match first.
  if (words.length > 0) ranked.sort((a, b) => b.rank - a.rank);
  const total = Math.min(ranked.length, MAX_RESULTS);
  const page = ranked.slice(offset, Math.min(offset + limit, total));
  return json(200, {
    DATA_TYPE: 'endpoint_list',
    limit,
    offset,
    has_next_page: offset + limit < total,
    DATA: page.map(({ doc, rank }) => ({ ...doc, _rank: rank })),
  });
}

function intParam(v: string | null, dflt: number): number | undefined {
  if (v === null) return dflt;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

const isGuest = (c: Collection) => c.kind === 'guest';

function inScope(ctx: TransferContext, scope: string): Collection[] {
  const all = ctx.collections.all();
  switch (scope) {
    case 'my-endpoints':
    case 'administered-by-me':
      return all.filter((c) => c.mine);
    case 'my-gcp-endpoints':
      return all.filter((c) => c.mine && c.kind === 'gcp');
    case 'shared-by-me':
      return all.filter((c) => c.mine && isGuest(c));
    case 'shared-with-me':
      return all.filter((c) => !c.mine && isGuest(c));
    case 'recently-used':
    case 'in-use': {
      const tasks = ctx.tasks.list().filter((t) => scope === 'recently-used' || t.status === 'ACTIVE');
      const seen = new Map<string, Collection>();
      for (const t of [...tasks].reverse()) for (const c of [t.source, t.destination]) if (!seen.has(c.id)) seen.set(c.id, c);
      return [...seen.values()];
    }
    default:
      return all;
  }
}

/** 1 with no words; else the share of the searched fields each word appears in, summed; 0 when a word appears nowhere. */
function rankOf(doc: Record<string, unknown>, words: string[]): number {
  if (words.length === 0) return 1;
  const fields = ['display_name', 'canonical_name', 'description', 'organization', 'department', 'keywords']
    .map((k) => doc[k])
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.toLowerCase());
  let rank = 0;
  for (const w of words) {
    const hits = fields.filter((f) => f.includes(w)).length;
    if (hits === 0) return 0;
    rank += hits / fields.length;
  }
  return rank;
}
