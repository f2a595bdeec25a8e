import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { DtypeError, ShapeError } from "../errors.ts";
import { crossEntropyBackward as refBackward, crossEntropyForward as refForward, crossEntropyPerToken as refPerToken } from "../reference/crossentropy.ts";
import { bindingChunks, initRuntime, runtime } from "../runtime.ts";
import { linearGrid, Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randint, randn, rng } from "../testing.ts";
import { crossEntropy, crossEntropyBackward, crossEntropyForward, crossEntropyPerToken } from "./crossentropy.ts";

// f32 kernels vs float64 references: losses and gradients to rel 1e-4. The atol only covers gradient
// entries that are ~0 (softmax probabilities of e^-20 and below), where f32 exp rounding is all there is.
const RTOL = 1e-4;
const ATOL = 1e-9;

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

interface Case {
  N: number;
  V: number;
  logits: Float32Array; // (N, V)
  targets: Int32Array; // (N)
  weights?: Float32Array; // (N)
}

function randomCase(N: number, V: number, seed: number, std = 3): Case {
  return { N, V, logits: randn(N * V, seed, std), targets: randint(N, V, seed + 1) };
}

/** Runs crossEntropy forward and backward (with dLoss = 2.5) on the GPU and checks both against the reference. */
async function checkAgainstReference(c: Case): Promise<void> {
  const logits = Tensor.from(c.logits, [c.N, c.V]);
  logits.requiresGrad = true;
  const weights = c.weights ? Tensor.from(c.weights) : undefined;
  const loss = crossEntropy(logits, Tensor.from(c.targets), weights);
  backward(loss, Tensor.from([2.5]));
  const [gotLoss, gotGrad] = await Promise.all([loss.read(), logits.grad!.read()]);
  const w = c.weights ?? null;
  expectClose(gotLoss, [refForward(c.logits, c.targets, w, c.N, c.V)], RTOL, 1e-7, "loss");
  expectClose(gotGrad, refBackward(c.logits, c.targets, w, c.N, c.V, 2.5), RTOL, ATOL, "dlogits");
}

test("forward and backward match the reference at odd sizes (N=13, V=97), unweighted and weighted", async () => {
  const c = randomCase(13, 97, 1);
  await checkAgainstReference(c);
  const r = rng(3);
  await checkAgainstReference({ ...c, weights: Float32Array.from({ length: 13 }, () => (r() < 0.3 ? 0 : r() * 2)) });
});

test("edge sizes: N=1, V=1 (loss 0, gradient 0) and N=1, V=2", async () => {
  await checkAgainstReference(randomCase(1, 1, 5));
  await checkAgainstReference(randomCase(1, 2, 6));
});

test("GPT-2 vocabulary: N=5, V=50257 with a 0/1 mask", async () => {
  await checkAgainstReference({ ...randomCase(5, 50257, 7, 2), weights: new Float32Array([1, 0, 1, 1, 0]) });
});

test("large logits (±1e4) stay exact and NaN-free", async () => {
  const N = 6;
  const V = 33;
  const logits = Float32Array.from(randn(N * V, 9), (x) => (x > 0 ? 1e4 : -1e4) + x);
  const targets = randint(N, V, 10);
  targets[0] = logits.subarray(0, V).indexOf(Math.max(...logits.subarray(0, V))); // a confident, correct row: loss ≈ 0
  await checkAgainstReference({ N, V, logits, targets });
  const perToken = await crossEntropyPerToken(Tensor.from(logits, [N, V]), Tensor.from(targets)).read();
  expectClose(perToken, refPerToken(logits, targets, N, V), RTOL, 1e-6, "per-token loss");
});

test("all weights zero: loss 0 and gradients 0, not NaN", async () => {
  const c = randomCase(7, 11, 11);
  const logits = Tensor.from(c.logits, [7, 11]);
  logits.requiresGrad = true;
  const loss = crossEntropy(logits, Tensor.from(c.targets), Tensor.zeros([7]));
  backward(loss);
  expect([...(await loss.read())]).toEqual([0]);
  expect((await logits.grad!.read()).every((g) => g === 0)).toBe(true);
});

test("targets outside [0, V) are ignored rows: loss 0 there, left out of the mean, gradient 0", async () => {
  const c = randomCase(6, 9, 12);
  c.targets.set([-1, 9, 1000], 1);
  await checkAgainstReference(c);
  await checkAgainstReference({ ...c, weights: new Float32Array([1, 2, 3, 4, 0.5, 1]) });
  const perToken = await crossEntropyPerToken(Tensor.from(c.logits, [6, 9]), Tensor.from(c.targets)).read();
  expect([perToken[1], perToken[2], perToken[3]]).toEqual([0, 0, 0]);
  expectClose(perToken, refPerToken(c.logits, c.targets, 6, 9), RTOL, 1e-6, "per-token loss");
});

test("crossEntropyPerToken matches the reference and records no gradient", async () => {
  const c = randomCase(17, 130, 13);
  const logits = Tensor.from(c.logits, [17, 130]);
  logits.requiresGrad = true;
  const perToken = crossEntropyPerToken(logits, Tensor.from(c.targets));
  expect(perToken.requiresGrad).toBe(false);
  expectClose(await perToken.read(), refPerToken(c.logits, c.targets, 17, 130), RTOL, 1e-6, "per-token loss");
});

test("more rows than one grid dimension holds (N=66000, V=3)", async () => {
  await checkAgainstReference(randomCase(66000, 3, 14));
});

test("logits over the storage-binding limit are processed in aligned row chunks", async () => {
  const limits = runtime().device.limits;
  const rowBytes = 50257 * 4;
  const chunks = bindingChunks(1024, rowBytes);
  expect(chunks.reduce((s, c) => s + c.count, 0)).toBe(1024);
  for (const c of chunks) {
    expect((c.start * rowBytes) % limits.minStorageBufferOffsetAlignment).toBe(0);
    expect(c.count * rowBytes).toBeLessThanOrEqual(limits.maxStorageBufferBindingSize);
  }
  expect(bindingChunks(0, 4)).toEqual([]);
  // A real two-chunk run where the adapter's limit makes one affordable (128 MiB on llvmpipe). Uploading
  // and reading 130 MB is slow here, so the logits are zeroed on the GPU except the two rows around the
  // chunk boundary, which are uploaded, and only those rows of d logits are read back.
  const V = 50257;
  const N = Math.floor(limits.maxStorageBufferBindingSize / rowBytes) + 3;
  if (N * rowBytes > 160 * 2 ** 20) return;
  const rt = runtime();
  const edge = bindingChunks(N, rowBytes)[1]!.start - 1; // the last row of chunk 0 and the first of chunk 1
  const edgeLogits = randn(2 * V, 15, 2); // (2, V)
  const targets = randint(N, V, 16);
  const edgeTargets = targets.subarray(edge, edge + 2);
  const edgeLoss = refPerToken(edgeLogits, edgeTargets, 2, V);
  const wantLoss = (edgeLoss[0]! + edgeLoss[1]! + (N - 2) * Math.log(V)) / N;
  rt.poison = false; // the poison fill binds a whole tensor, which is what does not fit here
  try {
    const logits = Tensor.empty([N, V]);
    for (const { start, count } of bindingChunks(N * V, 4)) {
      rt.dispatch({ kernel: "fill", bindings: [{ buffer: logits.buffer, byteOffset: start * 4, byteLength: count * 4 }], params: new Uint32Array([count, 0]), workgroups: linearGrid(count) });
    }
    rt.upload(edgeLogits, logits.buffer, edge * rowBytes);
    const targetsT = Tensor.from(targets);
    // The ops directly, not autograd: accumulating a leaf's .grad binds the whole tensor too.
    const { loss, saved } = crossEntropyForward(logits, targetsT);
    const dlogits = crossEntropyBackward(logits, targetsT, undefined, saved, Tensor.from([1]));
    expectClose(await loss.read(), [wantLoss], RTOL, 1e-7, "loss");
    const grad = new Float32Array(await rt.read(dlogits.buffer, edge * rowBytes, 2 * rowBytes));
    expectClose(grad, refBackward(edgeLogits, edgeTargets, null, 2, V, 2 / N), RTOL, ATOL, "dlogits at the chunk boundary");
  } finally {
    rt.poison = true;
  }
}, 15_000);

test("the reference gradient matches finite differences", () => {
  const N = 4;
  const V = 5;
  const logits = f64(randn(N * V, 16));
  const targets = new Int32Array([0, 4, -1, 2]);
  const weights = [0.5, 2, 1, 0];
  const numeric = numericGrad((x) => refForward(x, targets, weights, N, V), logits);
  expectClose(refBackward(logits, targets, weights, N, V), numeric, 1e-6, 1e-8, "reference dlogits");
});

test("wrong dtypes and shapes throw typed errors naming them", () => {
  const logits = Tensor.zeros([4, 7]);
  expect(() => crossEntropy(logits, Tensor.zeros([4]))).toThrow(DtypeError);
  expect(() => crossEntropy(logits, Tensor.zeros([4]))).toThrow(/targets must be i32.*got f32/);
  expect(() => crossEntropy(logits, Tensor.zeros([5], "i32"))).toThrow(ShapeError);
  expect(() => crossEntropy(logits, Tensor.zeros([5], "i32"))).toThrow(/\[4, 7\] and \[5\]/);
  expect(() => crossEntropy(logits, Tensor.zeros([4], "i32"), Tensor.zeros([3]))).toThrow(ShapeError);
  expect(() => crossEntropyPerToken(Tensor.zeros([28]), Tensor.zeros([4], "i32"))).toThrow(ShapeError);
});
