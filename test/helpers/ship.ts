import { planScan, type PlanTotals } from '../../src/plan/plan-scan.js';
import type { TransferItem } from '../../src/plan/coalescer.js';
import type { ScanOptions } from '../../src/scan/scanner.js';
import type { State } from '../../src/state/open.js';
import { commitSubmission, createSubmission } from '../../src/ledger/transfer-rows.js';
import { TrieStore } from '../../src/state/trie.js';

export const MAPPING = { sourceRoot: '/src', destinationRoot: '/dst' };
/** A clock far enough ahead that min-age never defers a file the test just wrote. */
export const LATER_NS = BigInt(Date.now() + 3_600_000) * 1_000_000n;

export type PlanOpts = Partial<Omit<ScanOptions, 'root' | 'trie' | 'visitor'>>;

/** What the next run would ship, from a read-only scan (state may be null: nothing recorded yet). */
export function planOf(root: string, state: State | null, opts: PlanOpts = {}): { items: TransferItem[]; totals: PlanTotals } {
  const items: TransferItem[] = [];
  const totals = planScan({
    root,
    trie: state ? new TrieStore(state) : null,
    mapping: MAPPING,
    nowNs: LATER_NS,
    ...opts,
    onItem: (i) => items.push(i),
  });
  return { items, totals };
}

/** A write-mode scan, then a submission of its items: what `gsync run` does before Globus answers. */
export function submit(root: string, state: State, opts: PlanOpts = {}): { rowId: number; items: TransferItem[]; totals: PlanTotals } {
  const { items, totals } = planOf(root, state, { ...opts, write: true });
  const rowId = createSubmission(state, {
    submissionId: `sub-${Math.random().toString(16).slice(2)}`,
    document: JSON.stringify({ DATA: items.map(({ source_path, destination_path, recursive }) => ({ source_path, destination_path, recursive })) }),
    items,
    files: totals.files,
    bytes: totals.bytes,
    createdNs: LATER_NS,
  });
  return { rowId, items, totals };
}

/** A whole successful run: scan, submit, Globus says SUCCEEDED. */
export function ship(root: string, state: State, opts: PlanOpts = {}): TransferItem[] {
  const { rowId, items } = submit(root, state, opts);
  commitSubmission(state, rowId, LATER_NS);
  return items;
}

/** Items as short strings for readable assertions: 'R a/' for recursive, 'F a/b.txt' for a file. */
export function brief(items: TransferItem[]): string[] {
  return items.map((i) => (i.recursive ? `R ${i.relPath}/` : `F ${i.relPath}`));
}
