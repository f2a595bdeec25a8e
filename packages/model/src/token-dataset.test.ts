import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ShardError } from "./errors.ts";
import { Rng } from "./rng.ts";
import { writeShard } from "./shards.ts";
import { TokenDataset, type SplitCursor } from "./token-dataset.ts";
import { useTempDirs } from "./test-dir.ts";

const tempDir = useTempDirs();
const V = 1000;

/** Shards holding the stream 0, 1, 2, …, n − 1 cut at the given sizes, so token = its stream index. */
function counting(sizes: number[]): string[] {
  const dir = tempDir();
  let next = 0;
  return sizes.map((n, i) => {
    const path = join(dir, `shard-${i}.bin`);
    writeShard(path, Array.from({ length: n }, () => next++), V);
    return path;
  });
}

describe("TokenDataset", () => {
  test("splits deterministically: the last valFraction of the tokens is val", () => {
    const ds = TokenDataset.open(counting([300, 200, 500]), { valFraction: 0.25 });
    expect([ds.length, ds.train.length, ds.val.length, ds.vocabSize]).toEqual([1000, 750, 250, V]);
    expect(TokenDataset.open(counting([10]), { valFraction: 0 }).val.length).toBe(0);
    expect(TokenDataset.open(counting([10])).val.length).toBe(1); // default 0.1
  });

  test("sampleBatch: B·T windows inside the split, targets shifted by one, across shard boundaries, seeded", () => {
    const ds = TokenDataset.open(counting([300, 200, 500]), { valFraction: 0.25 });
    const B = 8;
    const T = 64;
    const { inputs, targets } = ds.train.sampleBatch(B, T, Rng.fromSeed(5));
    expect(inputs.length).toBe(B * T);
    for (let b = 0; b < B; b++) {
      const start = inputs[b * T];
      expect(start + T).toBeLessThan(750); // the target of the last input is still train
      for (let t = 0; t < T; t++) {
        expect(inputs[b * T + t]).toBe(start + t);
        expect(targets[b * T + t]).toBe(start + t + 1);
      }
    }
    const val = ds.val.sampleBatch(B, T, Rng.fromSeed(5));
    expect(val.inputs.every((x) => x >= 750)).toBe(true);
    expect(ds.train.sampleBatch(B, T, Rng.fromSeed(5))).toEqual({ inputs, targets });
    expect(ds.train.sampleBatch(B, T, Rng.fromSeed(6)).inputs).not.toEqual(inputs);
  });

  test("nextBatch reads sequentially, wraps at the end, and resumes exactly from a JSON cursor", () => {
    const ds = TokenDataset.open(counting([40, 60]), { valFraction: 0.1 }); // train = 0..89
    const first = ds.train.nextBatch(2, 10);
    expect([...first.inputs]).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([...first.targets]).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    ds.train.nextBatch(2, 10);
    ds.train.nextBatch(2, 10);
    expect(ds.train.cursor()).toEqual({ split: "train", position: 60, epoch: 0, tokens: 90 });
    const saved = JSON.parse(JSON.stringify(ds.cursor())) as { train: SplitCursor; val: SplitCursor };
    const fourth = ds.train.nextBatch(2, 10); // 60..80, target 81 still inside
    expect(fourth.inputs[0]).toBe(60);
    const wrapped = ds.train.nextBatch(2, 10); // 80 + 21 > 90: back to 0
    expect(wrapped.inputs[0]).toBe(0);
    expect(ds.train.cursor()).toEqual({ split: "train", position: 20, epoch: 1, tokens: 90 });

    const resumed = TokenDataset.open(ds.shards.map((s) => s.path), { valFraction: 0.1 });
    resumed.seek(saved);
    expect(resumed.train.nextBatch(2, 10)).toEqual(fourth);
    expect(resumed.train.nextBatch(2, 10)).toEqual(wrapped);
  });

  test("a cursor from different data or another split is refused", () => {
    const ds = TokenDataset.open(counting([100]), { valFraction: 0.1 });
    expect(() => ds.train.seek({ split: "train", position: 0, epoch: 0, tokens: 80 })).toThrow(
      new ShardError("train cursor was taken on a split of 80 tokens, this split has 90; the shards or valFraction changed since the checkpoint — resume with the same data, or start the data cursor afresh"),
    );
    expect(() => ds.val.seek({ split: "train", position: 0, epoch: 0, tokens: 10 })).toThrow('invalid val cursor {"split":"train","position":0,"epoch":0,"tokens":10}: expected { split: "val", position in [0, 10], epoch ≥ 0 }; pass a value from cursor()');
  });

  test("requests larger than the split, mixed vocabularies and bad options are refused with the numbers", () => {
    const ds = TokenDataset.open(counting([100]), { valFraction: 0.1 });
    expect(() => ds.val.sampleBatch(1, 10, Rng.fromSeed(1))).toThrow(new ShardError("val split has 10 tokens, fewer than the 11 needed for one window (B 1, T 10); lower B or T, change valFraction, or add data"));
    expect(() => ds.train.nextBatch(10, 10)).toThrow("train split has 90 tokens, fewer than the 101 needed for one sequential batch (B·T + 1) (B 10, T 10)");
    const dir = tempDir();
    writeShard(join(dir, "x.bin"), [1], 10);
    writeShard(join(dir, "y.bin"), [1], 20);
    expect(() => TokenDataset.open([join(dir, "x.bin"), join(dir, "y.bin")])).toThrow(`${join(dir, "y.bin")} has vocabSize 20, but ${join(dir, "x.bin")} has 10; every shard of a dataset must come from the same tokenizer`);
    expect(() => TokenDataset.open([join(dir, "x.bin")], { valFraction: 1 })).toThrow("valFraction must be in [0, 1), got 1");
    expect(() => TokenDataset.open([])).toThrow("TokenDataset.open: expected at least one shard path, got none");
  });
});
