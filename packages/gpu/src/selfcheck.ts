/**
 * The runtime's self-check: every op family, forward and backward, on small random odd-sized inputs
 * against its float64 reference, on whatever adapter this process opened. It is what a user runs first
 * on a new machine; the unit tests cover far more cases.
 */
import { backward } from "./autograd.ts";
import { attention } from "./ops/attention.ts";
import { crossEntropy } from "./ops/crossentropy.ts";
import { add } from "./ops/elementwise.ts";
import { embedding } from "./ops/embedding.ts";
import { gelu } from "./ops/gelu.ts";
import { layerNorm } from "./ops/layernorm.ts";
import { linear } from "./ops/linear.ts";
import { softmax } from "./ops/softmax.ts";
import { randint, randn } from "./random.ts";
import * as ref from "./reference/index.ts";
import { scope, Tensor } from "./tensor.ts";

export interface CheckRow {
  op: string;
  /** Largest |gpu − reference| / (1 + |reference|) over every output and gradient checked. */
  error: number;
  ok: boolean;
}

function err(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
    e = Math.max(e, Number.isFinite(d) ? d : Infinity);
  }
  return e;
}

function leaf(data: Float32Array, shape: number[]): Tensor {
  const t = Tensor.from(data, shape);
  t.requiresGrad = true;
  return t;
}

/** Runs `y = f(inputs)`, backprops Σ y·dy, returns the output and input gradients as arrays. */
async function run(inputs: Tensor[], f: () => Tensor, dy: Float32Array): Promise<Float32Array[]> {
  const y = f();
  backward(y, Tensor.from(dy, [...y.shape]));
  return [(await y.read()) as Float32Array, ...(await Promise.all(inputs.map(async (t) => (await t.grad!.read()) as Float32Array)))];
}

const TOLERANCE = 1e-3;

export async function selfCheck(): Promise<CheckRow[]> {
  const checks: [string, () => Promise<number>][] = [
    ["linear (x·W + b)", async () => {
      const [N, Ci, Co] = [19, 23, 17];
      const x = randn(N * Ci, 1), w = randn(Ci * Co, 2), b = randn(Co, 3), dy = randn(N * Co, 4);
      const X = leaf(x, [N, Ci]), W = leaf(w, [Ci, Co]), Bb = leaf(b, [Co]);
      const [y, dx, dw, db] = await run([X, W, Bb], () => linear(X, W, Bb), dy);
      const r = ref.matmul.linearBackwardRef(x, w, dy, N, Ci, Co);
      return Math.max(err(y!, ref.matmul.linearRef(x, w, b, N, Ci, Co)), err(dx!, r.dx), err(dw!, r.dw), err(db!, r.dbias));
    }],
    ["add (bias broadcast)", async () => {
      const a = randn(5 * 7, 5), b = randn(7, 6), dy = randn(5 * 7, 7);
      const A = leaf(a, [5, 7]), Bb = leaf(b, [7]);
      const [y, da, db] = await run([A, Bb], () => add(A, Bb), dy);
      const r = ref.elementwise.addBackward(dy, 7);
      return Math.max(err(y!, ref.elementwise.addForward(a, b)), err(da!, r.da), err(db!, r.db));
    }],
    ["gelu", async () => {
      const x = randn(301, 8, 3), dy = randn(301, 9);
      const X = leaf(x, [301]);
      const [y, dx] = await run([X], () => gelu(X), dy);
      return Math.max(err(y!, ref.gelu.geluForward(x)), err(dx!, ref.gelu.geluBackward(dy, x)));
    }],
    ["layerNorm", async () => {
      const [N, C] = [9, 37];
      const x = randn(N * C, 10), w = randn(C, 11), b = randn(C, 12), dy = randn(N * C, 13);
      const X = leaf(x, [N, C]), W = leaf(w, [C]), Bb = leaf(b, [C]);
      const [y, dx, dw, db] = await run([X, W, Bb], () => layerNorm(X, W, Bb), dy);
      const f = ref.layernorm.layerNormForward(x, w, b, N, C);
      const r = ref.layernorm.layerNormBackward(dy, x, w, f.mean, f.rstd, N, C);
      return Math.max(err(y!, f.out), err(dx!, r.dx), err(dw!, r.dw), err(db!, r.db));
    }],
    ["softmax", async () => {
      const x = randn(6 * 33, 14, 4), dy = randn(6 * 33, 15);
      const X = leaf(x, [6, 33]);
      const [y, dx] = await run([X], () => softmax(X), dy);
      const yr = ref.softmax.softmaxForward(x, 6, 33);
      return Math.max(err(y!, yr), err(dx!, ref.softmax.softmaxBackward(dy, yr, 6, 33)));
    }],
    ["causal attention", async () => {
      const [B, T, C, NH] = [2, 13, 12, 3];
      const qkv = randn(B * T * 3 * C, 16), dy = randn(B * T * C, 17);
      const Q = leaf(qkv, [B, T, 3 * C]);
      const [y, dq] = await run([Q], () => attention(Q, NH), dy);
      return Math.max(err(y!, ref.attention.attentionForwardRef(qkv, B, T, C, NH).y), err(dq!, ref.attention.attentionBackwardRef(dy, qkv, B, T, C, NH)));
    }],
    ["embedding", async () => {
      const [V, C, N] = [11, 5, 17];
      const table = randn(V * C, 18), ids = randint(N, V, 19), dy = randn(N * C, 20);
      const W = leaf(table, [V, C]);
      const [y, dw] = await run([W], () => embedding(W, Tensor.from(ids)), dy);
      return Math.max(err(y!, ref.embedding.embeddingForward(table, ids, V, C)), err(dw!, ref.embedding.embeddingBackward(dy, ids, V, C)));
    }],
    ["cross-entropy (weighted)", async () => {
      const [N, V] = [7, 29];
      const logits = randn(N * V, 21, 3), targets = randint(N, V, 22), w = Float32Array.from({ length: N }, (_, i) => i % 3);
      const L = leaf(logits, [N, V]);
      const [loss, dl] = await run([L], () => crossEntropy(L, Tensor.from(targets), Tensor.from(w)), new Float32Array([1]));
      return Math.max(
        err(loss!, [ref.crossentropy.crossEntropyForward(logits, targets, w, N, V)]),
        err(dl!, ref.crossentropy.crossEntropyBackward(logits, targets, w, N, V)),
      );
    }],
  ];
  const rows: CheckRow[] = [];
  for (const [op, check] of checks) {
    const error = await scope(check);
    rows.push({ op, error, ok: error <= TOLERANCE });
  }
  return rows;
}
