/**
 * Max-heap of (count, pair key) for the trainer: highest count first, then the lowest pair key
 * (= lowest (left, right) ids), which makes training deterministic. Entries go stale when counts
 * drop; the trainer re-checks each popped entry against the live count (lazy deletion).
 */

export class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  private above(c1: number, k1: number, c2: number, k2: number): boolean {
    return c1 > c2 || (c1 === c2 && k1 < k2);
  }

  push(count: number, key: number): void {
    const { counts, keys } = this;
    let i = keys.length;
    counts.push(count);
    keys.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(count, key, counts[p], keys[p])) break;
      counts[i] = counts[p];
      keys[i] = keys[p];
      i = p;
    }
    counts[i] = count;
    keys[i] = key;
  }

  topCount(): number {
    return this.counts[0];
  }

  topKey(): number {
    return this.keys[0];
  }

  pop(): void {
    const { counts, keys } = this;
    const c = counts.pop()!;
    const k = keys.pop()!;
    const n = keys.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.above(counts[child + 1], keys[child + 1], counts[child], keys[child])) child++;
      if (!this.above(counts[child], keys[child], c, k)) break;
      counts[i] = counts[child];
      keys[i] = keys[child];
      i = child;
    }
    counts[i] = c;
    keys[i] = k;
  }
}
