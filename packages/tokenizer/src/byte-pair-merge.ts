/**
 * tiktoken's byte-pair merge: repeatedly merge the adjacent pair whose merged token has the lowest
 * rank, leftmost on ties, until no adjacent pair is a token. Ids equal ranks, so "lowest rank" is
 * "smallest merged id". Short chunks use a flat array scan (cache-friendly, O(n²) but n is tiny);
 * long ones (runs of spaces or digits) use a linked list and a min-heap so they stay O(n log n).
 */

import type { PairTable } from "./pair-table.ts";

const NONE = 0x7fffffff;
const HEAP_THRESHOLD = 96;

/** Merges `ids[0..n)` in place and returns the new length. */
export function bytePairMerge(ids: Int32Array, n: number, pairs: PairTable): number {
  return n < HEAP_THRESHOLD ? mergeByScan(ids, n, pairs) : mergeByHeap(ids, n, pairs);
}

const scanRanks = new Int32Array(HEAP_THRESHOLD);

function mergeByScan(ids: Int32Array, n: number, pairs: PairTable): number {
  const ranks = scanRanks; // ranks[i]: merged id of (ids[i], ids[i+1]), NONE if not a token
  for (let i = 0; i < n - 1; i++) {
    const r = pairs.get(ids[i], ids[i + 1]);
    ranks[i] = r < 0 ? NONE : r;
  }
  while (n > 1) {
    let best = NONE;
    let at = -1;
    for (let i = 0; i < n - 1; i++) {
      if (ranks[i] < best) {
        best = ranks[i];
        at = i;
      }
    }
    if (at < 0) break;
    ids[at] = best;
    for (let k = at + 1; k < n - 1; k++) ids[k] = ids[k + 1];
    for (let k = at + 1; k < n - 2; k++) ranks[k] = ranks[k + 1];
    n--;
    if (at > 0) {
      const r = pairs.get(ids[at - 1], ids[at]);
      ranks[at - 1] = r < 0 ? NONE : r;
    }
    if (at < n - 1) {
      const r = pairs.get(ids[at], ids[at + 1]);
      ranks[at] = r < 0 ? NONE : r;
    }
  }
  return n;
}

/** Min-heap of keys `rank * n + position`, so ties pop leftmost. */
class KeyHeap {
  private items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(key: number): void {
    const a = this.items;
    let i = a.length;
    a.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= key) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = key;
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= a.length) break;
        if (c + 1 < a.length && a[c + 1] < a[c]) c++;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

function mergeByHeap(ids: Int32Array, n: number, pairs: PairTable): number {
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const rank = new Int32Array(n); // rank[i]: merged id of i and next[i]; NONE if none
  const heap = new KeyHeap();
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
    const r = i + 1 < n ? pairs.get(ids[i], ids[i + 1]) : -1;
    rank[i] = r < 0 ? NONE : r;
    if (r >= 0) heap.push(r * n + i);
  }
  const refresh = (i: number) => {
    const r = next[i] < n ? pairs.get(ids[i], ids[next[i]]) : -1;
    rank[i] = r < 0 ? NONE : r;
    if (r >= 0) heap.push(r * n + i);
  };
  while (heap.size > 0) {
    const key = heap.pop();
    const i = key % n;
    const r = (key - i) / n;
    if (rank[i] !== r) continue; // stale: the pair at i changed since this entry was pushed
    const j = next[i];
    ids[i] = r;
    rank[j] = NONE; // j is gone; any entries keyed on it are now stale
    next[i] = next[j];
    if (next[j] < n) prev[next[j]] = i;
    refresh(i);
    if (prev[i] >= 0) refresh(prev[i]);
  }
  let m = 0;
  for (let i = 0; i < n; i = next[i]) ids[m++] = ids[i];
  return m;
}
