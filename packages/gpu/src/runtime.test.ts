import { beforeAll, expect, test } from "bun:test";
import { KernelError, ShapeError } from "./errors.ts";
import { initRuntime, runtime } from "./runtime.ts";
import { scope, Tensor } from "./tensor.ts";
import { axpyInPlace } from "./autograd.ts";

beforeAll(async () => {
  await initRuntime();
});

test("upload and read back each dtype", async () => {
  const f = Tensor.from(new Float32Array([1.5, -2, 3e-8, Infinity]));
  const i = Tensor.from(new Int32Array([-7, 0, 2147483647]));
  const u = Tensor.from(new Uint32Array([4294967295, 1]), [2, 1]);
  expect([...(await f.read())]).toEqual([1.5, -2, Math.fround(3e-8), Infinity]);
  expect([...(await i.read())]).toEqual([-7, 0, 2147483647]);
  expect([...(await u.read())]).toEqual([4294967295, 1]);
  expect(u.shape).toEqual([2, 1]);
});

test("uploads are ordered with recorded kernels, even when a pooled buffer is reused", async () => {
  const a = Tensor.from(new Float32Array(1000).fill(1));
  const b = Tensor.from(new Float32Array(1000).fill(2));
  axpyInPlace(b, a, 3); // b = 5, recorded but not submitted
  const firstRead = b.read();
  a.dispose();
  const c = Tensor.from(new Float32Array(1000).fill(100)); // likely reuses a's buffer
  axpyInPlace(c, b, 1);
  const [b1, c1] = await Promise.all([firstRead, c.read()]);
  expect(b1.every((v) => v === 5)).toBe(true);
  expect(c1.every((v) => v === 105)).toBe(true);
});

test("full, zeros and a large fill that needs a 2-D grid", async () => {
  const n = 65535 * 256 + 1000;
  const t = Tensor.full([n], 2.5);
  const r = await t.read();
  expect(r[0]).toBe(2.5);
  expect(r[n - 1]).toBe(2.5);
  expect(r.every((v) => v === 2.5)).toBe(true);
  t.dispose();
  expect([...(await Tensor.zeros([3], "i32").read())]).toEqual([0, 0, 0]);
}, 30_000);

test("poison mode fills new tensors with NaN", async () => {
  runtime().poison = true;
  try {
    const t = Tensor.empty([5]);
    expect((await t.read()).every(Number.isNaN)).toBe(true);
  } finally {
    runtime().poison = false;
  }
});

test("scope disposes what it created except its result and kept tensors", () => {
  let inner!: Tensor, kept!: Tensor;
  const out = scope(() => {
    inner = Tensor.zeros([4]);
    kept = Tensor.zeros([4]).keep();
    return { t: Tensor.zeros([2]) };
  });
  expect(inner.isDisposed).toBe(true);
  expect(kept.isDisposed).toBe(false);
  expect(out.t.isDisposed).toBe(false);
  expect(() => inner.buffer).toThrow(/after dispose/);
});

test("a bad reshape names both shapes", () => {
  const t = Tensor.zeros([2, 3]);
  expect(() => t.reshape([4, 2])).toThrow(ShapeError);
  expect(() => t.reshape([4, 2])).toThrow(/\[2, 3\] and \[4, 2\]/);
  expect(t.reshape([3, -1]).shape).toEqual([3, 2]);
});

test("a validation error surfaces as a KernelError naming the kernel and the step", async () => {
  const rt = runtime();
  rt.step = "test step 7";
  const x = Tensor.zeros([8]);
  const i = Tensor.zeros([8], "i32");
  // axpy binds a read-write buffer; binding the same buffer twice read and read-write is invalid.
  rt.dispatch({ kernel: "axpy", defines: { E: "f32" }, bindings: [x, x], params: new Uint32Array([8, 0]), workgroups: 1 });
  let err: unknown;
  try {
    await i.read();
  } catch (e) {
    err = e;
  }
  rt.step = "setup";
  expect(err).toBeInstanceOf(KernelError);
  expect(String(err)).toContain("axpy");
  expect(String(err)).toContain("test step 7");
});

test("profiling times each kernel and leaves results unchanged", async () => {
  const rt = runtime();
  const x = Tensor.full([1000], 1);
  const y = Tensor.zeros([1000]);
  rt.startProfile();
  for (let i = 0; i < 5; i++) axpyInPlace(y, x, 2);
  const v = await y.read();
  const rows = await rt.stopProfile();
  expect(v[999]).toBe(10);
  const axpy = rows.find((r) => r.kernel === "axpy");
  expect(axpy?.dispatches).toBe(5);
  expect(axpy!.ms).toBeGreaterThan(0);
});

test("fill and axpy work on tensors larger than one storage binding", async () => {
  const rt = runtime();
  const n = rt.device.limits.maxStorageBufferBindingSize / 4 + 1000;
  const x = Tensor.full([n], 1.5);
  const y = Tensor.full([n], 2);
  axpyInPlace(y, x, 2);
  const v = await y.read();
  expect(v[0]).toBe(5);
  expect(v[n - 1]).toBe(5);
  expect(v.every((e) => e === 5)).toBe(true);
  x.dispose();
  y.dispose();
}, 60_000);
