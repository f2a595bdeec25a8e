import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { GpuError, ShapeError } from "../errors.ts";
import { attentionBackwardRef, attentionForwardRef } from "../reference/attention.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randn } from "../testing.ts";
import { attention, attentionBackward, attentionForward, type AttentionVariant, defaultAttentionVariant } from "./attention.ts";

// Both variants run on this machine whatever the default, so the GPU one stays checked too.
const VARIANTS: AttentionVariant[] = ["tiled", "rows"];

// The first use of each head size compiles its kernels, which takes llvmpipe seconds (Mesa caches them on
// disk). The "rows" kernels at HS = 32 take ~25 s for the three with a cold cache at load 6, at HS = 64
// ~45 s at load 3.
const COMPILE_TIMEOUT_MS = 90_000;
const HS64_COMPILE_TIMEOUT_MS = 240_000;

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

interface Case {
  B: number;
  T: number;
  C: number;
  NH: number;
  /** Standard deviation of q, k, v: scores have a spread of about std². */
  std?: number;
  /** Relative tolerance of the gradients (forward outputs are always held to 1e-4). */
  gradRtol?: number;
}

async function checkAgainstReference(c: Case, seed: number, variants = VARIANTS): Promise<void> {
  for (const variant of variants) await checkVariant(c, seed, variant);
}

async function checkVariant({ B, T, C, NH, std = 1, gradRtol = 1e-4 }: Case, seed: number, variant: AttentionVariant): Promise<void> {
  const qkvData = randn(B * T * 3 * C, seed, std);
  const dyData = randn(B * T * C, seed + 1);
  const ref = attentionForwardRef(qkvData, B, T, C, NH);
  const refGrad = attentionBackwardRef(dyData, qkvData, B, T, C, NH);
  const what = `${variant} B=${B} T=${T} C=${C} NH=${NH} std=${std}`;

  const qkv = Tensor.from(qkvData, [B, T, 3 * C]);
  const dy = Tensor.from(dyData, [B, T, C]);
  const { y, lse } = attentionForward(qkv, NH, variant);
  const dqkv = attentionBackward(dy, qkv, y, lse, NH, variant);
  // y averages v, so its absolute error scales with std.
  expectClose(await y.read(), ref.y, 1e-4, 1e-5 * std, `y (${what})`);
  expectClose(await lse.read(), ref.lse, 1e-4, 1e-5, `lse (${what})`);
  // Gradient entries are sums of terms of both signs; atol covers entries that cancel to near zero.
  expectClose(await dqkv.read(), refGrad, gradRtol, 1e-5 * std * std, `dqkv (${what})`);
  for (const t of [qkv, dy, y, lse, dqkv]) t.dispose();
}

test("reference backward matches finite differences", () => {
  const [B, T, C, NH] = [1, 3, 4, 2];
  const qkv = f64(randn(B * T * 3 * C, 11));
  const w = f64(randn(B * T * C, 12));
  const loss = (x: Float64Array) => attentionForwardRef(x, B, T, C, NH).y.reduce((s, v, i) => s + v * w[i]!, 0);
  expectClose(attentionBackwardRef(w, qkv, B, T, C, NH), numericGrad(loss, qkv), 1e-6, 1e-8, "reference dqkv");
});

test("forward and backward match the reference: T = 1", async () => {
  await checkAgainstReference({ B: 2, T: 1, C: 8, NH: 2 }, 1);
}, COMPILE_TIMEOUT_MS);

test("forward and backward match the reference: odd sizes, HS = 4 and 16", async () => {
  await checkAgainstReference({ B: 1, T: 7, C: 12, NH: 3 }, 2);
  await checkAgainstReference({ B: 2, T: 37, C: 32, NH: 2 }, 3);
}, COMPILE_TIMEOUT_MS);

test("forward and backward match the reference: T spanning several blocks, HS not a multiple of 4", async () => {
  await checkAgainstReference({ B: 1, T: 130, C: 64, NH: 2 }, 4);
  await checkAgainstReference({ B: 1, T: 67, C: 30, NH: 3 }, 5);
}, COMPILE_TIMEOUT_MS);

test("forward and backward match the reference: HS = 64, T spanning several row blocks", async () => {
  await checkAgainstReference({ B: 1, T: 70, C: 128, NH: 2 }, 8);
  expect(defaultAttentionVariant(64)).toBe(runtime().info.isCpu ? "rows" : "tiled");
}, HS64_COMPILE_TIMEOUT_MS);

test("forward and backward match the reference: HS = 128 (tiled; rows refuses heads over 64 channels)", async () => {
  await checkAgainstReference({ B: 1, T: 70, C: 256, NH: 2 }, 6, ["tiled"]);
  const qkv = Tensor.empty([1, 3, 3 * 256]);
  expect(() => attentionForward(qkv, 2, "rows")).toThrow(GpuError);
  expect(defaultAttentionVariant(128)).toBe("tiled");
}, COMPILE_TIMEOUT_MS);

test("large scores (about ±50) stay finite and accurate", async () => {
  // With scores of ±50 the softmax is nearly one-hot and dS = P (dP - D) cancels: each P carries a relative
  // error of ~|S|·2⁻²⁴ from the f32 score, which the cancellation can amplify, hence 1e-3 on the gradients.
  await checkAgainstReference({ B: 1, T: 45, C: 32, NH: 2, std: 7, gradRtol: 1e-3 }, 7);
}, COMPILE_TIMEOUT_MS);

test("causal: y at position t does not depend on inputs after t", async () => {
  const [B, T, C, NH, t] = [2, 50, 16, 2, 20];
  const a = randn(B * T * 3 * C, 8);
  const b = a.slice();
  const noise = randn(B * T * 3 * C, 9, 5);
  for (let bi = 0; bi < B; bi++) {
    for (let i = (bi * T + t + 1) * 3 * C; i < (bi + 1) * T * 3 * C; i++) b[i] = noise[i]!;
  }
  for (const variant of VARIANTS) {
    const ya = await attentionForward(Tensor.from(a, [B, T, 3 * C]), NH, variant).y.read();
    const yb = await attentionForward(Tensor.from(b, [B, T, 3 * C]), NH, variant).y.read();
    for (let bi = 0; bi < B; bi++) {
      const upTo = (r: ArrayLike<number>) => Array.from(r).slice(bi * T * C, (bi * T + t + 1) * C);
      expect(upTo(yb)).toEqual(upTo(ya));
      expect(yb[(bi * T + t + 1) * C]).not.toBe(ya[(bi * T + t + 1) * C]);
    }
  }
});

test("attention() records its backward: qkv.grad matches the reference, one forward dispatch, three backward on llvmpipe", async () => {
  const [B, T, C, NH] = [2, 19, 24, 3];
  const qkvData = randn(B * T * 3 * C, 10);
  const dyData = randn(B * T * C, 11);
  const qkv = Tensor.from(qkvData, [B, T, 3 * C]);
  qkv.requiresGrad = true;
  const dy = Tensor.from(dyData, [B, T, C]);
  const rt = runtime();
  rt.poison = false; // poison fills are dispatches too
  try {
    const before = rt.stats.dispatches;
    const y = attention(qkv, NH);
    expect(rt.stats.dispatches - before).toBe(1);
    backward(y, dy);
    // The backward kernel ("rows": D = dy · y, then dq, then dk and dv); the leaf adopts dqkv as its .grad without a dispatch.
    const backwardDispatches = defaultAttentionVariant(C / NH) === "rows" ? 3 : 1;
    expect(rt.stats.dispatches - before).toBe(1 + backwardDispatches);
    expectClose(await y.read(), attentionForwardRef(qkvData, B, T, C, NH).y, 1e-4, 1e-5, "y");
    expectClose(await qkv.grad!.read(), attentionBackwardRef(dyData, qkvData, B, T, C, NH), 1e-4, 1e-5, "qkv.grad");
  } finally {
    rt.poison = true;
  }
}, COMPILE_TIMEOUT_MS);

test("shape errors name the shapes", () => {
  const notThirds = Tensor.empty([2, 5, 16]);
  expect(() => attentionForward(notThirds, 2)).toThrow(ShapeError);
  expect(() => attentionForward(notThirds, 2)).toThrow("[2, 5, 16]");
  const qkv = Tensor.empty([2, 5, 3 * 12]);
  expect(() => attention(qkv, 5)).toThrow(ShapeError);
  expect(() => attention(qkv, 5)).toThrow("[2, 5, 36] and [5]");
  expect(() => attentionForward(Tensor.empty([10, 36]), 2)).toThrow(ShapeError);
  const { y, lse } = attentionForward(qkv, 3);
  expect(() => attentionBackward(Tensor.empty([2, 4, 12]), qkv, y, lse, 3)).toThrow("[2, 4, 12] and [2, 5, 36]");
});
