import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import * as ref from "../reference/gelu.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randn } from "../testing.ts";
import { gelu, geluBackward, geluForward } from "./gelu.ts";

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

const read = async (t: Tensor) => (await t.read()) as Float32Array;

// Forward: f32 exp and products give ~1e-6 relative error. Backward: gelu' crosses 0 near x = −0.75,
// where only absolute error (~1e-7 · |terms| ≈ 1) means anything, hence atol 1e-6.
// 16×128 runs the vec4 form of the kernels, the others the f32 form.
for (const [N, C] of [[1, 1], [7, 13], [33, 769], [15, 130], [16, 128]] as const) {
  test(`forward and backward match the float64 reference (${N}×${C})`, async () => {
    const xs = randn(N * C, 11 + N, 2.5);
    const gs = randn(N * C, 12 + N);
    const x = Tensor.from(xs, [N, C]);
    const y = geluForward(x);
    const dx = geluBackward(Tensor.from(gs, [N, C]), x);
    expect(y.shape).toEqual([N, C]);
    expectClose(await read(y), ref.geluForward(xs), 1e-4, 1e-7, "gelu");
    expectClose(await read(dx), ref.geluBackward(gs, xs), 1e-4, 1e-6, "dx");
  });
}

test("large inputs (±30, ±1e4, ±1e20) stay finite and match the reference, as f32s and as vec4s", async () => {
  const odd = [30, -30, 1e4, -1e4, 1e20, -1e20, 0, -3, -5, -10, 5];
  for (const xs of [new Float32Array(odd), new Float32Array([...odd, 0.5])]) {
    const x = Tensor.from(xs);
    const ones = Tensor.full([xs.length], 1);
    const y = await read(geluForward(x));
    const dx = await read(geluBackward(ones, x));
    expectClose(y, ref.geluForward(xs), 1e-5, 1e-12, "gelu");
    expectClose(dx, ref.geluBackward(new Float64Array(xs.length).fill(1), xs), 1e-5, 1e-12, "dx");
    expect([y[2], dx[2]]).toEqual([1e4, 1]);
    // The kernels clamp exponents at ±80, so the negative tail is ~2e-35·x instead of an underflowed 0.
    expect(Math.abs(y[3]!)).toBeLessThan(1e-30);
    expect(Math.abs(dx[3]!)).toBeLessThan(1e-30);
  }
});

test("the reference backward matches finite differences", () => {
  const x = f64(randn(9, 3, 2));
  const g = f64(randn(9, 4));
  const loss = (v: Float64Array) => ref.geluForward(v).reduce((s, y, i) => s + y * g[i]!, 0);
  expectClose(ref.geluBackward(g, x), numericGrad(loss, x, 1e-6), 1e-6, 1e-8, "dx");
});

test("autograd: gelu records its backward", async () => {
  const xs = randn(5 * 7, 21);
  const gs = randn(5 * 7, 22);
  const x = Tensor.from(xs, [5, 7]);
  x.requiresGrad = true;
  backward(gelu(x), Tensor.from(gs, [5, 7]));
  expectClose(await read(x.grad!), ref.geluBackward(gs, xs), 1e-4, 1e-6, "x.grad");
});

test("a gradient of another shape is a ShapeError naming both shapes", () => {
  const x = Tensor.zeros([4, 3]);
  expect(() => geluBackward(Tensor.zeros([5]), x)).toThrow(ShapeError);
  expect(() => geluBackward(Tensor.zeros([5]), x)).toThrow(/\[5\] and \[4, 3\]/);
});
