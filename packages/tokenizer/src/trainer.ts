/**
 * Byte-level BPE training. Text is pre-tokenised and identical chunks are counted once, so the
 * merge loop works on unique "words" weighted by frequency. Pair counts are updated only around
 * each merged occurrence (pair → words index), and the next merge comes from a lazy max-heap, so a
 * merge costs time proportional to its occurrences, not to the corpus. Ties go to the lowest
 * (left, right) pair. Ids 0–255 are the single bytes in byte order, merges follow, and the special
 * tokens sit at the top of the vocabulary.
 */

import { CHAT_SPECIAL_TOKENS } from "./special-tokens.ts";
import { TrainingError } from "./errors.ts";
import { PairHeap } from "./pair-heap.ts";
import type { Pattern } from "./patterns.ts";
import { preTokenize } from "./pre-tokenize.ts";
import { createProgress } from "./progress-bar.ts";
import { Tokenizer } from "./tokenizer.ts";

export interface TrainOptions {
  /** Total vocabulary size including the 256 byte tokens and the special tokens. */
  vocabSize: number;
  /** Stop merging when the best pair occurs fewer times than this. Default 2. */
  minFrequency?: number;
  /** Default: `<|endoftext|>` and the chat role tokens. */
  specialTokens?: readonly string[];
  /** Default "cl100k" (digits in groups of ≤ 3, newlines kept apart from words). */
  pattern?: Pattern;
  /** "auto" (default) shows a bar on stderr for runs of 1,000+ merges. */
  progress?: boolean | "auto";
}

export interface TrainResult {
  tokenizer: Tokenizer;
  /** (left, right) ids of each merge in order; merge i produced id 256 + i unless its bytes already existed. */
  merges: Array<[number, number]>;
}

/** Unique pre-tokenised chunks with their counts. */
export function countChunks(texts: Iterable<string>, pattern: Pattern): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const chunk of preTokenize(text, pattern)) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
  return counts;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

export function trainTokenizer(texts: Iterable<string>, options: TrainOptions): TrainResult {
  const pattern = options.pattern ?? "cl100k";
  const specials = options.specialTokens ?? CHAT_SPECIAL_TOKENS;
  const minFrequency = options.minFrequency ?? 2;
  const mergeLimit = options.vocabSize - 256 - specials.length;
  if (!Number.isInteger(options.vocabSize) || mergeLimit < 0) {
    throw new TrainingError(`expected vocabSize to be an integer ≥ ${256 + specials.length} (256 bytes + ${specials.length} specials), got ${options.vocabSize}; raise --vocab`);
  }
  const encoder = new TextEncoder();
  const chunkCounts = countChunks(texts, pattern);
  const words: Int32Array[] = [];
  const lengths: number[] = [];
  const freqs: number[] = [];
  for (const [chunk, count] of chunkCounts) {
    const bytes = encoder.encode(chunk);
    words.push(Int32Array.from(bytes));
    lengths.push(bytes.length);
    freqs.push(count);
  }

  const tokens: Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  const idsByBytes = new Map(tokens.map((t, id) => [latin1(t), id]));
  const K = options.vocabSize; // pair key = left * K + right orders keys like (left, right)
  const pairCounts = new Map<number, number>();
  const where = new Map<number, number[]>(); // pair key → words that may contain it
  const add = (key: number, delta: number) => {
    const c = (pairCounts.get(key) ?? 0) + delta;
    if (c === 0) pairCounts.delete(key);
    else pairCounts.set(key, c);
  };
  const note = (key: number, w: number) => {
    const list = where.get(key);
    if (list) list.push(w);
    else where.set(key, [w]);
  };
  words.forEach((word, w) => {
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i] * K + word[i + 1];
      add(key, freqs[w]);
      note(key, w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const showProgress = options.progress === true || (options.progress !== false && mergeLimit >= 1000);
  const progress = showProgress ? createProgress("merges", mergeLimit) : undefined;
  const merges: Array<[number, number]> = [];
  const seen = new Int32Array(words.length).fill(-1);
  const touched = new Set<number>();
  while (tokens.length - 256 < mergeLimit && heap.size > 0) {
    const count = heap.topCount();
    const key = heap.topKey();
    heap.pop();
    const live = pairCounts.get(key) ?? 0;
    if (live !== count) {
      if (live > 0) heap.push(live, key); // counts only fall between pushes, so this re-queues it lower
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(key / K);
    const b = key - a * K;
    const bytes = new Uint8Array(tokens[a].length + tokens[b].length);
    bytes.set(tokens[a]);
    bytes.set(tokens[b], tokens[a].length);
    // Two merge paths can spell the same bytes; reuse the id so ranks stay a function of bytes.
    let z = idsByBytes.get(latin1(bytes));
    if (z === undefined) {
      z = tokens.length;
      tokens.push(bytes);
      idsByBytes.set(latin1(bytes), z);
    }
    merges.push([a, b]);
    const stamp = merges.length;
    touched.clear();
    for (const w of where.get(key) ?? []) {
      if (seen[w] === stamp) continue;
      seen[w] = stamp;
      const word = words[w];
      const f = freqs[w];
      const len = lengths[w];
      let out = 0;
      for (let r = 0; r < len; ) {
        if (r + 1 < len && word[r] === a && word[r + 1] === b) {
          add(key, -f);
          if (out > 0) {
            const x = word[out - 1];
            add(x * K + a, -f);
            add(x * K + z, f);
            touched.add(x * K + z);
            note(x * K + z, w);
          }
          if (r + 2 < len) {
            const y = word[r + 2];
            add(b * K + y, -f);
            add(z * K + y, f);
            touched.add(z * K + y);
            note(z * K + y, w);
          }
          word[out++] = z;
          r += 2;
        } else {
          word[out++] = word[r++];
        }
      }
      lengths[w] = out;
    }
    where.delete(key);
    for (const t of touched) {
      const c = pairCounts.get(t);
      if (c !== undefined) heap.push(c, t);
    }
    progress?.update(tokens.length - 256);
  }
  progress?.finish();
  const specialIds = Object.fromEntries(specials.map((s, i) => [s, tokens.length + i]));
  return { tokenizer: new Tokenizer({ tokens, specials: specialIds, pattern }), merges };
}

/** Trains on UTF-8 text files (each read whole). */
export async function trainTokenizerFromFiles(paths: readonly string[], options: TrainOptions): Promise<TrainResult> {
  const texts: string[] = [];
  for (const path of paths) {
    const file = Bun.file(path);
    if (!(await file.exists())) throw new TrainingError(`expected a readable corpus file, got no file at ${path}; check the path`);
    texts.push(await file.text());
  }
  return trainTokenizer(texts, options);
}
