import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { GpuError, initRuntime, runtime, ShapeError, Tensor } from "@forno/gpu";
import { expectClose, randn } from "@forno/gpu/testing";
import { attendDecode, BLOCK_VEC_WORDS, decodeLinear, decodeMlp, KvCache, kvCacheWrite, kvStore, packSampleParams, packWeight, sampleRows, topLogprobRows, weightTexture, type SampleParams, type WeightTexture } from "./kernels.ts";
import { attentionDecodeRef, decodeLinearRef, kvCacheWriteRef, logprobRef, sampleDistributionRef, topLogprobsRef, uniformRef } from "./reference.ts";

// llvmpipe shares two cores with other test runs: allow slow steps.
setDefaultTimeout(30_000);

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

function meta(rows: [number, number, number][]): Tensor {
  return Tensor.from(Uint32Array.from(rows.flatMap(([tok, slot, pos]) => [tok, slot, pos, 0])), [rows.length, 4]);
}

test("kvCacheWrite copies keys and values of each prompt's real positions into its slot", async () => {
  const [B, T, C, slots, Tmax] = [3, 5, 12, 4, 7];
  const qkv = randn(B * T * 3 * C, 1);
  const [initK, initV] = [randn(slots * Tmax * C, 2), randn(slots * Tmax * C, 3)];
  const cache = new KvCache(slots, Tmax, C, "test cache");
  cache.write(initK, initV);
  expect(await cache.read()).toEqual({ k: initK, v: initV });
  kvCacheWrite(Tensor.from(qkv, [B, T, 3 * C]), meta([[0, 2, 5], [0, 0, 1], [0, 3, 3]]), cache);
  const [rk, rv] = [Float64Array.from(initK), Float64Array.from(initV)];
  kvCacheWriteRef(qkv, B, T, C, [2, 0, 3], [5, 1, 3], rk, rv, Tmax);
  const { k, v } = await cache.read();
  expect(Array.from(k)).toEqual(Array.from(rk, Math.fround));
  expect(Array.from(v)).toEqual(Array.from(rv, Math.fround));
  expect(() => kvCacheWrite(Tensor.empty([2, 3, 12]), meta([[0, 0, 1]]), cache)).toThrow(ShapeError);
  expect(() => kvCacheWrite(Tensor.empty([1, 8, 36]), meta([[0, 0, 1]]), cache)).toThrow(ShapeError); // T > Tmax
  cache.destroy();
  expect(() => new KvCache(runtime().device.limits.maxTextureArrayLayers + 1, Tmax, C)).toThrow(GpuError);
});

test("kvStore writes each row's new key and value at its (slot, pos) in every layer's cache, five layers", async () => {
  // Five layers: more than one dispatch's worth of storage textures (at most 4).
  const [rows, C, slots, Tmax, L] = [3, 8, 3, 6, 5];
  const at: [number, number, number][] = [[0, 2, 5], [0, 0, 0], [0, 1, 3]];
  const caches = Array.from({ length: L }, (_, l) => new KvCache(slots, Tmax, C, `test cache ${l}`));
  const init = caches.map((c, l) => [randn(slots * Tmax * C, 10 + l), randn(slots * Tmax * C, 20 + l)] as const);
  caches.forEach((c, l) => c.write(...init[l]!));
  const fresh = caches.map((_, l) => randn(rows * 2 * C, 30 + l));
  kvStore({ meta: meta(at), layers: caches.map((cache, l) => ({ fresh: Tensor.from(fresh[l]!, [rows, 2 * C]), cache })) });
  for (const [l, cache] of caches.entries()) {
    const [k, v] = [Float32Array.from(init[l]![0]), Float32Array.from(init[l]![1])];
    at.forEach(([, slot, pos], r) => {
      k.set(fresh[l]!.slice(r * 2 * C, r * 2 * C + C), (slot * Tmax + pos) * C);
      v.set(fresh[l]!.slice(r * 2 * C + C, (r + 1) * 2 * C), (slot * Tmax + pos) * C);
    });
    expect(await cache.read()).toEqual({ k, v });
    cache.destroy();
  }
});

test("attendDecode (ln_1, c_attn, cache write, attention) matches float64 over the cache, positions 0 to Tmax − 1", async () => {
  // 11 rows: a block of 8 and a partial one; HS 8 and 20 (5 vec4s: more columns than rows per block).
  for (const [C, NH] of [[24, 3], [20, 1]] as const) {
    const [rows, slots, Tmax] = [11, 12, 70];
    const x = randn(rows * C, 3, 1.5);
    const w = randn(C * 3 * C, 6, 0.4);
    const bias = randn(3 * C, 7);
    const [g, sh] = [randn(C, 8), randn(C, 9)];
    const wT = weightTexture(C, 3 * C, "test c_attn");
    packWeight(Tensor.from(w, [C, 3 * C]), wT);
    const [initK, initV] = [randn(slots * Tmax * C, 4, 2), randn(slots * Tmax * C, 5)];
    const cache = new KvCache(slots, Tmax, C, "test cache");
    cache.write(initK, initV);
    const [rk, rv] = [Float64Array.from(initK), Float64Array.from(initV)];
    const slotIds = [1, 3, 0, 11, 10, 9, 8, 7, 6, 5, 4];
    const pos = [0, Tmax - 1, 33, 5, 1, 60, 2, 17, 8, 40, 69];
    const rowMeta = meta(slotIds.map((s, i) => [0, s, pos[i]!]));
    const { y, fresh } = attendDecode(Tensor.from(x, [rows, C]), rowMeta, wT, Tensor.from(bias), [Tensor.from(g), Tensor.from(sh)], cache, NH);
    kvStore({ meta: rowMeta, layers: [{ fresh, cache }] });
    const qkv = decodeLinearRef(x, rows, C, 3 * C, w, bias, [g, sh], "none");
    const ry = attentionDecodeRef(qkv, rows, C, NH, slotIds, pos, rk, rv, Tmax);
    // f32 LayerNorm and dot products, sums over up to 70 positions: relative error stays near 1e-6.
    expectClose(await y.read(), ry, 1e-4, 1e-5, `y (C ${C}, NH ${NH})`);
    const { k, v } = await cache.read();
    expectClose(k, rk, 1e-5, 1e-5, "key cache");
    expectClose(v, rv, 1e-5, 1e-5, "value cache");
    wT.texture.destroy();
    cache.destroy();
  }
});

test("decodeLinear (texture-packed weight) with fused LayerNorm + GELU and with the in-place residual add", async () => {
  const [rows, K, N] = [11, 20, 36]; // 11 rows: one full block of 8 and a partial one
  const x = randn(rows * K, 6, 1.5);
  const w = randn(K * N, 7, 0.3);
  const bias = randn(N, 8);
  const [g, sh] = [randn(K, 9), randn(K, 10)];
  const xT = Tensor.from(x, [rows, K]);
  const wT = weightTexture(K, N, "test weight");
  packWeight(Tensor.from(w, [K, N]), wT);
  const gelu = decodeLinear(xT, wT, Tensor.from(bias), { ln: [Tensor.from(g), Tensor.from(sh)], epilogue: "gelu" });
  expectClose(await gelu.read(), decodeLinearRef(x, rows, K, N, w, bias, [g, sh], "gelu"), 1e-4, 1e-5, "ln + gelu");
  const res = randn(rows * N, 11);
  const out = Tensor.from(res, [rows, N]);
  decodeLinear(xT, wT, Tensor.from(bias), { epilogue: "residual", out });
  expectClose(await out.read(), decodeLinearRef(x, rows, K, N, w, bias, null, "residual", res), 1e-4, 1e-5, "residual");
  expect(() => decodeLinear(Tensor.empty([rows, N]), wT, Tensor.from(bias))).toThrow(ShapeError);
  expect(() => packWeight(Tensor.from(w, [N, K]), wT)).toThrow(ShapeError);
  wT.texture.destroy();
});

test("decodeMlp equals c_proj, ln_2 + c_fc + GELU and mlp c_proj as three decodeLinear calls, bit for bit", async () => {
  const [rows, C] = [11, 20]; // 11 rows: one full block of 8 and a partial one; C4 = 5, 4C4 = 20 (partial column passes)
  const x = randn(rows * C, 20, 1.5);
  const y = randn(rows * C, 21);
  const shapes: [number, number][] = [[C, C], [C, 4 * C], [4 * C, C]];
  const w = shapes.map(([K, N], i) => {
    const t = weightTexture(K, N, `mlp weight ${i}`);
    packWeight(Tensor.from(randn(K * N, 22 + i, 0.3), [K, N]), t);
    return t;
  }) as [WeightTexture, WeightTexture, WeightTexture];
  const vecs = randn(BLOCK_VEC_WORDS * C, 25); // only c_proj b, ln_2 w and b, c_fc b and mlp c_proj b are read
  const part = (at: number, n: number) => Tensor.from(vecs.slice(at * C, (at + n) * C));
  const viaLinear = Tensor.from(x, [rows, C]);
  decodeLinear(Tensor.from(y, [rows, C]), w[0], part(5, 1), { epilogue: "residual", out: viaLinear });
  const f = decodeLinear(viaLinear, w[1], part(8, 4), { ln: [part(6, 1), part(7, 1)], epilogue: "gelu" });
  decodeLinear(f, w[2], part(12, 1), { epilogue: "residual", out: viaLinear });
  const fused = Tensor.from(x, [rows, C]);
  decodeMlp(fused, Tensor.from(y, [rows, C]), w, Tensor.from(vecs));
  expect(Array.from(await fused.read())).toEqual(Array.from(await viaLinear.read()));
  expect(() => decodeMlp(fused, Tensor.empty([rows, C]), [w[1], w[0], w[2]], Tensor.from(vecs))).toThrow(ShapeError);
  for (const t of w) t.texture.destroy();
});

const V = 47;
const base: SampleParams = { slot: 0, seed: 1, step: 0, temperature: 1, topK: 0, topP: 1, presencePenalty: 0, frequencyPenalty: 0 };

/** `draws` samples of one logits row (each its own slot and step), returning tokens and logprobs. */
async function draw(logits: Float32Array, counts: Uint32Array, p: Partial<SampleParams>, draws: number): Promise<{ tokens: number[]; logprobs: Float32Array }> {
  const rows = Array.from({ length: draws }, (_, i) => ({ ...base, ...p, slot: i, step: i }));
  const all = new Float32Array(draws * V);
  const allCounts = new Uint32Array(draws * V);
  for (let i = 0; i < draws; i++) {
    all.set(logits, i * V);
    allCounts.set(counts, i * V);
  }
  const out = new Uint32Array(await sampleRows(Tensor.from(all, [draws, V]), Tensor.from(packSampleParams(rows), [draws, 8]), Tensor.from(allCounts, [draws, V])).read());
  return { tokens: Array.from({ length: draws }, (_, i) => out[2 * i]!), logprobs: new Float32Array(out.buffer).filter((_, i) => i % 2 === 1) };
}

/** Pearson chi-square of observed token counts against expected probabilities (over tokens with p > 0). */
function chiSquare(tokens: number[], probs: Float64Array): { chi2: number; df: number } {
  const seen = new Float64Array(probs.length);
  for (const t of tokens) seen[t]!++;
  let chi2 = 0;
  let df = -1;
  probs.forEach((p, j) => {
    if (p === 0) return;
    df++;
    const e = p * tokens.length;
    chi2 += (seen[j]! - e) ** 2 / e;
  });
  return { chi2, df };
}

const logits = randn(V, 12, 1.5);
const noCounts = new Uint32Array(V);
const N = 3000;

for (const [name, p] of [
  ["temperature 0.8", { temperature: 0.8 }],
  ["top-k 5", { topK: 5 }],
  ["top-p 0.6", { topP: 0.6 }],
  ["top-k 10 and top-p 0.9 at temperature 1.3", { topK: 10, topP: 0.9, temperature: 1.3 }],
] as const) {
  test(`sampling with ${name}: only allowed tokens, frequencies match (chi-square)`, async () => {
    const probs = sampleDistributionRef(logits, noCounts, { ...base, ...p });
    const { tokens, logprobs } = await draw(logits, noCounts, p, N);
    for (const t of tokens) expect(probs[t]).toBeGreaterThan(0);
    const { chi2, df } = chiSquare(tokens, probs);
    // df + 5·√(2·df) is far beyond the 99.9th percentile for these df; a wrong distribution lands far above it.
    expect(chi2).toBeLessThan(df + 5 * Math.sqrt(2 * df) + 5);
    tokens.slice(0, 20).forEach((t, i) => expect(logprobs[i]).toBeCloseTo(logprobRef(logits, t), 4));
  });
}

test("presence and frequency penalties lower the logits of generated tokens as specified", async () => {
  const counts = new Uint32Array(V);
  const favourite = logits.indexOf(Math.max(...logits));
  counts[favourite] = 3;
  counts[5] = 1;
  const p = { presencePenalty: 0.7, frequencyPenalty: 0.4 };
  const probs = sampleDistributionRef(logits, counts, { ...base, ...p });
  const { tokens } = await draw(logits, counts, p, N);
  const { chi2, df } = chiSquare(tokens, probs);
  expect(chi2).toBeLessThan(df + 5 * Math.sqrt(2 * df) + 5);
  const greedy = await draw(logits, counts, { ...p, temperature: 0 }, 1);
  const expected = sampleDistributionRef(logits, counts, { ...base, ...p, temperature: 0 }).indexOf(1);
  expect(expected).not.toBe(favourite);
  expect(greedy.tokens[0]).toBe(expected);
});

test("draws are reproducible from (seed, step) and follow the reference hash", async () => {
  const a = await draw(logits, noCounts, { seed: 42 }, 64);
  const b = await draw(logits, noCounts, { seed: 42 }, 64);
  const c = await draw(logits, noCounts, { seed: 43 }, 64);
  expect(a.tokens).toEqual(b.tokens);
  expect(a.tokens).not.toEqual(c.tokens);
  // The inverse-CDF pick of the reference's uniform draw agrees wherever it is not within rounding of a boundary.
  const probs = sampleDistributionRef(logits, noCounts, { ...base });
  let agree = 0;
  a.tokens.forEach((t, i) => {
    const u = uniformRef(42, i);
    let cum = 0;
    const j = probs.findIndex((pj) => (cum += pj) > u);
    if (j === t) agree++;
  });
  expect(agree).toBeGreaterThanOrEqual(62);
});

test("huge logits stay finite: greedy and sampled picks with exact logprobs", async () => {
  const big = Float32Array.from(logits, (v) => v * 1e4);
  const greedy = await draw(big, noCounts, { temperature: 0 }, 1);
  expect(greedy.tokens[0]).toBe(big.indexOf(Math.max(...big)));
  expect(greedy.logprobs[0]).toBeCloseTo(0, 5);
  const sampled = await draw(big, noCounts, { topK: 3 }, 16);
  sampled.tokens.forEach((t, i) => expect(sampled.logprobs[i]).toBeCloseTo(logprobRef(big, t), 2));
});

test("greedy picks the lowest index among tied maxima, wherever they fall in the vocabulary", async () => {
  const tied = Float32Array.from(logits);
  const top = Math.max(...tied) + 1;
  for (const j of [40, 23, 7]) tied[j] = top; // in different invocations' chunks, the lowest last
  expect((await draw(tied, noCounts, { temperature: 0 }, 1)).tokens[0]).toBe(7);
  // With penalties (exact binary fractions): token 2, generated once, falls to a tie with token 30.
  const counts = new Uint32Array(V);
  counts[2] = 1;
  tied.fill(0);
  tied[2] = 4.5;
  tied[30] = 4;
  expect((await draw(tied, counts, { temperature: 0, presencePenalty: 0.5 }, 1)).tokens[0]).toBe(2);
  expect((await draw(tied, counts, { temperature: 0, presencePenalty: 0.75 }, 1)).tokens[0]).toBe(30);
});

test("topLogprobRows gives each row's N most likely tokens in order, ties by index, with exact logprobs", async () => {
  // Odd V (not a multiple of the 256 invocations), a tied pair, a row of equal logits, and N = V.
  for (const [Vr, N] of [[47, 5], [601, 20], [7, 7]] as const) {
    const rows = 3;
    const data = randn(rows * Vr, 13, 2);
    data[5] = data[9] = Math.max(...data.subarray(0, Vr)) + 1; // row 0: the top two tie
    data.fill(0.25, 2 * Vr, 3 * Vr); // row 2: uniform
    const out = new Uint32Array(await topLogprobRows(Tensor.from(data, [rows, Vr]), N).read());
    const lp = new Float32Array(out.buffer);
    for (let r = 0; r < rows; r++) {
      const row = data.subarray(r * Vr, (r + 1) * Vr);
      const ref = topLogprobsRef(row, N);
      expect(Array.from({ length: N }, (_, k) => out[(r * N + k) * 2]!)).toEqual(ref.map(([t]) => t));
      ref.forEach(([, l], k) => expect(lp[(r * N + k) * 2 + 1]!).toBeCloseTo(l, 5));
    }
  }
  expect(() => topLogprobRows(Tensor.empty([2, 10]), 11)).toThrow(ShapeError);
});

test("the sampled token's top-logprob entry equals the sampler's logprob bit for bit", async () => {
  const row = randn(V, 14, 1.5);
  const { tokens, logprobs } = await draw(row, noCounts, { temperature: 0 }, 1);
  const top = new Uint32Array(await topLogprobRows(Tensor.from(row, [1, V]), 1).read());
  expect(top[0]).toBe(tokens[0]!);
  expect(new Float32Array(top.buffer)[1]).toBe(logprobs[0]!);
});
