import { describe, expect, it } from 'vitest';
import { GlobusApiError } from '../src/globus/errors.js';
import type { FileList } from '../src/globus/schemas.js';
import type { LsOptions } from '../src/globus/transfer-client.js';
import type { LsClient } from '../src/listing/dir-lister.js';
import { RateLimiter } from '../src/listing/rate-limiter.js';
import { walkTree, type WalkedDir } from '../src/listing/tree-walker.js';

/** The Globus tree lister alone, against an in-memory collection. */
type Tree = { [name: string]: Tree | number };

class FakeCollection implements LsClient {
  inFlight = 0;
  maxInFlight = 0;
  calls: Array<{ path: string; opts: LsOptions }> = [];
  constructor(
    private readonly root: Tree,
    private readonly failing: Record<string, GlobusApiError> = {},
  ) {}

  async ls(_endpoint: string, p: string, opts: LsOptions = {}): Promise<FileList> {
    this.calls.push({ path: p, opts });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 1 + (p.length % 3)));
    this.inFlight--;
    if (this.failing[p]) throw this.failing[p];
    let node: Tree | number = this.root;
    for (const part of p.split('/').filter(Boolean)) node = (node as Tree)[part]!;
    const names = Object.keys(node as Tree).sort();
    const offset = opts.offset ?? 0;
    const page = names.slice(offset, offset + (opts.limit ?? 100_000));
    const DATA = page.map((name) => {
      const v = (node as Tree)[name]!;
      return { DATA_TYPE: 'file' as const, name, type: typeof v === 'number' ? 'file' : 'dir', size: typeof v === 'number' ? v : 0, last_modified: '2024-05-01 12:00:00+00:00', permissions: '0644', link_target: null };
    });
    return { DATA_TYPE: 'file_list', DATA, path: p, total: names.length, length: DATA.length };
  }
}

const apiError = (httpStatus: number, code: string) => new GlobusApiError({ service: 'transfer', httpStatus, code, message: `${code} here\nmore`, method: 'GET', path: '/ls', requiredScopes: [] });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const TREE: Tree = { a: { x: 1, b: { c: { f: 3 } } }, d: { e: 2 }, z: 5, g: { h: { i: { j: 1 } } } };

describe('walkTree', () => {
  it('lists every directory once, each after its parent, in the same order every time, at most `concurrency` at once', async () => {
    const orders: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const fake = new FakeCollection(TREE);
      const walked = await collect(walkTree({ path: '/', tag: null }, { client: fake, endpointId: 'e', requestsPerSecond: Infinity, concurrency: 2 }));
      orders.push(walked.map((d) => d.dir.path));
      expect(fake.maxInFlight).toBeLessThanOrEqual(2);
      expect(fake.calls.every((c) => c.opts.orderby === 'name ASC' && c.opts.limit === 100_000)).toBe(true);
    }
    const order = orders[0]!;
    expect([...order].sort()).toEqual(['/', '/a/', '/a/b/', '/a/b/c/', '/d/', '/g/', '/g/h/', '/g/h/i/']);
    for (const p of order) if (p !== '/') expect(order.indexOf(p.replace(/[^/]+\/$/, ''))).toBeLessThan(order.indexOf(p));
    expect(orders[1]).toEqual(order);
    expect(orders[2]).toEqual(order);
  });

  it('pages with offset while total says more remain', async () => {
    const fake = new FakeCollection({ a: 1, b: 2, c: 3, d: 4, e: 5 });
    const [root] = await collect(walkTree({ path: '/', tag: null }, { client: fake, endpointId: 'e', requestsPerSecond: Infinity, pageLimit: 2 }));
    expect(root!.status === 'listed' && root!.entries.map((e) => e.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(fake.calls.map((c) => c.opts.offset)).toEqual([0, 2, 4]);
    expect(root!.requests).toBe(3);
  });

  it('a directory Globus cannot list is unlisted, never empty, and nothing under it is listed; a login problem is thrown', async () => {
    const fake = new FakeCollection(TREE, {
      '/a/': apiError(502, 'ExternalError.DirListingFailed.GCDisconnected'),
      '/g/h/': apiError(403, 'EndpointPermissionDenied'),
    });
    const walked = await collect(walkTree({ path: '/', tag: null }, { client: fake, endpointId: 'e', requestsPerSecond: Infinity }));
    const byPath = new Map(walked.map((d): [string, WalkedDir<null>] => [d.dir.path, d]));
    expect(byPath.get('/a/')).toMatchObject({ status: 'unlisted', code: 'ExternalError.DirListingFailed.GCDisconnected', message: 'ExternalError.DirListingFailed.GCDisconnected here' });
    expect(byPath.get('/g/h/')).toMatchObject({ status: 'unlisted', code: 'EndpointPermissionDenied' });
    expect([...byPath.keys()].filter((p) => p.startsWith('/a/') || p.startsWith('/g/h/'))).toEqual(['/a/', '/g/h/']);

    const missing = new FakeCollection(TREE, { '/d/': apiError(404, 'ClientError.NotFound') });
    expect((await collect(walkTree({ path: '/', tag: null }, { client: missing, endpointId: 'e', requestsPerSecond: Infinity }))).find((d) => d.dir.path === '/d/')).toMatchObject({ status: 'missing' });

    const consent = new FakeCollection(TREE, { '/d/': new GlobusApiError({ service: 'transfer', httpStatus: 403, code: 'ConsentRequired', message: 'consent', method: 'GET', path: '/ls', requiredScopes: [] }, 'auth') });
    await expect(collect(walkTree({ path: '/', tag: null }, { client: consent, endpointId: 'e', requestsPerSecond: Infinity }))).rejects.toThrow(/ConsentRequired/);
  });
});

describe('RateLimiter', () => {
  it('spaces request starts 1/rate apart, whoever asks', async () => {
    let now = 1000;
    const waits: number[] = [];
    const limiter = new RateLimiter(
      4,
      () => now,
      async (ms) => {
        waits.push(ms);
      },
    );
    await Promise.all([limiter.take(), limiter.take(), limiter.take()]);
    expect(waits).toEqual([250, 500]);
    now += 2000; // idle: no debt carried over
    await limiter.take();
    expect(waits).toEqual([250, 500]);
  });

  it('Infinity turns it off', async () => {
    const waits: number[] = [];
    const limiter = new RateLimiter(Infinity, () => 0, async (ms) => void waits.push(ms));
    for (let i = 0; i < 10; i++) await limiter.take();
    expect(waits).toEqual([]);
  });
});
