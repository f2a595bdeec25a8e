/**
 * The byte-level BPE tokenizer: pre-tokenise, look each chunk up in a chunk→ids cache, and on a
 * miss run tiktoken's merge over the chunk's UTF-8 bytes. Special tokens follow tiktoken's rules
 * (an allowed set; any other special's text in the input raises). Lone surrogates are encoded as
 * U+FFFD (EF BF BD), exactly as TextEncoder and tiktoken do, so `decode(encode(x)) === x` holds for
 * well-formed strings only. Loading vocabularies from disk and training them live elsewhere.
 */

import { bytePairMerge } from "./byte-pair-merge.ts";
import { ChunkCache } from "./chunk-cache.ts";
import { DecodeTable } from "./decode-table.ts";
import { DisallowedSpecialTokenError, InvalidVocabularyError } from "./errors.ts";
import { PairTable } from "./pair-table.ts";
import { type Pattern, patternSource } from "./patterns.ts";
import { type ChunkScanner, scannerFor } from "./pre-tokenize.ts";

export interface VocabularySpec {
  /** Token bytes indexed by id (= merge rank). Must contain all 256 single bytes. */
  tokens: readonly Uint8Array[];
  /** Special token text → id; ids must not collide with `tokens`. */
  specials?: Readonly<Record<string, number>>;
  pattern: Pattern;
}

export interface EncodeOptions {
  /** Specials encoded as their single id. Default: none. */
  allowedSpecial?: readonly string[] | "all";
  /** Specials whose text raises DisallowedSpecialTokenError. Default "all": every special not allowed. */
  disallowedSpecial?: readonly string[] | "all";
}

/** Chunks longer than this (UTF-16 units) are not cached: they are rare and would bloat the cache. */
const MAX_CACHED_CHUNK = 128;
/** Cache entries before the cache is dropped and refilled; bounds memory on endless streams. */
const MAX_CACHE_ENTRIES = 1 << 18;

function latin1Key(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$*+?.()|[\]{}]/g, "\\$&");
}

export class Tokenizer {
  readonly pattern: Pattern;
  /** One past the largest id (ordinary or special). */
  readonly vocabSize: number;
  private readonly tokens: readonly Uint8Array[];
  private readonly specials: ReadonlyMap<string, number>;
  private readonly specialRegex: RegExp | undefined;
  private readonly scanner: ChunkScanner | undefined;
  private readonly regex: RegExp;
  private readonly pairs: PairTable;
  private readonly byteIds = new Int32Array(256);
  private readonly idsByBytes = new Map<string, number>();
  private readonly maxTokenBytes: number;
  private readonly decodeTable: DecodeTable;
  private readonly cache = new ChunkCache(MAX_CACHE_ENTRIES);
  private scratchBytes = new Uint8Array(1024);
  private scratchIds = new Int32Array(1024);
  /** ignoreBOM: a leading U+FEFF is text the caller encoded, not a byte-order mark to drop. */
  private readonly textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

  constructor(spec: VocabularySpec) {
    this.pattern = spec.pattern;
    this.tokens = spec.tokens;
    this.scanner = scannerFor(spec.pattern);
    this.regex = new RegExp(patternSource(spec.pattern), "gu");
    this.byteIds.fill(-1);
    let maxBytes = 0;
    spec.tokens.forEach((bytes, id) => {
      if (!bytes || bytes.length === 0) {
        throw new InvalidVocabularyError(`expected non-empty bytes for every token id, got none for id ${id}; ids must be dense from 0`);
      }
      const key = latin1Key(bytes, 0, bytes.length);
      if (this.idsByBytes.has(key)) {
        throw new InvalidVocabularyError(`expected unique token bytes, got the bytes of id ${this.idsByBytes.get(key)} again at id ${id}; the vocabulary file is likely corrupt`);
      }
      this.idsByBytes.set(key, id);
      if (bytes.length === 1) this.byteIds[bytes[0]] = id;
      maxBytes = Math.max(maxBytes, bytes.length);
    });
    const missing = this.byteIds.indexOf(-1);
    if (missing >= 0) {
      throw new InvalidVocabularyError(`expected all 256 single bytes to be tokens, byte 0x${missing.toString(16)} is missing; byte-level BPE needs them to encode arbitrary text`);
    }
    this.maxTokenBytes = maxBytes;
    this.specials = new Map(Object.entries(spec.specials ?? {}));
    let vocabSize = spec.tokens.length;
    for (const [text, id] of this.specials) {
      if (!Number.isInteger(id) || id < spec.tokens.length) {
        throw new InvalidVocabularyError(`expected special "${text}" to have an integer id ≥ ${spec.tokens.length} (after the ordinary tokens), got ${id}`);
      }
      vocabSize = Math.max(vocabSize, id + 1);
    }
    this.vocabSize = vocabSize;
    const names = [...this.specials.keys()].sort((a, b) => b.length - a.length); // longest match wins
    this.specialRegex = names.length ? new RegExp(names.map(escapeRegex).join("|"), "g") : undefined;
    this.pairs = this.buildPairTable();
    this.decodeTable = this.buildDecodeTable();
  }

  /**
   * Every way a token splits into two tokens. tiktoken merges two parts when their concatenated
   * bytes are a token, and parts are always tokens, so this table answers exactly that question.
   */
  private buildPairTable(): PairTable {
    const found: number[] = [];
    this.tokens.forEach((bytes, id) => {
      if (bytes.length < 2) return;
      const key = latin1Key(bytes, 0, bytes.length);
      for (let k = 1; k < key.length; k++) {
        const left = this.idsByBytes.get(key.slice(0, k));
        const right = left === undefined ? undefined : this.idsByBytes.get(key.slice(k));
        if (right !== undefined) found.push(left!, right, id);
      }
    });
    const table = new PairTable(found.length / 3);
    for (let i = 0; i < found.length; i += 3) table.set(found[i], found[i + 1], found[i + 2]);
    return table;
  }

  private buildDecodeTable(): DecodeTable {
    const encoder = new TextEncoder();
    const all: (Uint8Array | undefined)[] = [...this.tokens];
    all.length = this.vocabSize; // ids between the ordinary tokens and the specials stay undefined
    for (const [text, id] of this.specials) all[id] = encoder.encode(text);
    return new DecodeTable(all);
  }

  /** Special token text → id. */
  get specialTokens(): ReadonlyMap<string, number> {
    return this.specials;
  }

  /** Ordinary token bytes indexed by id (what save/load writes). */
  get ordinaryTokens(): readonly Uint8Array[] {
    return this.tokens;
  }

  /** Id of a special token; throws when the vocabulary lacks it. */
  specialId(text: string): number {
    const id = this.specials.get(text);
    if (id === undefined) {
      throw new InvalidVocabularyError(`expected special token "${text}" in the vocabulary, it has [${[...this.specials.keys()].join(", ")}]; train or load a vocabulary with it`);
    }
    return id;
  }

  /** Encodes text with tiktoken's special-token rules (see EncodeOptions). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const names = [...this.specials.keys()];
    const allowed = new Set(options.allowedSpecial === "all" ? names : (options.allowedSpecial ?? []));
    const disallowed = new Set(
      (options.disallowedSpecial ?? "all") === "all" ? names.filter((n) => !allowed.has(n)) : options.disallowedSpecial,
    );
    const out: number[] = [];
    if (!this.specialRegex || (allowed.size === 0 && disallowed.size === 0)) {
      this.encodeSegment(text, 0, text.length, out);
      return out;
    }
    let start = 0;
    for (const m of text.matchAll(this.specialRegex)) {
      if (disallowed.has(m[0])) throw new DisallowedSpecialTokenError(m[0], m.index);
      if (!allowed.has(m[0])) continue;
      this.encodeSegment(text, start, m.index, out);
      out.push(this.specials.get(m[0])!);
      start = m.index + m[0].length;
    }
    this.encodeSegment(text, start, text.length, out);
    return out;
  }

  /** Encodes text with no special-token handling: special text becomes ordinary tokens. */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeSegment(text, 0, text.length, out);
    return out;
  }

  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): number[][] {
    return texts.map((text) => this.encode(text, options));
  }

  private encodeSegment(text: string, start: number, end: number, out: number[]): void {
    const scan = this.scanner;
    if (!scan) {
      for (const m of text.slice(start, end).matchAll(this.regex)) {
        const ids = this.encodeChunk(m[0]);
        if (typeof ids === "number") out.push(ids);
        else for (const id of ids) out.push(id);
      }
      return;
    }
    const cache = this.cache;
    for (let i = start; i < end; ) {
      const j = scan(text, i, end);
      const cacheable = j - i <= MAX_CACHED_CHUNK;
      const hash = cacheable ? ChunkCache.hash(text, i, j) : 0;
      const entry = cacheable ? cache.find(text, i, j, hash) : -1;
      if (entry >= 0) {
        const pool = cache.ids;
        const at = cache.idsAt(entry);
        const stop = at + cache.idsCount(entry);
        for (let k = at; k < stop; k++) out.push(pool[k]);
      } else {
        const ids = this.encodeChunk(text.slice(i, j));
        if (typeof ids === "number") out.push(ids);
        else for (const id of ids) out.push(id);
        if (cacheable) cache.insert(text, i, j, hash, typeof ids === "number" ? [ids] : ids);
      }
      i = j;
    }
  }

  private encodeChunk(chunk: string): number | number[] {
    const n = this.utf8Into(chunk);
    const bytes = this.scratchBytes;
    if (n === 1) return this.byteIds[bytes[0]];
    if (n <= this.maxTokenBytes) {
      const whole = this.idsByBytes.get(latin1Key(bytes, 0, n)); // tiktoken takes a whole-chunk token as is
      if (whole !== undefined) return whole;
    }
    if (this.scratchIds.length < n) this.scratchIds = new Int32Array(n * 2);
    const ids = this.scratchIds;
    for (let k = 0; k < n; k++) ids[k] = this.byteIds[bytes[k]];
    const m = bytePairMerge(ids, n, this.pairs);
    return m === 1 ? ids[0] : Array.from(ids.subarray(0, m));
  }

  /** UTF-8 encodes into scratchBytes; lone surrogates become U+FFFD like TextEncoder. */
  private utf8Into(text: string): number {
    if (this.scratchBytes.length < text.length * 3) this.scratchBytes = new Uint8Array(text.length * 6);
    const out = this.scratchBytes;
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        out[n++] = c;
        continue;
      }
      if (c < 0x800) {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 63);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const lo = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && lo >= 0xdc00 && lo <= 0xdfff) {
          c = ((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          i++;
          out[n++] = 0xf0 | (c >> 18);
          out[n++] = 0x80 | ((c >> 12) & 63);
          out[n++] = 0x80 | ((c >> 6) & 63);
          out[n++] = 0x80 | (c & 63);
          continue;
        }
        c = 0xfffd;
      }
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
    return n;
  }

  /** Bytes of a token sequence (a view into a slightly larger buffer); may end mid-character (see StreamDecoder). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    return this.decodeTable.bytes(ids);
  }

  /** Decodes to text; invalid UTF-8 (a sequence cut mid-character) becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    return this.textDecoder.decode(this.decodeBytes(ids));
  }
}
