import { beforeAll, expect, test } from "bun:test";
import { backward, initRuntime, runtime, ShapeError, Tensor } from "@forno/gpu";
import { expectClose, f64, numericGrad, randint, randn } from "@forno/gpu/testing";
import * as ref from "../reference.ts";
import { clippedPolicyLoss, clippedValueLoss, pairwiseLoss } from "./losses.ts";
import { gatherRows, rowSum } from "./sequence.ts";

// f32 kernels vs float64 references: rel 1e-4, with an atol for results that are ~0 (where only absolute
// f32 rounding of exp/log is meaningful).
const RTOL = 1e-4;
const ATOL = 1e-6;

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

function leaf(data: Float32Array | number[], shape?: number[]): Tensor {
  const t = Tensor.from(data instanceof Float32Array ? data : Float32Array.from(data), shape);
  t.requiresGrad = true;
  return t;
}

test("rowSum: masked sums and their gradient on odd sizes", async () => {
  const [B, T] = [5, 13];
  const x = randn(B * T, 1);
  const mask = Float32Array.from(randint(B * T, 2, 2));
  const xt = leaf(x, [B, T]);
  const out = rowSum(xt, Tensor.from(mask, [B, T]));
  const g = randn(B, 3);
  backward(out, Tensor.from(g));
  expectClose(await out.read(), ref.rowSum(x, mask, B, T), RTOL, ATOL, "rowSum");
  expectClose(await xt.grad!.read(), Array.from(mask, (m, i) => m * g[Math.floor(i / T)]!), RTOL, ATOL, "d x");
  expect(() => rowSum(Tensor.zeros([2, 3]), Tensor.zeros([3, 2]))).toThrow(ShapeError);
});

test("gatherRows: picks rows and scatters gradients (repeated rows add)", async () => {
  const [N, C] = [7, 5];
  const h = randn(N * C, 4);
  const rows = [6, 0, 6];
  const ht = leaf(h, [N, C]);
  const out = gatherRows(ht, Tensor.from(Int32Array.from(rows)), rows);
  const g = randn(rows.length * C, 5);
  backward(out, Tensor.from(g, [rows.length, C]));
  expectClose(await out.read(), rows.flatMap((r) => Array.from(h.subarray(r * C, r * C + C))), 0, 0, "gather");
  const dh = new Float64Array(N * C);
  rows.forEach((r, b) => {
    for (let c = 0; c < C; c++) dh[r * C + c]! += g[b * C + c]!;
  });
  expectClose(await ht.grad!.read(), dh, RTOL, ATOL, "d h");
  expect(() => gatherRows(ht, Tensor.from(Int32Array.from([7])), [7])).toThrow(ShapeError);
});

test("pairwiseLoss matches the reference and a hand computation; large margins stay finite", async () => {
  // Hand: one pair, chosen 2, rejected 0, margin 1 → z = 1, loss = ln(1 + e^-1) = 0.31326169.
  const hand = pairwiseLoss(Tensor.from([2, 0]), Tensor.from([1]));
  expectClose(await hand.loss.read(), [Math.log1p(Math.exp(-1))], 1e-6, 0, "hand loss");
  for (const [B, scale, std] of [[9, 1, 1], [3, 0.1, 30], [2, 1, 1e4]] as const) {
    const s = randn(2 * B, B, std);
    const off = randn(B, B + 1, 0.5);
    const st = leaf(s);
    const { loss, stats } = pairwiseLoss(st, Tensor.from(off), scale);
    backward(loss, Tensor.from([1.5]));
    const r = ref.pairwise(s, off, scale);
    expectClose(await loss.read(), [r.loss], RTOL, ATOL, "loss");
    expectClose(await stats.read(), [r.accuracy, r.margin], RTOL, ATOL, "stats");
    expectClose(await st.grad!.read(), r.grad.map((g) => 1.5 * g), RTOL, ATOL, "d scores");
  }
  expect(() => pairwiseLoss(Tensor.zeros([3]), Tensor.zeros([2]))).toThrow(ShapeError);
});

test("the pairwise reference gradient matches finite differences", () => {
  const s = f64(randn(6, 7));
  const off = f64(randn(3, 8));
  expectClose(ref.pairwise(s, off, 0.7).grad, numericGrad((x) => ref.pairwise(x, off, 0.7).loss, s), 1e-6, 1e-9, "d scores");
});

test("clippedPolicyLoss: hand-computed PPO cases", async () => {
  // ε = 0.2. Token 0: r = e^0.5 ≈ 1.6487, A = 1 → clipped at 1.2, gradient 0.
  // Token 1: r = e^-0.1 ≈ 0.9048, A = -2 → unclipped −r·A = 1.8097 wins the min (obj −1.8097), d = −r·A/N = 0.9048.
  // Token 2: masked out. Loss = (−1.2 + 1.8097)/2.
  const r1 = Math.exp(-0.1);
  const logp = leaf([0.5, -0.1, 3]);
  const { loss, stats } = clippedPolicyLoss({ logp, oldLogp: Tensor.from([0, 0, 0]), adv: Tensor.from([1, -2, 5]), refLogp: Tensor.from([0, 0, 0]), mask: Tensor.from([1, 1, 0]) }, 0.2);
  backward(loss);
  expectClose(await loss.read(), [(-1.2 + 2 * r1) / 2], 1e-6, 1e-7, "loss");
  expectClose((await stats.read()).subarray(0, 1), [0.5], 0, 0, "clip fraction");
  expectClose(await logp.grad!.read(), [0, r1, 0], 1e-6, 1e-7, "d logp");
});

test("clippedPolicyLoss with k3 KL matches the reference; k3 is zero when policy = reference", async () => {
  const N = 37;
  const logp = randn(N, 20, 0.3);
  const old = logp.map((v, i) => v + 0.3 * Math.sin(i));
  const adv = randn(N, 21);
  const refLp = randn(N, 22, 0.3);
  const mask = Float32Array.from(randint(N, 2, 23));
  const lt = leaf(logp);
  const { loss, stats } = clippedPolicyLoss({ logp: lt, oldLogp: Tensor.from(old), adv: Tensor.from(adv), refLogp: Tensor.from(refLp), mask: Tensor.from(mask) }, 0.2, 0.5);
  backward(loss);
  const r = ref.policyLoss(logp, old, adv, refLp, mask, 0.2, 0.5);
  expectClose(await loss.read(), [r.loss], RTOL, ATOL, "loss");
  expectClose((await stats.read()).subarray(0, 2), [r.clipFraction, r.kl], RTOL, ATOL, "stats");
  expectClose(await lt.grad!.read(), r.grad, RTOL, ATOL, "d logp");
  const same = clippedPolicyLoss({ logp: Tensor.from(logp), oldLogp: Tensor.from(logp), adv: Tensor.zeros([N]), refLogp: Tensor.from(logp), mask: Tensor.from(mask) }, 0.2, 1);
  expect((await same.stats.read())[1]).toBe(0);
  const f = (x: Float64Array) => ref.policyLoss(x, old, adv, refLp, mask, 0.2, 0.5).loss;
  expectClose(r.grad, numericGrad(f, f64(logp), 1e-6), 1e-5, 1e-8, "reference d logp vs finite differences");
});

test("clippedValueLoss: hand-computed case and the reference on random inputs", async () => {
  // ε = 0.2, R = 1. Token 0: v = 0.5, oldV = 0 → vc = 0.2; (v−R)² = 0.25 < (vc−R)² = 0.64 → clipped term,
  // outside the clamp range → gradient 0. Token 1: v = 0.1, oldV = 0 → vc = v; d = (v − R)/2 = −0.45.
  const v = leaf([0.5, 0.1]);
  const { loss, stats } = clippedValueLoss(v, Tensor.from([0, 0]), Tensor.from([1, 1]), Tensor.from([1, 1]), 0.2);
  backward(loss);
  expectClose(await loss.read(), [(0.5 * 0.64 + 0.5 * 0.81) / 2], 1e-6, 1e-7, "loss");
  expectClose(await stats.read(), [0.5, 0.5], 0, 0, "stats");
  expectClose(await v.grad!.read(), [0, -0.45], 1e-6, 1e-7, "d v");
  const N = 41;
  const vs = randn(N, 30);
  const old = vs.map((x, i) => x + 0.4 * Math.cos(i));
  const ret = randn(N, 31);
  const mask = Float32Array.from(randint(N, 2, 32));
  const vt = leaf(vs);
  const out = clippedValueLoss(vt, Tensor.from(old), Tensor.from(ret), Tensor.from(mask), 0.2);
  backward(out.loss);
  const r = ref.valueLoss(vs, old, ret, mask, 0.2);
  expectClose(await out.loss.read(), [r.loss], RTOL, ATOL, "loss");
  expectClose(await vt.grad!.read(), r.grad, RTOL, ATOL, "d v");
  expectClose(r.grad, numericGrad((x) => ref.valueLoss(x, old, ret, mask, 0.2).loss, f64(vs), 1e-7), 1e-5, 1e-8, "reference d v vs finite differences");
  expect(() => clippedValueLoss(Tensor.zeros([3]), Tensor.zeros([2]), Tensor.zeros([3]), Tensor.zeros([3]), 0.2)).toThrow(ShapeError);
});
