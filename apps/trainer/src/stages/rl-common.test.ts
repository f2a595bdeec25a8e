import { expect, test } from "bun:test";
import { UsageError } from "../args.ts";
import { RUN_PRESETS } from "../presets.ts";
import { formatOf, resolveRl, trainedFormats } from "./rl-common.ts";

test("--<rl setting> flags override the preset's RL settings; formats are a comma-separated list", () => {
  const rl = resolveRl({ preset: "tiny", grpoPrompts: 16, grpoKl: 0.05, grpoFormats: "direct,step-by-step", grpoDropUniform: true });
  expect(rl).toEqual({ ...RUN_PRESETS.tiny!.rl, grpoPrompts: 16, grpoKl: 0.05, grpoFormats: ["direct", "step-by-step"], grpoDropUniform: true });
  expect(resolveRl({ preset: "smoke" })).toEqual(RUN_PRESETS.smoke!.rl);
});

test("bad RL flags are usage errors naming the flag", () => {
  expect(() => resolveRl({ grpoFormats: "direct,shouting" })).toThrow(UsageError);
  expect(() => resolveRl({ grpoFormats: "shouting" })).toThrow(/--grpoFormats: unknown format 'shouting'/);
  expect(() => resolveRl({ grpoLr: "fast" })).toThrow(/--grpoLr must be a non-negative number/);
  expect(() => resolveRl({ grpoDropUniform: "yes" })).toThrow(/--grpoDropUniform must be true or false/);
  expect(() => resolveRl({ grpoKl: true })).toThrow(/--grpoKl must be a non-negative number, got 'true'/);
  expect(() => resolveRl({ groupSize: 0 })).toThrow(/--groupSize must be an integer of at least 1/);
  expect(() => resolveRl({ grpoPrompts: 2.5 })).toThrow(/--grpoPrompts must be an integer of at least 1/);
  expect(resolveRl({ grpoWarmup: 0 }).grpoWarmup).toBe(0);
});

test("problems alternate over the formats; a checkpoint's formats come from its metadata, direct when absent", () => {
  expect([0, 1, 2, 3].map((i) => formatOf(["direct", "step-by-step"], i))).toEqual(["direct", "step-by-step", "direct", "step-by-step"]);
  expect(trainedFormats({ optimizerStep: 3, extra: { formats: ["step-by-step"] } })).toEqual(["step-by-step"]);
  expect(trainedFormats({ extra: { trainer: {} } })).toEqual(["direct"]);
  expect(trainedFormats(undefined)).toEqual(["direct"]);
  expect(trainedFormats({ extra: { formats: ["sideways"] } })).toEqual(["direct"]);
});
