import { beforeAll, expect, test } from "bun:test";
import { backward } from "../autograd.ts";
import { DtypeError, ShapeError } from "../errors.ts";
import { embeddingBackward as refBackward, embeddingForward as refForward } from "../reference/embedding.ts";
import { bindingChunks, initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, randint, randn } from "../testing.ts";
import { embedding, embeddingBackward, embeddingForward } from "./embedding.ts";

// The forward is a copy (exact). The backward sums f32 rows in ascending position order where the
// reference sums in float64: rel 1e-4, with an atol for sums that cancel to ~0.
const RTOL = 1e-4;
const ATOL = 1e-5;

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

/** Forward and backward through autograd; `hostIds` selects the CPU-sorted index. Returns out and dTable. */
async function run(table: Float32Array, V: number, C: number, ids: Int32Array, idsShape: number[], dOut: Float32Array, hostIds?: Int32Array) {
  const t = Tensor.from(table, [V, C]);
  t.requiresGrad = true;
  const out = embedding(t, Tensor.from(ids, idsShape), hostIds);
  expect(out.shape).toEqual([...idsShape, C]);
  backward(out, Tensor.from(dOut, out.shape));
  const [o, d] = await Promise.all([out.read(), t.grad!.read()]);
  return { out: o as Float32Array, dTable: d as Float32Array };
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

test("forward and backward match the reference: (B, T) ids with repeats, 0 and V-1, both index paths", async () => {
  const V = 37;
  const C = 19;
  const ids = randint(3 * 7, 12, 1); // many repeats; tokens 12..36 absent (zero gradient rows)
  ids.set([0, V - 1, V - 1, 0], 5);
  const table = randn(V * C, 2);
  const dOut = randn(ids.length * C, 3);
  const wantOut = refForward(table, ids, V, C);
  const wantGrad = refBackward(dOut, ids, V, C);
  for (const hostIds of [undefined, ids]) {
    const { out, dTable } = await run(table, V, C, ids, [3, 7], dOut, hostIds);
    expectClose(out, wantOut, 0, 0, "out");
    expectClose(dTable, wantGrad, RTOL, ATOL, hostIds ? "dTable (host index)" : "dTable (GPU index)");
  }
});

test("size-1 dims: V=1, C=1, N=1 and (1, 1) ids", async () => {
  const { out, dTable } = await run(new Float32Array([4.5]), 1, 1, new Int32Array([0]), [1, 1], new Float32Array([-2]));
  expect([...out]).toEqual([4.5]);
  expect([...dTable]).toEqual([-2]);
});

test("the backward is bit-identical across runs and across the GPU and host index paths", async () => {
  const V = 50257;
  const C = 8;
  const N = 2048;
  const ids = randint(N, 6, 4); // six tokens, ~340 repeats each: the atomic arrival order varies, the sums must not
  ids.set([0, V - 1, 50000, 50000], 100);
  const table = randn(V * C, 5, 0.02);
  const dOut = randn(N * C, 6);
  const first = (await run(table, V, C, ids, [N], dOut)).dTable;
  const second = (await run(table, V, C, ids, [N], dOut)).dTable;
  const host = (await run(table, V, C, ids, [N], dOut, ids)).dTable;
  expect(bits(second)).toEqual(bits(first));
  expect(bits(host)).toEqual(bits(first));
  expectClose(first, refBackward(dOut, ids, V, C), RTOL, ATOL, "dTable");
});

test("every position on one token (the rank pass's worst case) still sums in position order", async () => {
  const N = 1500;
  const ids = new Int32Array(N).fill(3);
  const dOut = randn(N * 2, 7);
  const { dTable } = await run(randn(5 * 2, 8), 5, 2, ids, [N], dOut);
  let want0 = Math.fround(0);
  for (let n = 0; n < N; n++) want0 = Math.fround(want0 + dOut[n * 2]!); // f32 sum in ascending n: exact match
  expect(dTable[6]).toBe(want0);
  expectClose(dTable, refBackward(dOut, ids, 5, 2), RTOL, ATOL, "dTable");
});

test("ids outside [0, V) read zero rows and send no gradient", async () => {
  const V = 6;
  const C = 5;
  const ids = new Int32Array([2, -1, 6, 2, 1000, 5]);
  const table = randn(V * C, 9);
  const dOut = randn(ids.length * C, 10);
  for (const hostIds of [undefined, ids]) {
    const { out, dTable } = await run(table, V, C, ids, [6], dOut, hostIds);
    expectClose(out, refForward(table, ids, V, C), 0, 0, "out");
    expectClose(dTable, refBackward(dOut, ids, V, C), RTOL, ATOL, "dTable");
  }
});

test("two uses of one table (wte as input embedding and tied projection) accumulate their gradients", async () => {
  const V = 11;
  const C = 4;
  const t = Tensor.from(randn(V * C, 11), [V, C]);
  t.requiresGrad = true;
  const idsA = randint(9, V, 12);
  const idsB = randint(5, V, 13);
  const dA = randn(9 * C, 14);
  const dB = randn(5 * C, 15);
  backward(embedding(t, Tensor.from(idsA)), Tensor.from(dA, [9, C]));
  backward(embedding(t, Tensor.from(idsB), idsB), Tensor.from(dB, [5, C]));
  const a = refBackward(dA, idsA, V, C);
  const b = refBackward(dB, idsB, V, C);
  expectClose(await t.grad!.read(), a.map((x, i) => x + b[i]!), RTOL, ATOL, "accumulated dTable");
});

test("a table over the storage-binding limit is read and written in row ranges", async () => {
  const limits = runtime().device.limits;
  const C = 1024;
  const chunk = bindingChunks(1 << 30, C * 4)[0]!.count;
  const V = chunk + 2;
  if (V * C * 4 > 160 * 2 ** 20) return; // only where the limit is small enough to afford a real run (llvmpipe: 128 MiB)
  expect(V * C * 4).toBeGreaterThan(limits.maxStorageBufferBindingSize);
  const rt = runtime();
  rt.poison = false; // the poison fill binds a whole tensor, which is what does not fit here
  try {
    // Only the rows the ids read are uploaded (uploading 134 MB is slow here); row v holds the value v.
    const table = Tensor.empty([V, C]);
    for (const v of [0, chunk - 1, chunk, chunk + 1]) rt.upload(new Float32Array(C).fill(v), table.buffer, v * C * 4);
    const ids = new Int32Array([chunk, 0, -1, chunk - 1, chunk + 1, chunk, V]);
    const out = await embeddingForward(table, Tensor.from(ids)).read();
    expect([...out.filter((_, i) => i % C === 0)]).toEqual([chunk, 0, 0, chunk - 1, chunk + 1, chunk, 0]);
    const dOut = randn(ids.length * C, 16);
    const dTable = embeddingBackward(Tensor.from(dOut, [ids.length, C]), Tensor.from(ids), V, ids);
    const want = refBackward(dOut, ids, V, C);
    for (const v of [0, 1, chunk - 1, chunk, chunk + 1]) {
      const row = new Float32Array(await rt.read(dTable.buffer, v * C * 4, C * 4));
      expectClose(row, want.subarray(v * C, (v + 1) * C), RTOL, ATOL, `dTable row ${v}`);
    }
  } finally {
    rt.poison = true;
  }
}, 15_000);

test("wrong dtypes and shapes throw typed errors naming them", () => {
  const table = Tensor.zeros([10, 4]);
  expect(() => embedding(table, Tensor.zeros([3]))).toThrow(DtypeError);
  expect(() => embedding(table, Tensor.zeros([3]))).toThrow(/ids must be i32.*got f32/);
  expect(() => embedding(Tensor.zeros([40]), Tensor.zeros([3], "i32"))).toThrow(ShapeError);
  expect(() => embedding(table, Tensor.zeros([3], "i32"), new Int32Array(4))).toThrow(/\[3\] and \[4\]/);
  expect(() => embeddingBackward(Tensor.zeros([3, 5]), Tensor.zeros([2], "i32"), 10)).toThrow(ShapeError);
});
