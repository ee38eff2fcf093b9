import type { ChangeReason } from '../scan/change-rule.js';
import type { DirEvent, FileEvent, HoldReason, ScanVisitor } from '../scan/events.js';
import { itemPaths, type PathMapping } from './paths.js';

/**
 * A path the planner decided to ship, with what it covers. sync/transfer-document.ts
 * turns these into the document's DATA entries (globus/schemas.ts TransferDocumentItem).
 */
export interface TransferItem {
  /** The trie node; null when planned from a read-only scan of paths not yet recorded. */
  nodeId: number | null;
  relPath: string;
  source_path: string;
  destination_path: string;
  recursive: boolean;
  /** Files the item covers (all files of the subtree for a recursive item). */
  files: number;
  bytes: bigint;
  /** Why it ships (the scan's change reason; a recursive item is new, or a file replaced by a directory): `-v`, issue 31.13. */
  reason?: ChangeReason;
}

interface Frame {
  relPath: string;
  nodeId: number | null;
  /** Nothing under it was ever shipped and nothing under it must be kept back: it can go as one recursive item. */
  fresh: boolean;
  reason: ChangeReason;
  files: number;
  bytes: bigint;
  /** Items held back while the directory may still turn out fresh (its direct children only). */
  held: TransferItem[];
}

/**
 * Turns scan events into transfer items without holding the tree: a directory
 * goes as one recursive item when it ends fresh, else its changed files go one
 * by one and each fresh child directory as a recursive item. A frame buffers
 * only its own children, and only while fresh, so memory is O(depth x width).
 * A directory with anything held back (excluded, deferred, skipped, in flight)
 * is never recursive: Globus would ship that entry too.
 */
export class Coalescer implements ScanVisitor {
  private readonly stack: Frame[] = [];

  constructor(
    private readonly mapping: PathMapping,
    private readonly emit: (item: TransferItem) => void,
  ) {}

  enterDir(dir: DirEvent): void {
    this.stack.push({ relPath: dir.relPath, nodeId: dir.nodeId, fresh: true, reason: dir.reason ?? 'new', files: 0, bytes: 0n, held: [] });
    // A directory only passed through (a change list) was not read whole: Globus would ship its unlisted entries too.
    // One in flight is already in a task: sent again whole, its paths would be in two tasks at once.
    if (dir.shipped || dir.partial === true || dir.inflight === true) this.spoil();
  }

  file(f: FileEvent): void {
    if (f.verdict !== 'new') this.spoil();
    if (f.verdict === 'clean') return;
    const item: TransferItem = { nodeId: f.nodeId, ...itemPaths(f.relPath, false, this.mapping), recursive: false, files: 1, bytes: f.size, reason: f.reason };
    this.add(this.top(), item);
  }

  held(_relPath: string, _reason: HoldReason): void {
    this.spoil();
  }

  leaveDir(): void {
    const done = this.stack.pop();
    if (done === undefined) throw new Error('internal: leaveDir without enterDir');
    if (!done.fresh) return; // its items are out already
    const item: TransferItem = {
      nodeId: done.nodeId,
      ...itemPaths(done.relPath, true, this.mapping),
      recursive: true,
      files: done.files,
      bytes: done.bytes,
      reason: done.reason,
    };
    const parent = this.stack.at(-1);
    if (parent === undefined) this.emit(item);
    else this.add(parent, item);
  }

  private top(): Frame {
    const frame = this.stack.at(-1);
    if (frame === undefined) throw new Error('internal: scan event outside a directory');
    return frame;
  }

  private add(frame: Frame, item: TransferItem): void {
    if (!frame.fresh) {
      this.emit(item);
      return;
    }
    frame.held.push(item);
    frame.files += item.files;
    frame.bytes += item.bytes;
  }

  /**
   * The current directory, and so every directory above it, can no longer go as
   * one item: release what they held, outermost first. Spoiled frames always form
   * a prefix of the stack, so the usual call (top already spoiled) costs nothing.
   */
  private spoil(): void {
    let first = this.stack.length;
    while (first > 0 && this.stack[first - 1]!.fresh) first--;
    for (let i = first; i < this.stack.length; i++) {
      const frame = this.stack[i]!;
      frame.fresh = false;
      for (const item of frame.held) this.emit(item);
      frame.held = [];
    }
  }
}
