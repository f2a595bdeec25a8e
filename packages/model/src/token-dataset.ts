/**
 * TokenDataset: one token stream made of one or more shards (concatenated in the order given), split
 * deterministically into train (the first 1 − valFraction of the tokens) and val (the last valFraction).
 * Each split serves (B, T) batches two ways: `sampleBatch` draws B random windows with a caller-owned
 * Rng (its state is the resume point), and `nextBatch` reads the split front to back, wrapping at the end,
 * with a JSON cursor the trainer stores in the checkpoint. Targets are the inputs shifted by one token.
 * Windows may cross shard boundaries: shards are cuts of one document stream, separated by EOT tokens.
 */
import { ShardError } from "./errors.ts";
import type { Rng } from "./rng.ts";
import { openShard, type Shard } from "./shards.ts";

export type SplitName = "train" | "val";

/** A (B, T) batch, row-major: targets[b·T + t] is the token after inputs[b·T + t]. */
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
}

/** Where sequential reading stands in one split; plain JSON. */
export interface SplitCursor {
  split: SplitName;
  /** Offset of the next batch's first token within the split, tokens. */
  position: number;
  /** Completed passes over the split. */
  epoch: number;
  /** The split's size when the cursor was taken, tokens: a resume onto different data is refused. */
  tokens: number;
}

export interface TokenDatasetOptions {
  /** Fraction of the tokens, taken from the end, held out for validation. Default 0.1. */
  valFraction?: number;
}

/** One contiguous range [start, start + length) of the dataset's token stream. */
export class TokenSplit {
  private position = 0;
  private epoch = 0;

  constructor(
    readonly name: SplitName,
    private readonly dataset: TokenDataset,
    private readonly start: number,
    readonly length: number,
  ) {}

  /** B windows of T + 1 tokens at uniformly random offsets. */
  sampleBatch(B: number, T: number, rng: Rng): Batch {
    this.checkSize(B, T, T + 1, "one window");
    const batch = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T) };
    const window = new Int32Array(T + 1);
    for (let b = 0; b < B; b++) {
      this.dataset.read(this.start + rng.int(this.length - T), window);
      batch.inputs.set(window.subarray(0, T), b * T);
      batch.targets.set(window.subarray(1), b * T);
    }
    return batch;
  }

  /** The next B·T + 1 tokens from the cursor, as B rows; wraps to the split's start when too few remain. */
  nextBatch(B: number, T: number): Batch {
    this.checkSize(B, T, B * T + 1, "one sequential batch (B·T + 1)");
    if (this.position + B * T + 1 > this.length) {
      this.position = 0;
      this.epoch++;
    }
    const buf = new Int32Array(B * T + 1);
    this.dataset.read(this.start + this.position, buf);
    this.position += B * T;
    return { inputs: buf.slice(0, B * T), targets: buf.slice(1) };
  }

  cursor(): SplitCursor {
    return { split: this.name, position: this.position, epoch: this.epoch, tokens: this.length };
  }

  /** Resumes sequential reading from a saved cursor of this split and this data. */
  seek(cursor: SplitCursor): void {
    const ok = cursor?.split === this.name && Number.isSafeInteger(cursor.position) && cursor.position >= 0 && cursor.position <= this.length && Number.isSafeInteger(cursor.epoch) && cursor.epoch >= 0;
    if (!ok) throw new ShardError(`invalid ${this.name} cursor ${JSON.stringify(cursor)}: expected { split: "${this.name}", position in [0, ${this.length}], epoch ≥ 0 }; pass a value from cursor()`);
    if (cursor.tokens !== this.length) {
      throw new ShardError(`${this.name} cursor was taken on a split of ${cursor.tokens} tokens, this split has ${this.length}; the shards or valFraction changed since the checkpoint — resume with the same data, or start the data cursor afresh`);
    }
    this.position = cursor.position;
    this.epoch = cursor.epoch;
  }

  private checkSize(B: number, T: number, needed: number, what: string): void {
    if (!Number.isSafeInteger(B) || B < 1 || !Number.isSafeInteger(T) || T < 1) throw new ShardError(`B and T must be positive integers, got B ${B}, T ${T}`);
    if (this.length < needed) {
      throw new ShardError(`${this.name} split has ${this.length} tokens, fewer than the ${needed} needed for ${what} (B ${B}, T ${T}); lower B or T, change valFraction, or add data`);
    }
  }
}

export class TokenDataset {
  readonly vocabSize: number;
  /** Tokens in all shards together. */
  readonly length: number;
  readonly train: TokenSplit;
  readonly val: TokenSplit;
  /** offsets[i]: index of shards[i]'s first token in the stream; offsets[shards.length] = length. */
  private readonly offsets: number[];

  private constructor(
    readonly shards: Shard[],
    valFraction: number,
  ) {
    this.vocabSize = shards[0].vocabSize;
    for (const s of shards) {
      if (s.vocabSize !== this.vocabSize) throw new ShardError(`${s.path} has vocabSize ${s.vocabSize}, but ${shards[0].path} has ${this.vocabSize}; every shard of a dataset must come from the same tokenizer`);
    }
    if (this.vocabSize > 2 ** 31) throw new ShardError(`vocabSize ${this.vocabSize} does not fit the Int32Array batches (max 2^31)`);
    this.offsets = [0];
    for (const s of shards) this.offsets.push(this.offsets.at(-1)! + s.tokens.length);
    this.length = this.offsets.at(-1)!;
    const valTokens = Math.floor(this.length * valFraction);
    this.train = new TokenSplit("train", this, 0, this.length - valTokens);
    this.val = new TokenSplit("val", this, this.length - valTokens, valTokens);
  }

  /** Opens (memory-maps) the shards in order. */
  static open(paths: readonly string[], options: TokenDatasetOptions = {}): TokenDataset {
    const valFraction = options.valFraction ?? 0.1;
    if (paths.length === 0) throw new ShardError("TokenDataset.open: expected at least one shard path, got none");
    if (!(valFraction >= 0 && valFraction < 1)) throw new ShardError(`valFraction must be in [0, 1), got ${valFraction}`);
    return new TokenDataset(paths.map(openShard), valFraction);
  }

  cursor(): { train: SplitCursor; val: SplitCursor } {
    return { train: this.train.cursor(), val: this.val.cursor() };
  }

  seek(cursor: { train: SplitCursor; val: SplitCursor }): void {
    this.train.seek(cursor.train);
    this.val.seek(cursor.val);
  }

  /** Copies tokens [start, start + out.length) of the stream into `out`, across shard boundaries. */
  read(start: number, out: Int32Array): void {
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= start) lo = mid;
      else hi = mid - 1;
    }
    let done = 0;
    for (let s = lo; done < out.length; s++) {
      const tokens = this.shards[s].tokens;
      const from = start + done - this.offsets[s];
      const n = Math.min(tokens.length - from, out.length - done);
      out.set(tokens.subarray(from, from + n), done);
      done += n;
    }
  }
}
