import type { TransferItem } from '../plan/coalescer.js';
import type { PlanTotals } from '../plan/plan-scan.js';
import { formatBytes } from './format-bytes.js';

export interface PlanPrinter {
  item(item: TransferItem): void;
  totals(totals: PlanTotals): void;
}

/** Lines are gathered into chunks: one write per item would be one syscall per item. */
function chunked(out: NodeJS.WritableStream) {
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
      lines.line(JSON.stringify({ DATA_TYPE: 'transfer_item', source_path: it.source_path, destination_path: it.destination_path, recursive: it.recursive }));
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
      const what = it.recursive ? `dir  ${it.files} files, ${formatBytes(it.bytes)}` : `file ${formatBytes(it.bytes)}`;
      lines.line(`${shown(it.source_path)} -> ${shown(it.destination_path)}  (${what})`);
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
