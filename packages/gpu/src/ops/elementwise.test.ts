import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import * as ref from "../reference/elementwise.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { numel, Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randn } from "../testing.ts";
import { add, addForward, mul, scale } from "./elementwise.ts";

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

const read = async (t: Tensor) => (await t.read()) as Float32Array;

// One f32 rounding per output (rtol 1e-6 would do); a broadcast gradient sums up to 600 rows in f32
// (~600·6e-8 relative to Σ|terms|, and the sum may cancel), hence rtol 1e-4 with atol 1e-5.
const CASES: [number[], number[]][] = [
  [[1], [1]],
  [[7, 13], [7, 13]],
  [[33, 769], [33, 769]],
  [[7, 13], [13]],
  [[3, 5, 130], [130]],
  [[2, 3, 4], [3, 4]],
  [[600, 13], [13]], // 600 rows: sum.rows takes two passes
  [[33, 769], [769]],
  [[4, 13], [13]], // a multiple of 4 broadcasting one that is not: f32s
];

for (const [aShape, bShape] of CASES) {
  test(`add and mul, forward and backward, [${aShape}] with [${bShape}]`, async () => {
    const [na, nb] = [numel(aShape), numel(bShape)];
    const [as, bs, gs] = [randn(na, na), randn(nb, nb + 1), randn(na, na + 2)];
    const a = Tensor.from(as, aShape);
    const b = Tensor.from(bs, bShape);
    for (const t of [a, b]) t.requiresGrad = true;
    const sumOut = add(a, b);
    expect(sumOut.shape).toEqual(aShape);
    expectClose(await read(sumOut), ref.addForward(as, bs), 1e-6, 0, "a + b");
    backward(sumOut, Tensor.from(gs, aShape));
    const ga = ref.addBackward(gs, nb);
    expect(b.grad!.shape).toEqual(bShape);
    expectClose(await read(a.grad!), ga.da, 1e-6, 0, "add da");
    expectClose(await read(b.grad!), ga.db, 1e-4, 1e-5, "add db");

    for (const t of [a, b]) t.grad = null;
    const prodOut = mul(a, b);
    expectClose(await read(prodOut), ref.mulForward(as, bs), 1e-6, 0, "a ∘ b");
    backward(prodOut, Tensor.from(gs, aShape));
    const gm = ref.mulBackward(gs, as, bs);
    expectClose(await read(a.grad!), gm.da, 1e-6, 0, "mul da");
    expectClose(await read(b.grad!), gm.db, 1e-4, 1e-5, "mul db");
  });
}

// 7×13 runs the kernels on f32s, 8×16 on vec4s.
for (const shape of [[7, 13], [8, 16]]) {
  test(`scale, forward and backward [${shape}]`, async () => {
    const n = numel(shape);
    const xs = randn(n, 3);
    const gs = randn(n, 4);
    const x = Tensor.from(xs, shape);
    x.requiresGrad = true;
    const y = scale(x, -0.37);
    expectClose(await read(y), ref.scaleForward(xs, -0.37), 1e-6, 0, "s·x");
    backward(y, Tensor.from(gs, shape));
    expectClose(await read(x.grad!), ref.scaleBackward(gs, -0.37), 1e-6, 0, "dx");
  });
}

// C = 769 keeps the kernel on f32 elements: as vec4s the same tensor would fit one grid dimension.
test("more elements than one grid dimension holds (a bias over 21,846 × 769)", async () => {
  const [R, C] = [21846, 769]; // 16,799,574 elements > 65,535 · 256
  const bs = randn(C, 5);
  const out = await read(addForward(Tensor.full([R, C], 1), Tensor.from(bs)));
  const expected = ref.addForward(new Float32Array(C).fill(1), bs);
  for (const r of [0, 1, 21845]) expectClose(out.subarray(r * C, (r + 1) * C), expected, 1e-6, 0, `row ${r}`);
}, 20_000);

test("the reference backwards match finite differences", () => {
  const a = f64(randn(12, 5));
  const b = f64(randn(4, 6));
  const g = f64(randn(12, 7));
  const dot = (y: Float64Array) => y.reduce((s, v, i) => s + v * g[i]!, 0);
  const add = ref.addBackward(g, 4);
  expectClose(add.da, numericGrad((v) => dot(ref.addForward(v, b)), a), 1e-6, 1e-8, "add da");
  expectClose(add.db, numericGrad((v) => dot(ref.addForward(a, v)), b), 1e-6, 1e-8, "add db");
  const m = ref.mulBackward(g, a, b);
  expectClose(m.da, numericGrad((v) => dot(ref.mulForward(v, b)), a), 1e-6, 1e-8, "mul da");
  expectClose(m.db, numericGrad((v) => dot(ref.mulForward(a, v)), b), 1e-6, 1e-8, "mul db");
  expectClose(ref.scaleBackward(g, 1.7), numericGrad((v) => dot(ref.scaleForward(v, 1.7)), a), 1e-6, 1e-8, "scale dx");
});

test("shapes that do not broadcast are a ShapeError naming both shapes", () => {
  const a = Tensor.zeros([4, 6]);
  expect(() => add(a, Tensor.zeros([4]))).toThrow(ShapeError);
  expect(() => add(a, Tensor.zeros([4]))).toThrow(/\[4, 6\] and \[4\]/);
  expect(() => mul(a, Tensor.zeros([2, 4, 6]))).toThrow(/\[4, 6\] and \[2, 4, 6\]/);
});
