/**
 * The walk's order (depth first, names sorted by UTF-16 code units as Array.sort
 * sorts them) for directories handed out out of order: the parallel walk sends
 * the earliest one first, so what the workers deliver is what the recording needs next.
 */

/** Negative when directory a (its path's components) is walked before b. */
export function walkOrder(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** A binary min-heap of directories in walk order. */
export class WalkQueue<T extends { parts: readonly string[] }> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (walkOrder(a[up]!.parts, item.parts) <= 0) break;
      a[i] = a[up]!;
      i = up;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && walkOrder(a[r]!.parts, a[l]!.parts) < 0 ? r : l;
      if (walkOrder(a[c]!.parts, last.parts) >= 0) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
