import { beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { initRuntime, randint } from "@forno/gpu";
import { makeConfig } from "../config.ts";
import { writeShard } from "../shards.ts";
import { useTempDirs } from "../test-dir.ts";
import { TokenDataset } from "../token-dataset.ts";
import { bigramLoss } from "./bigram.ts";
import { pretrain, windowBatches, type TrainSettings } from "./pretrain.ts";
import { learningRate } from "./schedule.ts";

const dir = useTempDirs();
beforeAll(async () => {
  await initRuntime();
});

const config = makeConfig("tiny", { vocabSize: 48, contextLength: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
const settings: TrainSettings = {
  steps: 6, batchSize: 4, seqLen: 16, gradAccum: 2, lr: 3e-3, minLr: 3e-4, warmupSteps: 2,
  weightDecay: 0.1, gradClip: 1, evalEvery: 3, evalBatches: 2, checkpointEvery: 100, seed: 5,
};

/** A repetitive token stream with structure a model can learn. */
function dataset(root: string): TokenDataset {
  const tokens = Array.from({ length: 4000 }, (_, i) => (i * 7 + Math.floor(i / 11)) % 48);
  const path = join(root, "data.bin");
  writeShard(path, tokens, 48);
  return TokenDataset.open([path], { valFraction: 0.1 });
}

test("warmup then cosine decay", () => {
  const s = { lr: 1, minLr: 0.1, warmupSteps: 10, totalSteps: 110 };
  expect(learningRate(5, s)).toBeCloseTo(0.5);
  expect(learningRate(10, s)).toBeCloseTo(1);
  expect(learningRate(60, s)).toBeCloseTo(0.55);
  expect(learningRate(110, s)).toBeCloseTo(0.1);
});

test("the bigram baseline is ln V on uniform noise and lower on structured text", () => {
  const structured = Array.from({ length: 5000 }, (_, i) => i % 5);
  expect(bigramLoss(structured, structured, 5)).toBeLessThan(0.01);
  expect(Math.abs(bigramLoss(randint(20000, 8, 1), randint(20000, 8, 2), 8) - Math.log(8))).toBeLessThan(0.05);
});

test("N steps, checkpoint, resume, N more give the losses of 2N straight steps", async () => {
  const straightDir = dir();
  const straight = await pretrain({ runDir: straightDir, config, settings, data: windowBatches(dataset(straightDir)) });
  expect(straight.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(straight.history[5]!.loss).toBeLessThan(straight.history[0]!.loss);

  const splitDir = dir();
  const data = windowBatches(dataset(splitDir));
  const first = await pretrain({ runDir: splitDir, config, settings, data, shouldStop: () => true });
  expect(first.stopped).toBe(true);
  expect(first.lastStep).toBe(1);
  expect(existsSync(join(splitDir, "ckpt-000001", "model.safetensors"))).toBe(true);
  const second = await pretrain({ runDir: splitDir, config, settings, data, resume: true });
  expect(second.startStep).toBe(1);
  const resumed = [...first.history, ...second.history];
  // Same kernels, same data, same order: only float non-associativity could differ, and it does not here.
  resumed.forEach((h, i) => {
    expect(h.loss).toBeCloseTo(straight.history[i]!.loss, 5);
    if (h.valLoss !== undefined) expect(h.valLoss).toBeCloseTo(straight.history[i]!.valLoss!, 5);
  });
  const lines = readFileSync(join(splitDir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(lines.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
}, 120_000);
