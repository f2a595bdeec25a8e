/**
 * An open-addressing hash table from a pair of token ids to the id of their merge. BPE encoding
 * asks "what do these two neighbours merge into?" millions of times, and typed arrays with integer
 * hashing answer it without the string keys or boxed doubles a Map would need.
 */

export class PairTable {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** Merged id per slot, -1 for an empty slot. */
  private readonly merged: Int32Array;
  private readonly mask: number;

  constructor(capacityHint: number) {
    let size = 16;
    while (size < capacityHint * 2) size *= 2; // load factor ≤ 0.5 keeps probe chains short
    this.left = new Int32Array(size);
    this.right = new Int32Array(size);
    this.merged = new Int32Array(size).fill(-1);
    this.mask = size - 1;
  }

  private slot(a: number, b: number): number {
    const h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
    return (h ^ (h >>> 15)) & this.mask;
  }

  set(a: number, b: number, id: number): void {
    let s = this.slot(a, b);
    while (this.merged[s] !== -1 && (this.left[s] !== a || this.right[s] !== b)) s = (s + 1) & this.mask;
    this.left[s] = a;
    this.right[s] = b;
    this.merged[s] = id;
  }

  /** The id `a` and `b` merge into, or -1 when the pair is not a token. */
  get(a: number, b: number): number {
    let s = this.slot(a, b);
    for (;;) {
      const id = this.merged[s];
      if (id === -1 || (this.left[s] === a && this.right[s] === b)) return id;
      s = (s + 1) & this.mask;
    }
  }
}
