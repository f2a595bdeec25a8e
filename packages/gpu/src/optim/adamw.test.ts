import { beforeAll, expect, test } from "bun:test";
import { DtypeError, ShapeError } from "../errors.ts";
import { adamwStep, gradNorm } from "../reference/adamw.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, f64, randn } from "../testing.ts";
import { AdamW } from "./adamw.ts";
import { clipGradNorm } from "./clip.ts";

// f32 moments and parameters vs float64 over a few steps: rel 1e-4, with an atol for moments near 0.
const RTOL = 1e-4;
const ATOL = 1e-7;

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

const shapes = [[7, 13], [13], [1], [4, 6]]; // 24 elements take the vec4 path, the others the scalar one
const size = (s: number[]) => s.reduce((a, b) => a * b);

test("several steps match the reference: decay on matrices only, lr schedule, numeric and clip-tensor grad scales", async () => {
  const init = shapes.map((s, i) => randn(size(s), 40 + i));
  const params = init.map((x, i) => Tensor.from(x, shapes[i]));
  const opt = new AdamW(params, { lr: 0.01, weightDecay: 0.1 });
  const ref = init.map((x) => ({ p: f64(x), m: new Float64Array(x.length), v: new Float64Array(x.length) }));
  const steps: { lr?: number; scale?: number | "clip" }[] = [{}, { lr: 0.02 }, { scale: 0.5 }, { scale: "clip" }, { lr: 0.005, scale: "clip" }];
  for (const [k, s] of steps.entries()) {
    const grads = shapes.map((sh, i) => randn(size(sh), 100 * k + i, 0.3));
    params.forEach((p, i) => {
      p.grad?.dispose();
      p.grad = Tensor.from(grads[i]!, shapes[i]);
    });
    opt.step({ lr: s.lr, gradScale: s.scale === "clip" ? clipGradNorm(params, 0.8).scale : s.scale });
    const gradScale = s.scale === "clip" ? gradNorm(grads, 0.8).scale : (s.scale ?? 1);
    if (s.scale === "clip") expect(gradScale).toBeLessThan(1);
    ref.forEach((r, i) => {
      const weightDecay = shapes[i]!.length >= 2 ? 0.1 : 0;
      adamwStep(r.p, grads[i]!, r.m, r.v, { lr: s.lr ?? 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay, step: k + 1, gradScale });
    });
  }
  const state = opt.state();
  expect(state.step).toBe(steps.length);
  for (const [i, r] of ref.entries()) {
    expectClose(await params[i]!.read(), r.p, RTOL, ATOL, `param ${i}`);
    expectClose(await state.m[i]!.read(), r.m, RTOL, ATOL, `m ${i}`);
    expectClose(await state.v[i]!.read(), r.v, RTOL, ATOL, `v ${i}`);
  }
});

test("noDecay chooses the undecayed tensors; parameters without a gradient are left alone", async () => {
  const a = Tensor.from(new Float32Array([1, -2, 3, 4]), [2, 2]);
  const b = Tensor.from(new Float32Array([5, 6]), [2]);
  a.grad = Tensor.zeros([2, 2]);
  const opt = new AdamW([a, b], { lr: 0.1, weightDecay: 0.5, noDecay: (p) => p === a });
  opt.step();
  expect([...(await a.read())]).toEqual([1, -2, 3, 4]); // zero gradient, no decay: unchanged
  expect([...(await b.read())]).toEqual([5, 6]); // no gradient: skipped
  b.grad = Tensor.zeros([2]);
  opt.step();
  expectClose(await b.read(), [5 * 0.95, 6 * 0.95], 1e-6, 0, "decayed b");
});

test("state() and loadState() resume bit-identically", async () => {
  const x = randn(29, 50);
  const g1 = randn(29, 51);
  const g2 = randn(29, 52);
  const p1 = Tensor.from(x, [29]);
  const opt1 = new AdamW([p1], { lr: 0.01 });
  p1.grad = Tensor.from(g1);
  opt1.step();
  const p2 = Tensor.from(await p1.read(), [29]);
  const opt2 = new AdamW([p2], { lr: 0.01 });
  opt2.loadState(opt1.state());
  expect(opt2.state().step).toBe(1);
  p1.grad = Tensor.from(g2);
  p2.grad = Tensor.from(g2);
  opt1.step();
  opt2.step();
  const [a, b] = await Promise.all([p1.read(), p2.read()]);
  expect(new Uint32Array(b.buffer)).toEqual(new Uint32Array(a.buffer));
  expect(() => opt2.loadState({ step: 1, m: [], v: [] })).toThrow(/moments for 1 parameters/);
  expect(() => opt2.loadState({ step: 1, m: [Tensor.zeros([3])], v: [Tensor.zeros([29])] })).toThrow(ShapeError);
});

test("wrong dtypes and shapes throw typed errors naming them", () => {
  expect(() => new AdamW([Tensor.zeros([3], "i32")], { lr: 1 })).toThrow(DtypeError);
  const p = Tensor.zeros([4, 2]);
  p.grad = Tensor.zeros([3]);
  const opt = new AdamW([p], { lr: 1 });
  expect(() => opt.step()).toThrow(ShapeError);
  expect(() => opt.step()).toThrow(/\[4, 2\] and \[3\]/);
  p.grad = Tensor.zeros([4, 2]);
  expect(() => opt.step({ gradScale: Tensor.zeros([2]) })).toThrow(ShapeError);
});
