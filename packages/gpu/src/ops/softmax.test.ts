import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import * as ref from "../reference/softmax.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randn } from "../testing.ts";
import { softmax, softmaxBackward, softmaxForward } from "./softmax.ts";

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

// y: f32 exp of arguments up to ~20 in size carries ~2e-6 relative error. dx = y·(dy − Σ dy·y) cancels
// where dy ≈ Σ dy·y, so it also gets an absolute tolerance at the scale of that sum's rounding (1e-6).
async function check(shape: number[], xs: Float32Array, seed: number): Promise<void> {
  const C = shape.at(-1)!;
  const rows = xs.length / C;
  const gs = randn(xs.length, seed);
  const y = softmaxForward(Tensor.from(xs, shape));
  const dx = softmaxBackward(Tensor.from(gs, shape), y);
  expect(dx.shape).toEqual(shape);
  const yRef = ref.softmaxForward(xs, rows, C);
  const yGpu = await read(y);
  expectClose(yGpu, yRef, 1e-4, 1e-7, "y");
  // The backward is checked on the GPU's own y, so the comparison isolates the backward kernel.
  expectClose(await read(dx), ref.softmaxBackward(gs, yGpu, rows, C), 1e-4, 1e-6, "dx");
}

test("the GPU workgroup sizes (64, 128, 256) are correct too", async () => {
  await asGpu(async () => {
    for (const shape of [[7, 13], [5, 100], [33, 769], [2, 4099]]) await check(shape, randn(shape[0]! * shape[1]!, 9, 3), 10);
  });
});

for (const shape of [[1, 1], [7, 13], [33, 769], [3, 5, 130], [2, 4099], [1, 64], [66000, 2]]) {
  test(`forward and backward match the float64 reference ([${shape}])`, async () => {
    const n = shape.reduce((a, b) => a * b, 1);
    await check(shape, randn(n, n, 3), n + 1);
  });
}

test("logits of ±1e4 give no NaN, and equal rows give a uniform distribution", async () => {
  const C = 37;
  const xs = randn(4 * C, 5, 1e4);
  xs.fill(-1e4, 2 * C, 3 * C); // a row of equal large negative logits
  xs.fill(2.5, 3 * C, 4 * C);
  await check([4, C], xs, 6);
  const y = await read(softmaxForward(Tensor.from(xs, [4, C])));
  expectClose(y.subarray(2 * C), new Float64Array(2 * C).fill(1 / C), 1e-6, 0, "uniform rows");
});

test("the reference backward matches finite differences", () => {
  const [rows, C] = [2, 5];
  const x = f64(randn(rows * C, 7, 2));
  const g = f64(randn(rows * C, 8));
  const loss = (v: Float64Array) => ref.softmaxForward(v, rows, C).reduce((s, y, i) => s + y * g[i]!, 0);
  expectClose(ref.softmaxBackward(g, ref.softmaxForward(x, rows, C), rows, C), numericGrad(loss, x, 1e-6), 1e-6, 1e-9, "dx");
});

test("autograd: softmax records its backward", async () => {
  const [rows, C] = [6, 11];
  const xs = randn(rows * C, 9);
  const gs = randn(rows * C, 10);
  const x = Tensor.from(xs, [rows, C]);
  x.requiresGrad = true;
  backward(softmax(x), Tensor.from(gs, [rows, C]));
  expectClose(await read(x.grad!), ref.softmaxBackward(gs, ref.softmaxForward(xs, rows, C), rows, C), 1e-4, 1e-6, "x.grad");
});

test("a gradient of another shape is a ShapeError naming both shapes", () => {
  const y = Tensor.zeros([4, 6]);
  expect(() => softmaxBackward(Tensor.zeros([4, 5]), y)).toThrow(ShapeError);
  expect(() => softmaxBackward(Tensor.zeros([4, 5]), y)).toThrow(/\[4, 5\] and \[4, 6\]/);
});
