/**
 * SFT batches for a GPT with context T. Each conversation is rendered by the chat template into ids and
 * a loss mask (1 on assistant content and `<|assistant_end|>`), then served as rows of T + 1 tokens:
 *   inputs[t] = row[t],  targets[t] = row[t + 1],  weights[t] = mask[t + 1]
 * so the loss at position t counts exactly when the token being predicted is one the assistant must
 * produce. A conversation longer than T + 1 tokens is cut to T + 1 (counted in `stats.truncated`), and
 * dropped when the cut leaves no assistant token to learn (`stats.dropped`).
 *
 * Two ways to fill rows:
 *   padding  one conversation per row, the rest `padId` with weight 0.
 *   packing  whole conversations back to back while they fit, then padding. A conversation never
 *            straddles two rows, so every weighted token sees its whole prompt. No loss crosses a
 *            boundary: each conversation starts with `<|endoftext|>`, whose mask is 0, so the step
 *            from one conversation's last token into the next one's first token has weight 0 (the
 *            rule is simply weights[t] = mask[t + 1]; only a next conversation opening with
 *            assistant content would get weight there, and the template never renders one). Attention
 *            is not masked at the boundary: as in pretraining, `<|endoftext|>` tells the model that
 *            what came before is unrelated.
 *   With `slot` S (packing only), every conversation starts at a multiple of S, the gap padded with
 *   weight 0. GPT-2's position embeddings are absolute: a prompt that can start anywhere in the row
 *   makes the model learn digit lookups at every offset, while at inference the prompt starts at 0.
 *   Slots keep a few offsets (0, S, 2S, ...) at the cost of some padding; the tiny model learns
 *   arithmetic several times faster that way than with free packing.
 *
 * Order: each epoch visits every conversation once in a shuffled order. The shuffle seed is drawn from
 * the caller's Rng when the epoch starts and kept in the cursor, so (cursor, Rng state) is a complete
 * resume point and the same pair always yields the same batches. The weighted loss itself is the
 * trainer's job.
 */
import { renderConversation, type Conversation, type Tokenizer } from "@forno/tokenizer";
import { Rng } from "../rng.ts";
import { SftBatchError } from "./errors.ts";

/** One rendered conversation of at most T + 1 tokens. */
export interface SftSequence {
  ids: Int32Array;
  /** 1 where ids[i] is a training target (assistant content or its end token). */
  mask: Uint8Array;
}

export interface SftStats {
  conversations: number;
  /** Conversations turned into sequences (conversations − dropped). */
  kept: number;
  /** Conversations longer than T + 1 tokens that were cut (kept or not). */
  truncated: number;
  /** Conversations with no assistant token left after the cut. */
  dropped: number;
  /** Tokens over all kept sequences. */
  tokens: number;
  /** Positions with weight 1 over all kept sequences (one per assistant token after the first token). */
  lossTokens: number;
}

/** Renders, truncates to T + 1 tokens and filters conversations for SFT. */
export function prepareSequences(tokenizer: Tokenizer, conversations: readonly Conversation[], T: number): { sequences: SftSequence[]; stats: SftStats } {
  checkT(T);
  const stats: SftStats = { conversations: conversations.length, kept: 0, truncated: 0, dropped: 0, tokens: 0, lossTokens: 0 };
  const sequences: SftSequence[] = [];
  for (const conversation of conversations) {
    const { ids, mask } = renderConversation(tokenizer, conversation);
    const n = Math.min(ids.length, T + 1);
    if (ids.length > n) stats.truncated++;
    let loss = 0;
    for (let i = 1; i < n; i++) loss += mask[i];
    if (loss === 0) {
      stats.dropped++;
      continue;
    }
    sequences.push({ ids: Int32Array.from(ids.slice(0, n)), mask: Uint8Array.from(mask.slice(0, n)) });
    stats.kept++;
    stats.tokens += n;
    stats.lossTokens += loss;
  }
  return { sequences, stats };
}

export type SftMode = "padding" | "packing";

export interface SftBatcherOptions {
  /** Context length in tokens; rows hold T + 1 tokens. */
  T: number;
  /** Token id written where a row has no data; its weight is 0. The tokenizer's `<|endoftext|>` is a good choice. */
  padId: number;
  /** Default "padding". */
  mode?: SftMode;
  /** Packing only: conversations start at multiples of this many tokens (default 1: back to back). */
  slot?: number;
}

/** A (B, T) SFT batch, row-major; weights[b·T + t] scales the loss of predicting targets[b·T + t]. */
export interface SftBatch {
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

/** Where an SftBatcher stands; plain JSON, stored in the checkpoint beside the Rng state. */
export interface SftCursor {
  mode: SftMode;
  T: number;
  /** Packing slot (1 when absent: cursors written before slots existed). */
  slot?: number;
  /** Number of sequences the batcher was built on: a resume onto different data is refused. */
  sequences: number;
  /** Completed passes over the data. */
  epoch: number;
  /** Index into this epoch's shuffled order of the next sequence to serve. */
  position: number;
  /** Seed of this epoch's shuffle; null until the epoch's first sequence is served. */
  epochSeed: number | null;
}

function checkT(T: number): void {
  if (!Number.isInteger(T) || T < 1) throw new SftBatchError(`T (context length) must be a positive integer, got ${T}`);
}

/** The permutation of [0, n) for one epoch (Fisher–Yates driven by the epoch's own seeded Rng). */
function shuffledOrder(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rng = Rng.fromSeed(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export class SftBatcher {
  readonly mode: SftMode;
  readonly T: number;
  readonly padId: number;
  readonly slot: number;
  private epoch = 0;
  private position = 0;
  private epochSeed: number | null = null;
  private order: Int32Array | null = null;

  constructor(
    private readonly sequences: readonly SftSequence[],
    options: SftBatcherOptions,
  ) {
    checkT(options.T);
    this.T = options.T;
    this.mode = options.mode ?? "padding";
    this.padId = options.padId;
    this.slot = options.slot ?? 1;
    if (this.mode === "padding" && this.slot !== 1) throw new SftBatchError(`slot applies to packing only; padding already starts every conversation at 0 (got slot ${this.slot})`);
    if (!Number.isInteger(this.slot) || this.slot < 1 || this.slot > this.T) throw new SftBatchError(`slot must be an integer in [1, T = ${this.T}], got ${options.slot}`);
    if (this.mode !== "padding" && this.mode !== "packing") throw new SftBatchError(`mode must be "padding" or "packing", got ${JSON.stringify(this.mode)}`);
    if (!Number.isInteger(this.padId) || this.padId < 0) throw new SftBatchError(`padId must be a non-negative token id, got ${this.padId}`);
    if (sequences.length === 0) throw new SftBatchError("expected at least one sequence, got none; check that the conversations fit the context (see prepareSequences stats)");
    sequences.forEach((s, i) => {
      if (s.ids.length > this.T + 1 || s.ids.length !== s.mask.length) {
        throw new SftBatchError(`sequence ${i}: expected ids and mask of equal length ≤ T + 1 = ${this.T + 1}, got ${s.ids.length} ids and ${s.mask.length} mask entries; build sequences with prepareSequences(tok, conversations, T)`);
      }
    });
  }

  /** Renders conversations with `tokenizer` and builds a batcher; `stats` tells how many were cut or dropped. */
  static fromConversations(tokenizer: Tokenizer, conversations: readonly Conversation[], options: SftBatcherOptions): { batcher: SftBatcher; stats: SftStats } {
    const { sequences, stats } = prepareSequences(tokenizer, conversations, options.T);
    return { batcher: new SftBatcher(sequences, options), stats };
  }

  /** The next sequence in epoch order; an epoch's shuffle seed is drawn from `rng` when the epoch starts. */
  private peek(rng: Rng): SftSequence {
    if (this.epochSeed === null) this.epochSeed = rng.uint32();
    this.order ??= shuffledOrder(this.sequences.length, this.epochSeed);
    return this.sequences[this.order[this.position]];
  }

  /** Consumes the sequence `peek` returned; finishing an epoch counts it at once, so cursors read the same in both modes. */
  private advance(): void {
    this.position++;
    if (this.position === this.sequences.length) {
      this.epoch++;
      this.position = 0;
      this.epochSeed = null;
      this.order = null;
    }
  }

  /** B rows of T tokens; see the module comment for the layout of each row. */
  nextBatch(B: number, rng: Rng): SftBatch {
    if (!Number.isInteger(B) || B < 1) throw new SftBatchError(`B (batch size) must be a positive integer, got ${B}`);
    const T = this.T;
    const batch: SftBatch = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T), weights: new Float32Array(B * T) };
    const row = new Int32Array(T + 1); // (T + 1) token ids
    const mask = new Uint8Array(T + 1);
    for (let b = 0; b < B; b++) {
      row.fill(this.padId);
      mask.fill(0);
      let used = 0;
      do {
        const seq = this.peek(rng);
        if (used + seq.ids.length > T + 1) break; // packing: the next conversation waits for the next row
        row.set(seq.ids, used);
        mask.set(seq.mask, used);
        used = Math.ceil((used + seq.ids.length) / this.slot) * this.slot;
        this.advance();
      } while (this.mode === "packing" && used < T + 1);
      batch.inputs.set(row.subarray(0, T), b * T);
      batch.targets.set(row.subarray(1), b * T);
      for (let t = 0; t < T; t++) batch.weights[b * T + t] = mask[t + 1];
    }
    return batch;
  }

  cursor(): SftCursor {
    return { mode: this.mode, T: this.T, slot: this.slot, sequences: this.sequences.length, epoch: this.epoch, position: this.position, epochSeed: this.epochSeed };
  }

  /** Continues from a cursor taken on a batcher over the same sequences, mode and T. */
  seek(cursor: SftCursor): void {
    const same = cursor?.mode === this.mode && cursor.T === this.T && (cursor.slot ?? 1) === this.slot && cursor.sequences === this.sequences.length;
    const sane =
      Number.isInteger(cursor?.epoch) && cursor.epoch >= 0 &&
      Number.isInteger(cursor.position) && cursor.position >= 0 && cursor.position < this.sequences.length &&
      (cursor.epochSeed === null ? cursor.position === 0 : Number.isInteger(cursor.epochSeed) && cursor.epochSeed >= 0);
    if (!same || !sane) {
      throw new SftBatchError(
        `cannot resume: expected a cursor for mode ${this.mode}, T ${this.T}, slot ${this.slot}, ${this.sequences.length} sequences, got ${JSON.stringify(cursor)}; ` +
          "resume with the same data and settings, or start the SFT stage afresh",
      );
    }
    this.epoch = cursor.epoch;
    this.position = cursor.position;
    this.epochSeed = cursor.epochSeed;
    this.order = cursor.epochSeed === null ? null : shuffledOrder(this.sequences.length, cursor.epochSeed);
  }
}
