import { describe, expect, it } from 'vitest';
import type { ListedEntry } from '../src/listing/dir-lister.js';
import type { Fingerprint } from '../src/state/fingerprint.js';
import type { NodeRow } from '../src/state/trie.js';
import { compareDirectory } from '../src/verify/compare-dir.js';

/** compareDirectory alone: which rows are judged, and how. */
const MTIME_S = 1_700_000_000;
function row(id: number, name: string, kind: 'f' | 'd', over: Partial<NodeRow> = {}): NodeRow {
  return {
    id: BigInt(id),
    name,
    shipped_kind: kind,
    shipped_size: kind === 'f' ? 7n : 4096n,
    shipped_mtime_ns: BigInt(MTIME_S) * 1_000_000_000n + 123n,
    shipped_ctime_ns: 5n,
    shipped_ino: BigInt(id),
    last_transfer_ns: 1n,
    seen_kind: null,
    gone: 0n,
    inflight: 0n,
    ...over,
  };
}
const entry = (name: string, type = 'file', size = 7, mtimeSeconds: number | null = MTIME_S): ListedEntry => ({ name, type, size, mtimeSeconds });
const asShipped = (r: NodeRow): Fingerprint => ({ kind: r.shipped_kind!, size: r.shipped_size!, mtimeNs: r.shipped_mtime_ns!, ctimeNs: r.shipped_ctime_ns!, ino: r.shipped_ino! });

function compare(rows: NodeRow[], entries: ListedEntry[], opts: { preserveTimestamp?: boolean; local?: (rel: string, r: NodeRow) => Fingerprint | null } = {}) {
  const byName = new Map(rows.map((r) => [r.name, r]));
  return compareDirectory(byName, entries, {
    dirRel: 'd/',
    preserveTimestamp: opts.preserveTimestamp ?? true,
    localNow: (rel) => {
      const r = byName.get(rel.slice(2))!;
      return opts.local ? opts.local(rel, r) : asShipped(r);
    },
    filesUnder: () => 3,
  });
}

describe('compareDirectory', () => {
  it('judges only paths shipped and unchanged since: not in flight, not dirty, not gone, not edited locally', () => {
    const rows = [
      row(2, 'inflight', 'f', { inflight: 1n }),
      row(3, 'dirty', 'f', { seen_kind: 'f' }),
      row(4, 'gone', 'f', { gone: 1n }),
      row(5, 'edited', 'f'),
      row(6, 'never', 'f', { shipped_kind: null }),
      row(7, 'judged', 'f'),
    ];
    const c = compare(rows, [], { local: (rel, r) => (rel === 'd/edited' ? { ...asShipped(r), size: 8n } : asShipped(r)) });
    expect(c.findings.map((f) => `${f.kind} ${f.path}`)).toEqual(['missing d/judged']);
    expect(c.files).toBe(1);
  });

  it('size, whole-second mtime (only with preserveTimestamp), type, and extra', () => {
    const rows = [row(2, 'ok', 'f'), row(3, 'short', 'f'), row(4, 'newer', 'f'), row(5, 'isdir', 'f'), row(6, 'sub', 'd'), row(7, 'wasdir', 'd')];
    const entries = [entry('ok'), entry('short', 'file', 0), entry('newer', 'file', 7, MTIME_S + 1), entry('isdir', 'dir'), entry('sub', 'dir'), entry('wasdir', 'file'), entry('stray')];
    const c = compare(rows, entries);
    expect(c.findings.map((f) => `${f.kind} ${f.path} ${f.detail ?? ''}`.trim())).toEqual([
      'extra d/stray',
      'differs d/isdir a directory, expected a file',
      'differs d/newer modified 2023-11-14T22:13:21Z, expected 2023-11-14T22:13:20Z',
      'differs d/short size 0, expected 7',
      'differs d/wasdir/ a file, expected a directory',
    ]);
    expect(c.descend).toEqual([{ name: 'sub', nodeId: 6 }]);
    expect(compare(rows, entries, { preserveTimestamp: false }).findings.map((f) => f.path)).not.toContain('d/newer');
  });

  it('a missing directory is one finding counting the files under it', () => {
    const c = compare([row(2, 'sub', 'd')], []);
    expect(c.findings).toEqual([{ kind: 'missing', path: 'd/sub/', nodeId: 2, files: 3 }]);
    expect(c.files).toBe(3);
    expect(c.descend).toEqual([]);
  });
});
