import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import * as ref from "../reference/layernorm.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randn } from "../testing.ts";
import { layerNorm, layerNormBackward, layerNormForward } from "./layernorm.ts";

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

const read = async (t: Tensor) => (await t.read()) as Float32Array;

/** Runs `fn` as if on a GPU adapter, so the row kernels take their GPU workgroup sizes on llvmpipe too. */
async function asGpu(fn: () => Promise<void>): Promise<void> {
  const info = runtime().info as { isCpu: boolean };
  const was = info.isCpu;
  info.isCpu = false;
  try {
    await fn();
  } finally {
    info.isCpu = was;
  }
}

// Tolerances. out = xhat·w + b is O(1) but cancels to ~0 where xhat·w ≈ −b, hence atol 1e-5 beside
// rtol 1e-4. dx = rstd·(dn − mean(dn) − xhat·mean(dn·xhat)) subtracts O(1) terms, with the means summed
// in f32 over C (769 terms: rounding ~C·eps·|dn| / C ≈ 1e-6), so atol 1e-5. dw and db sum N O(1)
// terms (N ≤ 300: rounding ≲ N·6e-8 ≈ 2e-5 worst case), so atol 5e-5.
async function check(shape: number[], seed: number, xs = randn(shape.reduce((a, b) => a * b, 1), seed, 2)): Promise<void> {
  const C = shape.at(-1)!;
  const N = xs.length / C;
  const ws = randn(C, seed + 1);
  const bs = randn(C, seed + 2);
  const gs = randn(xs.length, seed + 3);
  const x = Tensor.from(xs, shape);
  const w = Tensor.from(ws);
  const { out, mean, rstd } = layerNormForward(x, w, Tensor.from(bs));
  const { dx, dw, db } = layerNormBackward(Tensor.from(gs, shape), x, w, { mean, rstd });
  expect(out.shape).toEqual(shape);
  const r = ref.layerNormForward(xs, ws, bs, N, C);
  expectClose(await read(out), r.out, 1e-4, 1e-5, "out");
  expectClose(await read(mean), r.mean, 1e-4, 1e-6, "mean");
  expectClose(await read(rstd), r.rstd, 1e-4, 0, "rstd");
  const g = ref.layerNormBackward(gs, xs, ws, r.mean, r.rstd, N, C);
  expectClose(await read(dx), g.dx, 1e-4, 1e-5, "dx");
  expectClose(await read(dw), g.dw, 1e-4, 5e-5, "dw");
  expectClose(await read(db), g.db, 1e-4, 5e-5, "db");
}

// 300 rows exceed the backward's 128 workgroups, so each adds several rows into its partials.
for (const shape of [[1, 1], [7, 13], [33, 769], [3, 5, 130], [300, 67], [2, 4099], [1, 1, 5], [300, 128]]) {
  test(`forward and backward match the float64 reference ([${shape}])`, async () => {
    await check(shape, shape.reduce((a, b) => a * b, 3));
  });
}

test("the GPU workgroup sizes (64, 128, 256) are correct too", async () => {
  await asGpu(async () => {
    for (const shape of [[7, 13], [5, 100], [33, 769], [300, 67], [2, 4099]]) await check(shape, shape[0]! + 1);
  });
});

test("66,000 rows: the row grid wraps into y", async () => {
  // Rows are a spread pattern plus noise: three random values can lie within 1e-2 of each other, and a
  // rstd of 100 would amplify f32 rounding of x − mean past the tolerances without any kernel error.
  const [N, C] = [66000, 3];
  const noise = randn(N * C, 16, 0.1);
  await check([N, C], 17, Float32Array.from(noise, (v, i) => v + (i % C) - 1));
});

test("a constant row normalises to b, and its gradients stay finite", async () => {
  const C = 13;
  const xs = randn(3 * C, 4);
  xs.fill(3.7, C, 2 * C);
  const bs = randn(C, 5);
  const x = Tensor.from(xs, [3, C]);
  const w = Tensor.from(randn(C, 6));
  const { out, mean, rstd } = layerNormForward(x, w, Tensor.from(bs));
  const { dx, dw, db } = layerNormBackward(Tensor.from(randn(3 * C, 7), [3, C]), x, w, { mean, rstd });
  // xhat = (x − mean)·rstd with rstd = 1/√eps ≈ 316: the f32 mean of 13 copies of 3.7 may be 1 ulp off
  // (2.4e-7), which xhat turns into up to ~1e-4, so this row is checked to 1e-3 only.
  expectClose((await read(out)).subarray(C, 2 * C), bs, 0, 1e-3, "constant row");
  for (const t of [out, dx, dw, db]) expect((await read(t)).every(Number.isFinite)).toBe(true);
});

test("the reference backward matches finite differences in x, w and b", () => {
  const [N, C] = [3, 5];
  const x = f64(randn(N * C, 8, 2));
  const w = f64(randn(C, 9));
  const b = f64(randn(C, 10));
  const g = f64(randn(N * C, 11));
  const loss = (xv: Float64Array, wv: Float64Array, bv: Float64Array) => ref.layerNormForward(xv, wv, bv, N, C).out.reduce((s, y, i) => s + y * g[i]!, 0);
  const r = ref.layerNormForward(x, w, b, N, C);
  const a = ref.layerNormBackward(g, x, w, r.mean, r.rstd, N, C);
  expectClose(a.dx, numericGrad((v) => loss(v, w, b), x, 1e-6), 1e-5, 1e-8, "dx");
  expectClose(a.dw, numericGrad((v) => loss(x, v, b), w, 1e-6), 1e-5, 1e-8, "dw");
  expectClose(a.db, numericGrad((v) => loss(x, w, v), b, 1e-6), 1e-5, 1e-8, "db");
});

test("autograd: layerNorm gives x, w and b their gradients", async () => {
  const [B, T, C] = [2, 3, 10];
  const xs = randn(B * T * C, 12);
  const ws = randn(C, 13);
  const bs = randn(C, 14);
  const gs = randn(B * T * C, 15);
  const [x, w, b] = [Tensor.from(xs, [B, T, C]), Tensor.from(ws), Tensor.from(bs)];
  for (const t of [x, w, b]) t.requiresGrad = true;
  backward(layerNorm(x, w, b), Tensor.from(gs, [B, T, C]));
  const r = ref.layerNormForward(xs, ws, bs, B * T, C);
  const g = ref.layerNormBackward(gs, xs, ws, r.mean, r.rstd, B * T, C);
  expectClose(await read(x.grad!), g.dx, 1e-4, 1e-5, "x.grad");
  expectClose(await read(w.grad!), g.dw, 1e-4, 1e-5, "w.grad");
  expectClose(await read(b.grad!), g.db, 1e-4, 1e-5, "b.grad");
});

test("a weight of another width is a ShapeError naming both shapes", () => {
  const x = Tensor.zeros([4, 8]);
  expect(() => layerNorm(x, Tensor.zeros([7]), Tensor.zeros([8]))).toThrow(ShapeError);
  expect(() => layerNorm(x, Tensor.zeros([7]), Tensor.zeros([8]))).toThrow(/\[4, 8\] and \[7\]/);
});
