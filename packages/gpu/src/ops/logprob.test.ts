import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { DtypeError, ShapeError } from "../errors.ts";
import { logprobBackward as refBackward, logprobForward as refForward } from "../reference/logprob.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randint, randn } from "../testing.ts";
import { logprob } from "./logprob.ts";

// f32 kernels vs float64 references to rel 1e-4. The atol covers entries that are ~0: gradient terms of
// probabilities below e^-20, and log-probs/entropies near 0 where only absolute f32 rounding is meaningful
// (a log-prob of −1e4 is computed as x_t − m − log S, exact in relative terms; its atol is dwarfed).
const RTOL = 1e-4;
const ATOL = 1e-5;

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

/** logp, entropy and d logits (with upstream gradient dLogp) on the GPU vs the reference. */
async function check(N: number, V: number, logits: Float32Array, targets: Int32Array, seed: number): Promise<void> {
  const x = Tensor.from(logits, [N, V]);
  x.requiresGrad = true;
  const { logp, entropy } = logprob(x, Tensor.from(targets));
  const dLogp = randn(N, seed + 7, 1);
  backward(logp, Tensor.from(dLogp));
  const ref = refForward(logits, targets, N, V);
  expectClose(await logp.read(), ref.logp, RTOL, ATOL, "logp");
  expectClose(await entropy.read(), ref.entropy, RTOL, ATOL, "entropy");
  expectClose(await x.grad!.read(), refBackward(logits, targets, dLogp, N, V), RTOL, 1e-7, "dlogits");
}

test("forward and backward match the float64 reference on odd sizes", async () => {
  for (const [N, V, seed] of [[7, 61, 1], [1, 1, 2], [13, 333, 3], [3, 50257, 4]] as const) {
    await check(N, V, randn(N * V, seed, 3), randint(N, V, seed + 1), seed);
  }
});

test("large logits stay finite and exact; ignored targets give 0 and no gradient", async () => {
  const N = 4;
  const V = 37;
  const logits = randn(N * V, 9, 1).map((v, i) => (i % 5 === 0 ? 1e4 : v * 1e3));
  const targets = Int32Array.from([0, -1, 36, 37]);
  await check(N, V, logits, targets, 9);
  const { logp } = logprob(Tensor.from(logits, [N, V]), Tensor.from(targets));
  const got = await logp.read();
  expect(got[1]).toBe(0);
  expect(got[3]).toBe(0);
});

test("the reference backward matches finite differences", () => {
  const N = 3;
  const V = 6;
  const logits = f64(randn(N * V, 11, 2));
  const targets = Int32Array.from([2, 5, -1]);
  const w = f64(randn(N, 12, 1));
  const f = (x: Float64Array) => refForward(x, targets, N, V).logp.reduce((s, lp, n) => s + w[n]! * lp, 0);
  expectClose(refBackward(logits, targets, w, N, V), numericGrad(f, logits), 1e-6, 1e-8, "d logits");
});

test("shape and dtype mismatches throw typed errors", () => {
  expect(() => logprob(Tensor.zeros([4, 5]), Tensor.zeros([3], "i32"))).toThrow(ShapeError);
  expect(() => logprob(Tensor.zeros([4, 5]), Tensor.zeros([4]))).toThrow(DtypeError);
});
