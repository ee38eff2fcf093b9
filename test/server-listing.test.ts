import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fnmatchRegExp } from '../src/server/filter-rules.js';
import { DST_ID, item, readTree, SRC_ID, world, writeTree, type World } from './server-support.js';

/**
 * The server points issues 27 and 28 rely on: ls paging, filter and orderby
 * (globus-cli commands/ls.py, the SDK's operation_ls), filter_rules on recursive
 * items (task_submit, filter_rule), per-file lists refused while a task is active
 * (globus-sdk-python issue 288), and an optional request limit answering 429.
 */
let w: World;
afterEach(async () => w?.cleanup());

const ls = (query: string) => w.call('GET', `/v0.10/operation/endpoint/${SRC_ID}/ls?path=/&${query}`);
const names = (body: { DATA: Array<{ name: string }> }) => body.DATA.map((e) => e.name);

describe('ls: limit, offset, total, length', () => {
  beforeEach(async () => {
    w = await world();
    writeTree(w.src, { 'a.txt': '1', 'b.dat': '22', 'c.txt': '333', 'd/': '', 'e.log': '4' });
  });

  it('pages with offset and limit; total counts the whole directory, length the page', async () => {
    const first = await ls('limit=2&offset=0');
    expect(first.status).toBe(200);
    expect([names(first.body), first.body.total, first.body.length]).toEqual([['a.txt', 'b.dat'], 5, 2]);
    const last = await ls('limit=2&offset=4');
    expect([names(last.body), last.body.total, last.body.length]).toEqual([['e.log'], 5, 1]);
  });

  it.each(['limit=100001', 'limit=0', 'limit=x', 'offset=-1', 'offset=1.5'])('refuses %s with 400', async (q) => {
    const res = await ls(q);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ClientError.BadRequest');
  });

  it('accepts limit 100000, the documented maximum', async () => {
    expect((await ls('limit=100000')).status).toBe(200);
  });
});

describe('ls: filter and orderby', () => {
  beforeEach(async () => {
    w = await world();
    writeTree(w.src, { 'a.txt': '1', 'b.dat': '22', 'c.txt': '333', 'd/': '', 'e.log': '4', 'file1.x': '5' });
  });

  it.each<[string, string[]]>([
    ['name:~*.txt', ['a.txt', 'c.txt']],
    ['name:=b.dat', ['b.dat']],
    ['name:b.dat', ['b.dat']],
    ['name:!=b.dat', ['a.txt', 'c.txt', 'd', 'e.log', 'file1.x']],
    ['name:!~file1.*', ['a.txt', 'b.dat', 'c.txt', 'd', 'e.log']],
    ['type:dir', ['d']],
    ['type:file/name:~*.txt', ['a.txt', 'c.txt']],
    ['type:dir/name:~*.txt', []],
  ])('filter %s', async (filter, expected) => {
    const res = await ls(`filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(200);
    expect(names(res.body)).toEqual(expected);
    expect(res.body.total).toBe(expected.length);
  });

  it('repeated filters are OR-ed (the CLI sends type:dir and a name filter for recursive ls)', async () => {
    const res = await ls(`filter=type:dir&filter=${encodeURIComponent('name:~*.log')}`);
    expect(names(res.body)).toEqual(['d', 'e.log']);
  });

  it('refuses a filter on a field ls does not filter on', async () => {
    expect((await ls('filter=colour:red')).status).toBe(400);
  });

  it('orders by any field, ASC or DESC, several keys', async () => {
    expect(names((await ls('orderby=name%20DESC')).body)).toEqual(['file1.x', 'e.log', 'd', 'c.txt', 'b.dat', 'a.txt']);
    expect(names((await ls(`orderby=${encodeURIComponent('type DESC,size DESC,name')}`)).body)).toEqual(['c.txt', 'b.dat', 'a.txt', 'e.log', 'file1.x', 'd']);
    expect((await ls('orderby=name%20SIDEWAYS')).status).toBe(400);
  });
});

describe('filter rule names are read as fnmatch reads them', () => {
  // Each answer recorded from Python 3.11's fnmatch.fnmatchcase(name, pattern), the reading
  // the SDK documents for filter_rule names (TransferData.add_filter_rule).
  const PYTHON: Array<[string, Array<[string, boolean]>]> = [
    ['[!b]', [['a', true], ['b', false], ['!', true]]],
    ['[!a-c]x', [['dx', true], ['bx', false], ['x', false]]],
    ['*.tmp', [['.tmp', true], ['a.tmp', true], ['a.tmpx', false]]],
    ['a?c', [['abc', true], ['ac', false], ['a/c', true]]],
    ['{a,b}', [['{a,b}', true], ['a', false]]],
    ['!(x)', [['!(x)', true], ['y', false]]],
    ['a+b', [['a+b', true], ['aab', false]]],
    ['[]]', [[']', true], ['a', false]]],
    ['[!]]', [[']', false], ['a', true]]],
    ['[', [['[', true]]],
    ['a[b', [['a[b', true]]],
    ['a\\b', [['a\\b', true], ['ab', false]]],
    ['[\\]x', [['\\x', true], ['x', false]]],
    ['[^a]', [['^', true], ['a', true], ['b', false]]],
    ['*', [['.hidden', true], ['', true]]],
    ['a.*', [['a.b', true], ['ab', false]]],
    ['[a-c]*', [['b1', true], ['d1', false]]],
  ];
  it.each(PYTHON)('%s', (pattern, answers) => {
    for (const [name, matches] of answers) expect([name, fnmatchRegExp(pattern).test(name)]).toEqual([name, matches]);
  });
});

describe('recursive items honour filter_rules', () => {
  beforeEach(async () => {
    w = await world();
  });

  it('first match wins, type narrows a rule, an excluded directory excludes its contents', async () => {
    writeTree(w.src, {
      'top/keep.txt': 'k',
      'top/skip.tmp': 's',
      'top/important.tmp': 'i',
      'top/scratch/inner.txt': 'x',
      'top/sub/scratch': 'a file named scratch',
      'top/sub/deep.tmp': 'd',
    });
    const res = await w.submit({
      DATA: [item('/top/', '/top/', true)],
      filter_rules: [
        { DATA_TYPE: 'filter_rule', method: 'include', name: 'important.*' },
        { DATA_TYPE: 'filter_rule', method: 'exclude', name: '*.tmp', type: 'file' },
        { DATA_TYPE: 'filter_rule', method: 'exclude', name: 'scratch', type: 'dir' },
        { DATA_TYPE: 'filter_rule', method: 'include', name: 'inner.txt' },
      ],
    });
    expect(res.status).toBe(202);
    const task = await w.waitDone(res.body.task_id);
    expect(task.status).toBe('SUCCEEDED');
    expect(readTree(w.dst)).toEqual({
      'top/': '',
      'top/keep.txt': 'k',
      'top/important.tmp': 'i',
      'top/sub/': '',
      'top/sub/scratch': 'a file named scratch',
    });
    expect(task.filter_rules).toHaveLength(4);
  });

  it('refuses a malformed rule', async () => {
    const res = await w.submit({ DATA: [item('/a/', '/a/', true)], filter_rules: [{ DATA_TYPE: 'filter_rule', method: 'skip', name: '*' }] });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/filter_rules\[0\]\.method/);
  });
});

describe('per-file lists of a task still in progress', () => {
  it('successful_transfers and skipped_errors answer 400 while the task is ACTIVE, 200 once it ended', async () => {
    w = await world({ taskDelayMs: 60_000 });
    writeTree(w.src, { 'a.txt': 'a' });
    const res = await w.submit({ DATA: [item('/a.txt', '/a.txt')] });
    const id = res.body.task_id as string;
    for (const list of ['successful_transfers', 'skipped_errors']) {
      const early = await w.call('GET', `/v0.10/task/${id}/${list}`);
      expect(early.status, list).toBe(400);
      expect(early.body.code).toBe('ClientError.BadRequest');
      expect(early.body.message).toMatch(/is still in progress, .* are not yet available/);
    }
    await w.call('POST', `/v0.10/task/${id}/cancel`);
    for (const list of ['successful_transfers', 'skipped_errors']) expect((await w.call('GET', `/v0.10/task/${id}/${list}`)).status).toBe(200);
  });
});

describe('request limit', () => {
  it('answers 429 beyond N Transfer requests a second when asked to, and nothing is metered otherwise', async () => {
    w = await world({ requestsPerSecond: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await w.call('GET', `/v0.10/endpoint/${DST_ID}`)).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    await w.cleanup();
    w = await world();
    for (let i = 0; i < 10; i++) expect((await w.call('GET', `/v0.10/endpoint/${DST_ID}`)).status).toBe(200);
  });
});
