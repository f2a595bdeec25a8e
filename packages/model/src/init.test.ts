import { describe, expect, test } from "bun:test";
import { paramShapes, PRESETS } from "./config.ts";
import { initParams, INIT_STD } from "./init.ts";

const std = (x: Float32Array) => {
  let s = 0;
  let s2 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  return Math.sqrt(s2 / x.length - mean * mean);
};

describe("initParams", () => {
  const config = PRESETS.tiny;
  const params = initParams(config, 123);

  test("one array per parameter, in paramShapes order, of the right size", () => {
    const specs = paramShapes(config);
    expect([...params.keys()]).toEqual(specs.map((s) => s.name));
    for (const { name, shape } of specs) expect(params.get(name)!.length).toBe(shape.reduce((a, b) => a * b, 1));
  });

  test("same seed ⇒ same numbers; another seed differs", () => {
    const again = initParams(config, 123);
    for (const [name, data] of params) expect(again.get(name)).toEqual(data);
    expect(initParams(config, 124).get("wte.weight")).not.toEqual(params.get("wte.weight"));
  });

  test("GPT-2 scheme: N(0, 0.02), residual projections /sqrt(2L), zero biases, unit LayerNorm weights", () => {
    expect(Math.abs(std(params.get("wte.weight")!) - INIT_STD)).toBeLessThan(0.0005);
    expect(Math.abs(std(params.get("h.0.mlp.c_fc.weight")!) - INIT_STD)).toBeLessThan(0.0005);
    const residual = INIT_STD / Math.sqrt(2 * config.nLayer);
    expect(Math.abs(std(params.get("h.1.attn.c_proj.weight")!) - residual) / residual).toBeLessThan(0.03);
    expect(Math.abs(std(params.get("h.1.mlp.c_proj.weight")!) - residual) / residual).toBeLessThan(0.03);
    expect(params.get("h.2.attn.c_attn.bias")!.every((x) => x === 0)).toBe(true);
    expect(params.get("h.2.ln_1.weight")!.every((x) => x === 1)).toBe(true);
    expect(params.get("ln_f.weight")!.every((x) => x === 1)).toBe(true);
    expect(params.get("ln_f.bias")!.every((x) => x === 0)).toBe(true);
  });
});
