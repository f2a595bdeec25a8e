import { describe, expect, test } from "bun:test";
import { flopsPerToken, makeConfig, paramCount, paramShapes, PRESETS, validateConfig, type GPTConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

describe("paramShapes / paramCount", () => {
  test("gpt2 has the known 124,439,808 parameters (tied head), equal to the sum of its shapes", () => {
    expect(paramCount(PRESETS.gpt2)).toBe(124_439_808);
    expect(paramShapes(PRESETS.gpt2).reduce((s, p) => s + numel(p.shape), 0)).toBe(124_439_808);
  });

  test("tiny is ~1M and small ~10M parameters", () => {
    expect(paramCount(PRESETS.tiny)).toBe(875_264);
    expect(paramCount(PRESETS.small)).toBe(12_318_720);
  });

  test("names and (in, out) shapes follow HF GPT-2, in canonical order", () => {
    const specs = paramShapes(PRESETS.tiny);
    expect(specs.slice(0, 6)).toEqual([
      { name: "wte.weight", shape: [512, 128] },
      { name: "wpe.weight", shape: [128, 128] },
      { name: "h.0.ln_1.weight", shape: [128] },
      { name: "h.0.ln_1.bias", shape: [128] },
      { name: "h.0.attn.c_attn.weight", shape: [128, 384] },
      { name: "h.0.attn.c_attn.bias", shape: [384] },
    ]);
    const byName = new Map(specs.map((s) => [s.name, s.shape]));
    expect(byName.get("h.3.mlp.c_fc.weight")).toEqual([128, 512]);
    expect(byName.get("h.3.mlp.c_proj.weight")).toEqual([512, 128]);
    expect(byName.get("h.3.attn.c_proj.bias")).toEqual([128]);
    expect(specs.at(-1)).toEqual({ name: "ln_f.bias", shape: [128] });
    expect(specs.length).toBe(2 + 4 * 12 + 2);
    expect(specs.some((s) => s.name.startsWith("lm_head") || s.name.startsWith("transformer."))).toBe(false);
  });

  test("bias = false drops every bias entry", () => {
    const specs = paramShapes({ ...PRESETS.tiny, bias: false });
    expect(specs.some((s) => s.name.endsWith(".bias"))).toBe(false);
    expect(specs.length).toBe(2 + 4 * 6 + 1);
    expect(paramCount({ ...PRESETS.tiny, bias: false })).toBe(875_264 - 4 * 11 * 128 - 128); // 11·C bias values per block
  });
});

describe("flopsPerToken", () => {
  test("is 6·(N − wpe) + 12·L·C·T", () => {
    const N = 124_439_808 - 1024 * 768;
    expect(flopsPerToken(PRESETS.gpt2, 1024)).toBe(6 * N + 12 * 12 * 768 * 1024);
    expect(flopsPerToken(PRESETS.gpt2)).toBe(flopsPerToken(PRESETS.gpt2, 1024));
    expect(flopsPerToken(PRESETS.gpt2, 512)).toBe(6 * N + 12 * 12 * 768 * 512);
  });
});

describe("validateConfig", () => {
  test("accepts the presets and makeConfig overrides", () => {
    for (const c of Object.values(PRESETS)) expect(validateConfig({ ...c })).toEqual(c);
    expect(makeConfig("tiny", { nLayer: 2 })).toEqual({ ...PRESETS.tiny, nLayer: 2 });
    expect(makeConfig()).toEqual(PRESETS.gpt2);
  });

  test("C not divisible by NH names both and suggests a C", () => {
    expect(() => validateConfig({ ...PRESETS.tiny, nHead: 5 })).toThrow(
      new ConfigError("invalid GPTConfig:\n  nEmbd (C = 128) must be divisible by nHead (NH = 5); pick C a multiple of NH, e.g. C = 130"),
    );
  });

  test("dropout other than 0 is refused with the reason", () => {
    expect(() => validateConfig({ ...PRESETS.tiny, dropout: 0.1 })).toThrow(
      "dropout must be 0 (forno does not implement dropout yet), got 0.1; set dropout: 0",
    );
  });

  test("lists every problem at once", () => {
    const bad = { ...PRESETS.tiny, vocabSize: 0, nLayer: 2.5, bias: "yes", extra: 1 } as unknown as GPTConfig;
    expect(() => validateConfig(bad)).toThrow(
      new ConfigError(
        "invalid GPTConfig:\n" +
          "  vocabSize must be a positive integer, got 0\n" +
          "  nLayer must be a positive integer, got 2.5\n" +
          '  bias must be true or false, got "yes"\n' +
          '  unknown field "extra" (fields: vocabSize, contextLength, nLayer, nHead, nEmbd, dropout, bias)',
      ),
    );
  });

  test("unknown preset", () => {
    expect(() => makeConfig("huge" as "tiny")).toThrow('unknown preset "huge": expected one of tiny, small, gpt2');
  });
});
