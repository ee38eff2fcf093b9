import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { TransferClient } from '../src/globus/transfer-client.js';
import { DST_ID, fixture, item, keyDiff, SRC_ID, world, type World } from './server-support.js';

/**
 * GET endpoint_search on the local server, as the Transfer search document,
 * globus-sdk-python's TransferClient.endpoint_search and globus-cli's
 * `globus endpoint search` describe it (src/server/endpoint-search.ts).
 */
let w: World;
afterEach(() => w?.cleanup());

const MINE = 'a1a1a1a1-0000-4000-8000-000000000001';
const ENDPOINT = 'a1a1a1a1-0000-4000-8000-0000000000e1';
async function searchWorld(): Promise<World> {
  w = await world();
  w.srv.addCollection({ id: MINE, root: w.src, kind: 'gcp', displayName: 'Beamline Laptop', mine: true });
  w.srv.addCollection({ id: ENDPOINT, root: w.dst, kind: 'endpoint', displayName: 'Archive endpoint' });
  return w;
}
const search = (q: Record<string, string>) => w.call('GET', `/v0.10/endpoint_search?${new URLSearchParams(q)}`);
const ids = (body: { DATA: { id: string }[] }) => body.DATA.map((d) => d.id).sort();

describe('endpoint_search', () => {
  it('answers an endpoint_list shaped as endpoint_search.json, each item with its _rank', async () => {
    await searchWorld();
    const r = await search({ filter_fulltext: 'laptop' });
    expect(r.status).toBe(200);
    expect(keyDiff({ ...r.body, DATA: [] }, { ...fixture('endpoint_search.json'), DATA: [] })).toEqual([]);
    expect(r.body).toMatchObject({ DATA_TYPE: 'endpoint_list', limit: 25, offset: 0, has_next_page: false });
    expect(ids(r.body)).toEqual([MINE]);
    expect(r.body.DATA[0]).toMatchObject({ DATA_TYPE: 'endpoint', id: MINE, display_name: 'Beamline Laptop' });
    expect(typeof r.body.DATA[0]._rank).toBe('number');
  });

  it('full text: case-insensitive, every word must match a name, description or organisation', async () => {
    await searchWorld();
    expect(ids((await search({ filter_fulltext: 'ARCHIVE endpoint' })).body)).toEqual([ENDPOINT]);
    expect(ids((await search({ filter_fulltext: 'archive laptop' })).body)).toEqual([]);
    // "gsync local server" is every collection's organization.
    expect(ids((await search({ filter_fulltext: 'local server' })).body)).toEqual([SRC_ID, DST_ID, MINE, ENDPOINT].sort());
  });

  it('scopes: my-endpoints (mine), shared-with-me (guest collections not mine), recently-used (named by tasks)', async () => {
    await searchWorld();
    expect(ids((await search({ filter_scope: 'my-endpoints' })).body)).toEqual([MINE]);
    expect(ids((await search({ filter_scope: 'shared-with-me' })).body)).toEqual([DST_ID]);
    expect(ids((await search({ filter_scope: 'recently-used' })).body)).toEqual([]);
    fs.writeFileSync(`${w.src}/a.txt`, 'a');
    const sub = await w.submit({ DATA: [item('/a.txt', '/a.txt')] });
    await w.waitDone(sub.body.task_id);
    expect(ids((await search({ filter_scope: 'recently-used' })).body)).toEqual([SRC_ID, DST_ID].sort());
    expect(ids((await search({ filter_scope: 'my-endpoints', filter_fulltext: 'nothing like it' })).body)).toEqual([]);
  });

  it('filter_entity_type and filter_non_functional', async () => {
    await searchWorld();
    expect(ids((await search({ filter_fulltext: 'local', filter_entity_type: 'GCSv5_endpoint' })).body)).toEqual([ENDPOINT]);
    expect(ids((await search({ filter_fulltext: 'local', filter_non_functional: '0' })).body)).toEqual([SRC_ID, DST_ID, MINE].sort());
  });

  it('limit and offset page through the results; has_next_page says when more follow', async () => {
    await searchWorld();
    const first = await search({ filter_fulltext: 'local', limit: '3' });
    expect(first.body).toMatchObject({ limit: 3, offset: 0, has_next_page: true });
    const second = await search({ filter_fulltext: 'local', limit: '3', offset: '3' });
    expect(second.body).toMatchObject({ limit: 3, offset: 3, has_next_page: false });
    expect([...ids(first.body), ...ids(second.body)].sort()).toEqual([SRC_ID, DST_ID, MINE, ENDPOINT].sort());
  });

  it('refuses (400) what Transfer refuses: scope all without text, unknown scope or type, limit over 100, past the 1000th result, both type filters', async () => {
    await searchWorld();
    for (const q of [
      {},
      { filter_scope: 'all' },
      { filter_scope: 'everything', filter_fulltext: 'x' },
      { filter_fulltext: 'x', filter_entity_type: 'GCSv4_host' },
      { filter_fulltext: 'x', limit: '101' },
      { filter_fulltext: 'x', limit: '0' },
      { filter_fulltext: 'x', limit: '100', offset: '901' },
      { filter_fulltext: 'x', filter_entity_type: 'GCSv5_endpoint', filter_non_functional: '1' },
    ]) {
      const r = await search(q);
      expect([JSON.stringify(q), r.status, r.body.code]).toEqual([JSON.stringify(q), 400, 'ClientError.BadRequest']);
    }
    expect((await search({ filter_fulltext: 'x', limit: '100', offset: '900' })).status).toBe(200);
  });

  it("TransferClient.endpointSearch reads the answer (the SDK's parameter names)", async () => {
    await searchWorld();
    const client = new TransferClient({ tokens: { transferToken: async () => w.token, refreshAfterUnauthorized: async () => {} } as never, env: w.srv.env });
    try {
      const page = await client.endpointSearch({ filterFulltext: 'laptop', filterScope: 'my-endpoints', limit: 10 });
      expect(page.DATA.map((d) => d.id)).toEqual([MINE]);
      expect(page.has_next_page).toBe(false);
    } finally {
      await client.close();
    }
  });
});
