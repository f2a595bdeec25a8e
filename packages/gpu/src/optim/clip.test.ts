import { beforeAll, expect, test } from "bun:test";
import { DtypeError, GpuError } from "../errors.ts";
import { gradNorm } from "../reference/adamw.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, randn } from "../testing.ts";
import { clipGradNorm } from "./clip.ts";

// Sums of squares in f32 partials (≤ 4,096 terms each, then a tree) vs float64: rel 1e-4 is ample.
const RTOL = 1e-4;

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

/** Parameters of the given shapes whose `.grad` holds the given data. */
function withGrads(grads: Float32Array[], shapes: number[][]): Tensor[] {
  return grads.map((g, i) => {
    const p = Tensor.zeros(shapes[i]!);
    p.grad = Tensor.from(g, shapes[i]);
    return p;
  });
}

// Odd sizes take the scalar path, the last (a multiple of 4) the vec4 one and the cap of 256 partials.
const shapes = [[13, 7], [1], [5001], [1_300_000]];

test("norm and clip scale match the reference over odd-sized tensors", async () => {
  const grads = shapes.map((s, i) => randn(s.reduce((a, b) => a * b), 20 + i, 0.01));
  const params = withGrads(grads, shapes);
  const want = gradNorm(grads, 1.0);
  expect(want.scale).toBeLessThan(1);
  const { norm, scale } = clipGradNorm(params, 1.0);
  expect(norm.shape).toEqual([1]);
  expectClose(await norm.read(), [want.norm], RTOL, 0, "norm");
  expectClose(await scale.read(), [want.scale], RTOL, 0, "scale");
  const loose = clipGradNorm(params, 1e6);
  expect([...(await loose.scale.read())]).toEqual([1]);
});

test("deterministic: the same gradients give bit-identical norms", async () => {
  const grads = shapes.map((s, i) => randn(s.reduce((a, b) => a * b), 30 + i));
  const params = withGrads(grads, shapes);
  const a = await clipGradNorm(params, 0.5).norm.read();
  const b = await clipGradNorm(params, 0.5).norm.read();
  expect(new Uint32Array(b.buffer)).toEqual(new Uint32Array(a.buffer));
});

test("parameters without a gradient are skipped; none at all gives norm 0 and scale 1", async () => {
  const params = withGrads([new Float32Array([3, 4])], [[2]]);
  params.push(Tensor.zeros([5]));
  expect([...(await clipGradNorm(params, 1).norm.read())]).toEqual([5]);
  const none = clipGradNorm([Tensor.zeros([3])], 1);
  expect([...(await none.norm.read()), ...(await none.scale.read())]).toEqual([0, 1]);
});

test("bad gradients and limits throw typed errors", () => {
  const p = Tensor.zeros([3]);
  p.grad = Tensor.zeros([3], "i32");
  expect(() => clipGradNorm([p], 1)).toThrow(DtypeError);
  expect(() => clipGradNorm([p], 1)).toThrow(/gradients must be f32, got i32/);
  expect(() => clipGradNorm([], 0)).toThrow(GpuError);
});
