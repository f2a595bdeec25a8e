import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import * as ref from "../reference/reduce.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randn } from "../testing.ts";
import { mean, sum, sumRows } from "./reduce.ts";

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

const read = async (t: Tensor) => (await t.read()) as Float32Array;
const sumAbs = (x: Float32Array) => x.reduce((s, v) => s + Math.abs(v), 0);

// An f32 tree sum of n terms errs by ≲ log2(n)·6e-8 of Σ|x| (randn sums cancel, so that, not the sum,
// sets the scale): atol 1e-6 · Σ|x|.
for (const n of [1, 91, 4096, 4097, 25377, 4096 * 4096 + 5]) {
  test(`sum and mean of ${n} elements (${Math.ceil(Math.log(n) / Math.log(4096)) || 1} pass(es))`, async () => {
    const xs = randn(n, n % 1000);
    const x = Tensor.from(xs);
    const [s, m] = [sum(x), mean(x)];
    expect(s.shape).toEqual([1]);
    expectClose(await read(s), [ref.sumForward(xs)], 0, 1e-6 * sumAbs(xs), "sum");
    expectClose(await read(m), [ref.meanForward(xs)], 0, (1e-6 * sumAbs(xs)) / n, "mean");
  }, 20_000);
}

test("sums are deterministic: the same bits on every run", async () => {
  const x = Tensor.from(randn(100003, 1));
  const runs = await Promise.all([0, 1, 2].map(() => sum(x).item()));
  expect(new Set(runs).size).toBe(1);
  const g = Tensor.from(randn(700 * 9, 2), [700, 9]);
  const cols = await Promise.all([0, 1].map(() => read(sumRows(g, [9]))));
  expect([...cols[0]!]).toEqual([...cols[1]!]);
});

test("autograd: sum and mean spread the gradient evenly", async () => {
  const x = Tensor.from(randn(3 * 7, 3), [3, 7]);
  x.requiresGrad = true;
  backward(sum(x), Tensor.from([2.5]));
  expectClose(await read(x.grad!), ref.sumBackward(2.5, 21), 0, 0, "sum dx");
  x.grad = null;
  backward(mean(x), Tensor.from([2.5]));
  expectClose(await read(x.grad!), ref.meanBackward(2.5, 21), 1e-6, 0, "mean dx");
});

test("sumRows, plain and of a product, over 1 to 70,000 rows", async () => {
  for (const [R, C] of [[1, 1], [7, 13], [257, 65], [70000, 3]] as const) {
    const xs = randn(R * C, R);
    const ys = randn(R * C, R + 1);
    const [x, y] = [Tensor.from(xs, [R, C]), Tensor.from(ys, [R, C])];
    // Σ over up to 70,000 rows of O(1) terms in f32 blocks of 256: atol ~ R·1e-7.
    const atol = Math.max(1e-6, R * 1e-7);
    expectClose(await read(sumRows(x, [C])), ref.sumRows(xs, C), 1e-5, atol, `Σ rows (${R}×${C})`);
    expectClose(await read(sumRows(x, [C], y)), ref.sumRows(xs, C, ys), 1e-5, atol, `Σ rows x∘y (${R}×${C})`);
  }
});

test("the reference backwards match finite differences", () => {
  const x = f64(randn(6, 9));
  expectClose(ref.sumBackward(1.5, 6), numericGrad((v) => 1.5 * ref.sumForward(v), x), 1e-6, 1e-8, "sum");
  expectClose(ref.meanBackward(1.5, 6), numericGrad((v) => 1.5 * ref.meanForward(v), x), 1e-6, 1e-8, "mean");
});

test("sumRows to a shape that is not a suffix is a ShapeError naming both shapes", () => {
  const x = Tensor.zeros([6, 5]);
  expect(() => sumRows(x, [4])).toThrow(ShapeError);
  expect(() => sumRows(x, [4])).toThrow(/\[6, 5\] and \[4\]/);
});
