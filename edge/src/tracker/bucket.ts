/** An item that can sit in several buckets at once: `slots[i]` is its index in the bucket of tier `i`, or -1. */
export interface Slotted {
  readonly slots: number[];
}

/**
 * An unordered set with O(1) add, O(1) remove and O(k) random sampling: an array whose items remember their own
 * index (swap-with-last on removal). A swarm keeps one per locality key, so picking nearby peers never scans it.
 */
export class Bucket<T extends Slotted> {
  private readonly items: T[] = [];

  constructor(private readonly tier: number) {}

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    item.slots[this.tier] = this.items.length;
    this.items.push(item);
  }

  remove(item: T): void {
    const index = item.slots[this.tier]!;
    if (index < 0 || this.items[index] !== item) return;
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[index] = last;
      last.slots[this.tier] = index;
    }
    item.slots[this.tier] = -1;
  }

  has(item: T): boolean {
    const index = item.slots[this.tier]!;
    return index >= 0 && this.items[index] === item;
  }

  /**
   * Calls `visit` on `k` distinct items drawn at random (Floyd's algorithm), or on every item when there are no
   * more than `k`. O(k) whatever the size.
   */
  sample(k: number, random: () => number, visit: (item: T) => void): void {
    const n = this.items.length;
    if (n <= k) {
      for (let i = 0; i < n; i++) visit(this.items[i]!);
      return;
    }
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = Math.floor(random() * (j + 1));
      const index = chosen.has(t) ? j : t;
      chosen.add(index);
      visit(this.items[index]!);
    }
  }

  /** Every item, for tests and whole-swarm maintenance (never on the announce path). */
  values(): readonly T[] {
    return this.items;
  }
}
