/**
 * Chunk → token ids cache keyed by the chunk's UTF-16 code units in place. Most chunks of real text
 * repeat (words, spaces, punctuation), so a hit must be cheap: hashing the units straight from the
 * source string avoids allocating a substring per chunk, which profiling showed cost more than the
 * scanning itself. Keys and ids live in growable typed-array pools; the cache empties itself when
 * full instead of evicting, which keeps it simple and bounded.
 */

const EMPTY = -1;

export class ChunkCache {
  private slots = new Int32Array(1 << 12).fill(EMPTY);
  private hashes = new Int32Array(1 << 11);
  private keyStart = new Int32Array(1 << 11);
  private keyLength = new Int32Array(1 << 11);
  private idsStart = new Int32Array(1 << 11);
  private idsLength = new Int32Array(1 << 11);
  private keys = new Uint16Array(1 << 14);
  private keysUsed = 0;
  /** Token ids of all entries; read it with the offset `find` reports via idsAt/idsCount. */
  ids = new Int32Array(1 << 13);
  private idsUsed = 0;
  private count = 0;

  constructor(private readonly maxEntries: number) {}

  static hash(text: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h ^ (h >>> 16);
  }

  /** Entry index holding text[start, end), or -1. */
  find(text: string, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    const len = end - start;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s];
      if (e === EMPTY) return EMPTY;
      if (this.hashes[e] !== hash || this.keyLength[e] !== len) continue;
      const k = this.keyStart[e];
      let i = 0;
      while (i < len && this.keys[k + i] === text.charCodeAt(start + i)) i++;
      if (i === len) return e;
    }
  }

  idsAt(entry: number): number {
    return this.idsStart[entry];
  }

  idsCount(entry: number): number {
    return this.idsLength[entry];
  }

  insert(text: string, start: number, end: number, hash: number, ids: ArrayLike<number>): void {
    if (this.count >= this.maxEntries) this.clear();
    if (this.count * 2 >= this.slots.length) this.growSlots();
    if (this.count === this.hashes.length) this.growEntries();
    const len = end - start;
    while (this.keysUsed + len > this.keys.length) this.keys = grow16(this.keys);
    while (this.idsUsed + ids.length > this.ids.length) this.ids = grow32(this.ids);
    const e = this.count++;
    this.hashes[e] = hash;
    this.keyStart[e] = this.keysUsed;
    this.keyLength[e] = len;
    for (let i = 0; i < len; i++) this.keys[this.keysUsed++] = text.charCodeAt(start + i);
    this.idsStart[e] = this.idsUsed;
    this.idsLength[e] = ids.length;
    for (let i = 0; i < ids.length; i++) this.ids[this.idsUsed++] = ids[i];
    this.place(e);
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let s = this.hashes[e] & mask;
    while (this.slots[s] !== EMPTY) s = (s + 1) & mask;
    this.slots[s] = e;
  }

  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    for (let e = 0; e < this.count; e++) this.place(e);
  }

  private growEntries(): void {
    this.hashes = grow32(this.hashes);
    this.keyStart = grow32(this.keyStart);
    this.keyLength = grow32(this.keyLength);
    this.idsStart = grow32(this.idsStart);
    this.idsLength = grow32(this.idsLength);
  }

  private clear(): void {
    this.slots.fill(EMPTY);
    this.count = 0;
    this.keysUsed = 0;
    this.idsUsed = 0;
  }
}

function grow32(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function grow16(a: Uint16Array): Uint16Array<ArrayBuffer> {
  const b = new Uint16Array(a.length * 2);
  b.set(a);
  return b;
}
