import type { TransferItem } from '../plan/coalescer.js';
import type { Itemized } from '../plan/itemize.js';
import type { PlanTotals } from '../plan/plan-scan.js';
import { formatBytes } from './format-bytes.js';

export interface PlanPrinter {
  item(item: TransferItem): void;
  /** `-v`: a path with why it ships or waits (src/plan/itemize.ts), in place of item(). */
  itemized(it: Itemized): void;
  totals(totals: PlanTotals): void;
}

/** Lines are gathered into chunks: one write per item would be one syscall per item. */
export function chunked(out: NodeJS.WritableStream) {
  let buf = '';
  return {
    line(s: string) {
      buf += s + '\n';
      if (buf.length >= 1 << 16) this.flush();
    },
    flush() {
      if (buf) out.write(buf);
      buf = '';
    },
  };
}

/** One Globus transfer_item per line, then one totals object (which has none of the item keys). */
export function jsonLinesPrinter(out: NodeJS.WritableStream): PlanPrinter {
  const lines = chunked(out);
  return {
    item(it) {
      lines.line(JSON.stringify(transferItem(it)));
    },
    itemized(it) {
      lines.line(itemizedJson(it));
    },
    totals(t) {
      lines.line(JSON.stringify({ DATA_TYPE: 'gsync_plan_totals', ...totalsRecord(t) }));
      lines.flush();
    },
  };
}

export function textPrinter(out: NodeJS.WritableStream): PlanPrinter {
  const lines = chunked(out);
  return {
    item(it) {
      lines.line(itemLine(it));
    },
    itemized(it) {
      lines.line(itemizedLine(it));
    },
    totals(t) {
      const head = t.items === 0 ? 'nothing to ship' : `${t.items} item(s), ${t.files} file(s), ${formatBytes(t.bytes)}`;
      lines.line(
        `plan: ${head}; deferred ${t.deferred} (too recent), excluded ${t.excluded}, skipped ${t.skipped}, in flight ${t.inflight}, gone ${t.gone}`,
      );
      lines.flush();
    },
  };
}

function itemLine(it: TransferItem): string {
  const what = it.recursive ? `dir  ${it.files} files, ${formatBytes(it.bytes)}` : `file ${formatBytes(it.bytes)}`;
  return `${shown(it.source_path)} -> ${shown(it.destination_path)}  (${what})`;
}

function transferItem(it: TransferItem) {
  return { DATA_TYPE: 'transfer_item', source_path: it.source_path, destination_path: it.destination_path, recursive: it.recursive };
}

/** The widest reason, mtime-back, and a space: the paths line up as rsync's --itemize-changes does. */
const REASON_COLUMN = 11;

/** "size       /src/a.txt -> /dst/a.txt  (file 2 B)", "deferred   /src/b.txt", "delete     /dst/old.txt". */
export function itemizedLine(it: Itemized): string {
  const what = it.item ? itemLine(it.item) : shown(it.source_path ?? it.destination_path ?? '');
  return `${it.reason.padEnd(REASON_COLUMN - 1)} ${what}`;
}

/** A transfer item with its reason; a path that waits or is deleted as a gsync_itemized object. */
export function itemizedJson(it: Itemized): string {
  if (it.item) return JSON.stringify({ ...transferItem(it.item), reason: it.reason });
  return JSON.stringify({ DATA_TYPE: 'gsync_itemized', reason: it.reason, ...(it.source_path === undefined ? {} : { source_path: it.source_path }), ...(it.destination_path === undefined ? {} : { destination_path: it.destination_path }) });
}

function totalsRecord(t: PlanTotals) {
  return {
    items: t.items,
    files: t.files,
    bytes: Number(t.bytes),
    deferred: t.deferred,
    excluded: t.excluded,
    skipped: t.skipped,
    inflight: t.inflight,
    gone: t.gone,
    scanned_files: t.scanned.files,
    scanned_dirs: t.scanned.dirs,
  };
}

/** Quoted when the path would not read back unambiguously from one line (control characters, edge spaces). */
function shown(p: string): string {
  return /[\x00-\x1f\x7f]|^ | $/.test(p) ? JSON.stringify(p) : p;
}
