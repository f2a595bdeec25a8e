import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { backward } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { initRuntime, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";
import { expectClose, f64, numericGrad, randn } from "../testing.ts";
import { linearBackwardRef, linearRef, matmulBackwardRef, matmulRef, type MatmulRefShape } from "../reference/matmul.ts";
import { linear } from "./linear.ts";
import { matmul, matmulForward, type MatmulVariant } from "./matmul.ts";

// A texture-kernel pipeline takes seconds to compile on llvmpipe when the cores are busy, and each test
// may meet several new specialisations (load forms, workgroup sizes): 5 s was not always enough.
setDefaultTimeout(30_000);

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

const RTOL = 1e-4;
// With unit-variance inputs an output is a sum of K unit-variance products, so its typical size is
// sqrt(K); cancellation can leave single elements near 0, where a relative bound alone is meaningless.
// The absolute bound is therefore the same 1e-4 relative to that typical size: 1e-4 · sqrt(K).
const atolFor = (K: number) => 1e-4 * Math.sqrt(Math.max(K, 1));

interface Case extends MatmulRefShape {
  /** Operands (unless shared) and C carry a leading batch axis Z; false: a plain 2-D product. */
  batched: boolean;
}

function shapes(c: Case): { a: number[]; b: number[]; c: number[] } {
  const { Z, M, K, N } = c;
  const a = c.transA ? [K, M] : [M, K];
  const b = c.transB ? [N, K] : [K, N];
  return {
    a: c.batched && !c.aShared ? [Z, ...a] : a,
    b: c.batched && !c.bShared ? [Z, ...b] : b,
    c: c.batched ? [Z, M, N] : [M, N],
  };
}

async function checkMatmul(c: Case, variant: MatmulVariant, seed: number): Promise<void> {
  const s = shapes(c);
  const aData = randn(s.a.reduce((x, y) => x * y, 1), seed);
  const bData = randn(s.b.reduce((x, y) => x * y, 1), seed + 1);
  const gData = randn(s.c.reduce((x, y) => x * y, 1), seed + 2);
  const a = Tensor.from(aData, s.a);
  const b = Tensor.from(bData, s.b);
  a.requiresGrad = b.requiresGrad = true;
  const out = matmul(a, b, { transA: c.transA, transB: c.transB, variant });
  expect(out.shape).toEqual(s.c);
  const ref: MatmulRefShape = { ...c, Z: c.batched ? c.Z : 1 };
  expectClose(await out.read(), matmulRef(aData, bData, ref), RTOL, atolFor(c.K), "C");
  backward(out, Tensor.from(gData, s.c));
  const { dA, dB } = matmulBackwardRef(aData, bData, gData, ref);
  // dA contracts over N, dB over M (and the batch when b is shared).
  expectClose(await a.grad!.read(), dA, RTOL, atolFor(c.N), "dA");
  expectClose(await b.grad!.read(), dB, RTOL, atolFor(c.M * (c.bShared ? c.Z : 1)), "dB");
  for (const t of [a, b, out]) t.dispose();
}

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

for (const variant of ["naive", "tiled", "texture"] as const) {
  describe(`matmul, ${variant} kernel`, () => {
    const sizes: [number, number, number][] = [
      [1, 1, 1],
      [7, 13, 5],
      [33, 65, 17],
      [130, 67, 200],
      [1, 64, 50], // M = 1: one token (T = 1) through a layer
    ];
    for (const [M, K, N] of sizes) {
      test(`${M}×${K}×${N} forward and both gradients`, async () => {
        await checkMatmul({ Z: 1, M, K, N, batched: false }, variant, M * 7 + K);
      });
    }
    for (const [transA, transB] of TRANSPOSES) {
      test(`33×65×17 transA=${transA} transB=${transB}`, async () => {
        await checkMatmul({ Z: 1, M: 33, K: 65, N: 17, transA, transB, batched: false }, variant, 11);
      });
      test(`batched 3×(17×31×9) transA=${transA} transB=${transB}`, async () => {
        await checkMatmul({ Z: 3, M: 17, K: 31, N: 9, transA, transB, batched: true }, variant, 12);
      });
      test(`batched a 3×(17×31×9) with a broadcast 2-D b, transA=${transA} transB=${transB}`, async () => {
        await checkMatmul({ Z: 3, M: 17, K: 31, N: 9, transA, transB, bShared: true, batched: true }, variant, 13);
      });
    }
    // Multiples of 4 take the texture kernel's vec4 paths (op(A) rows or, transposed, columns; packed B;
    // C stores); K = 67 leaves a partial block of 4 along K in the transposed-column load.
    test("aligned shapes: 36×68×20, transA 36×67×20, transA+transB, batched transA 2×(12×16×8)", async () => {
      await checkMatmul({ Z: 1, M: 36, K: 68, N: 20, batched: false }, variant, 14);
      await checkMatmul({ Z: 1, M: 36, K: 67, N: 20, transA: true, batched: false }, variant, 15);
      await checkMatmul({ Z: 1, M: 36, K: 68, N: 20, transA: true, transB: true, batched: false }, variant, 16);
      await checkMatmul({ Z: 2, M: 12, K: 16, N: 8, transA: true, batched: true }, variant, 17);
      await checkMatmul({ Z: 2, M: 12, K: 16, N: 8, transA: true, bShared: true, batched: true }, variant, 18);
    });
    // The texture kernel copies an operand into its texture as it is when its rows allow (N a multiple
    // of 64 for op(B), op(A)'s memory rows a multiple of 64 wide), else packs it, or (op(A) with K not a
    // multiple of 4) reads op(A) from its buffer: 36×64×64 copies both, 36×68×64 packs op(A), 64×36×64
    // transA copies op(A)ᵀ's rows, 8×4×128 packs a 4-wide op(A), 36×67×64 and transB pack op(B).
    test("operands copied or packed into textures: 36×64×64, 36×68×64, transA 64×36×64, 8×4×128, 36×67×64, transB", async () => {
      await checkMatmul({ Z: 1, M: 36, K: 64, N: 64, batched: false }, variant, 19);
      await checkMatmul({ Z: 1, M: 36, K: 68, N: 64, batched: false }, variant, 20);
      await checkMatmul({ Z: 1, M: 64, K: 36, N: 64, transA: true, batched: false }, variant, 21);
      await checkMatmul({ Z: 1, M: 8, K: 4, N: 128, batched: false }, variant, 22);
      await checkMatmul({ Z: 1, M: 36, K: 67, N: 64, batched: false }, variant, 23);
      await checkMatmul({ Z: 1, M: 36, K: 68, N: 64, transB: true, batched: false }, variant, 24);
      if (variant === "texture") {
        // A copy replaces a pack dispatch: one dispatch when both operands are copied, two otherwise.
        const dispatches = (K: number) => {
          const [a, b] = [Tensor.zeros([36, K]), Tensor.zeros([K, 64])];
          runtime().poison = false; // poisoning the output would add a fill dispatch
          const before = runtime().stats.dispatches;
          matmulForward(a, b, { variant }).dispose();
          const n = runtime().stats.dispatches - before;
          runtime().poison = true;
          a.dispose();
          b.dispose();
          return n;
        };
        expect([dispatches(64), dispatches(68), dispatches(67)]).toEqual([1, 2, 2]);
      }
    });
    test("linear with and without bias, (B, T, Cin) input and T = 1", async () => {
      const cases = [[2, 5, 19, 23, true], [2, 5, 19, 23, false], [3, 1, 16, 8, true], [2, 5, 24, 20, true]] as const;
      for (const [B, T, Cin, Cout, withBias] of cases) {
        const rows = B * T;
        const [xd, wd, bd, gd] = [randn(rows * Cin, 1), randn(Cin * Cout, 2), randn(Cout, 3), randn(rows * Cout, 4)];
        const x = Tensor.from(xd, [B, T, Cin]);
        const w = Tensor.from(wd, [Cin, Cout]);
        const bias = withBias ? Tensor.from(bd, [Cout]) : null;
        for (const t of [x, w, bias]) if (t) t.requiresGrad = true;
        const y = linear(x, w, bias, variant);
        expect(y.shape).toEqual([B, T, Cout]);
        expectClose(await y.read(), linearRef(xd, wd, withBias ? bd : null, rows, Cin, Cout), RTOL, atolFor(Cin), "y");
        backward(y, Tensor.from(gd, [B, T, Cout]));
        const ref = linearBackwardRef(xd, wd, gd, rows, Cin, Cout);
        expectClose(await x.grad!.read(), ref.dx, RTOL, atolFor(Cout), "dx");
        expectClose(await w.grad!.read(), ref.dw, RTOL, atolFor(rows), "dw");
        if (bias) expectClose(await bias.grad!.read(), ref.dbias, RTOL, atolFor(rows), "dbias");
      }
    });
  });
}

test("texture kernel: operands beyond the 4096 texture limit are chunked (K > 4096, N/4 > 4096)", async () => {
  // [4, 4100, 8]: aligned, so the later K range accumulates through the vec4 store; transA: column loads.
  for (const [M, K, N, transA] of [[3, 4103, 5, false], [2, 3, 16390, false], [4, 4100, 8, false], [8, 4100, 12, true]] as const) {
    const [ad, bd] = [randn(M * K, 21), randn(K * N, 22)];
    const c = matmulForward(Tensor.from(ad, transA ? [K, M] : [M, K]), Tensor.from(bd, [K, N]), { variant: "texture", transA });
    expectClose(await c.read(), matmulRef(ad, bd, { Z: 1, M, K, N, transA }), RTOL, atolFor(K), `C ${M}×${K}×${N}`);
  }
});

test("reference backward matches finite differences (batched, shared b, transposes)", () => {
  for (const [transA, transB] of TRANSPOSES) {
    const s: MatmulRefShape = { Z: 2, M: 3, K: 4, N: 2, transA, transB, bShared: true };
    const a = f64(randn(2 * 3 * 4, 31));
    const b = f64(randn(4 * 2, 32));
    const w = randn(2 * 3 * 2, 33); // loss = Σ w ⊙ C, so dC = w
    const loss = (aa: Float64Array, bb: Float64Array) => matmulRef(aa, bb, s).reduce((acc, v, i) => acc + v * w[i]!, 0);
    const { dA, dB } = matmulBackwardRef(a, b, w, s);
    expectClose(dA, numericGrad((x) => loss(x, b), a), 1e-6, 1e-7, "dA");
    expectClose(dB, numericGrad((x) => loss(a, x), b), 1e-6, 1e-7, "dB");
  }
  const [x, wt, bias, gy] = [f64(randn(6, 41)), f64(randn(6, 42)), f64(randn(2, 43)), randn(6, 44)];
  const loss = (xx: Float64Array, ww: Float64Array, bb: Float64Array) => linearRef(xx, ww, bb, 2, 3, 2).reduce((acc, v, i) => acc + v * gy[i % 4]! * (i < 4 ? 1 : 0), 0);
  const g4 = Float64Array.from({ length: 4 }, (_, i) => gy[i]!);
  const ref = linearBackwardRef(x, wt, g4, 2, 3, 2);
  expectClose(ref.dx, numericGrad((v) => loss(v, wt, bias), x), 1e-6, 1e-7, "dx");
  expectClose(ref.dw, numericGrad((v) => loss(x, v, bias), wt), 1e-6, 1e-7, "dw");
  expectClose(ref.dbias, numericGrad((v) => loss(x, wt, v), bias), 1e-6, 1e-7, "dbias");
});

test("mismatched inner dimensions throw a ShapeError naming both shapes", () => {
  const a = Tensor.zeros([4, 5]);
  const b = Tensor.zeros([6, 3]);
  expect(() => matmul(a, b)).toThrow(ShapeError);
  expect(() => matmul(a, b)).toThrow(/\[4, 5\] and \[6, 3\]/);
  expect(() => matmul(Tensor.zeros([2, 4, 5]), Tensor.zeros([3, 5, 3]))).toThrow(/\[2, 4, 5\] and \[3, 5, 3\]/);
  expect(() => linear(Tensor.zeros([2, 7]), Tensor.zeros([6, 3]))).toThrow(/\[2, 7\] and \[6, 3\]/);
});
