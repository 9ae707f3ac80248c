// Min-heap of (expiry, id): reservations are freed in expiry order at O(log n) each, without scanning all of them.
export interface Expiry {
  atMs: number;
  id: string;
}

export class ExpiryHeap {
  private readonly items: Expiry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: Expiry): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as Expiry).atMs <= item.atMs) break;
      items[i] = items[parent] as Expiry;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the earliest entry if it is due at `nowMs`. */
  popDue(nowMs: number): Expiry | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined || top.atMs > nowMs) return undefined;
    const last = items.pop() as Expiry;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child =
          right < items.length && (items[right] as Expiry).atMs < (items[left] as Expiry).atMs ? right : left;
        if ((items[child] as Expiry).atMs >= last.atMs) break;
        items[i] = items[child] as Expiry;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
