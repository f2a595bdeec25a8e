/**
 * Throughput of the row-wise and elementwise kernels a transformer block spends its non-matmul time in:
 * LayerNorm forward and backward, softmax forward and backward, GELU forward and backward, at a GPT-2
 * small activation (B·T = 4096, C = 768) and an attention-row-sized one (2048, 128). Each GPU figure is
 * the median of batches of dispatches recorded back to back and synced once; beside it, the float64
 * plain-TS reference on the same data in the same run. GB/s counts the bytes an op must move at least
 * (each input read once, each output written once).
 */
import { geluBackward, geluForward, initRuntime, layerNormBackward, layerNormForward, runtime, scope, softmaxBackward, softmaxForward, Tensor } from "@forno/gpu";
import * as ref from "@forno/gpu/reference";
import { randn } from "@forno/gpu/testing";
import { machine, report, timeMs, type Row } from "../harness.ts";

const SHAPES: [number, number][] = [[4096, 768], [2048, 128]];
/** Dispatches per timed batch: enough that the single submit and wait are a small share. */
const BATCH = 10;

const rt = await initRuntime();

interface Case {
  op: string;
  /** Bytes the op must move: f32 elements read plus written. */
  bytes: number;
  gpu: () => void;
  reference: () => unknown;
}

async function gpuMs(run: () => void): Promise<number> {
  const batch = await timeMs(async () => {
    await scope(async () => {
      for (let i = 0; i < BATCH; i++) run();
      await rt.sync();
    });
  }, 5);
  return batch / BATCH;
}

const rows: Row[] = [];
for (const [N, C] of SHAPES) {
  const xs = randn(N * C, 1, 2);
  const gs = randn(N * C, 2);
  const ws = randn(C, 3);
  const bs = randn(C, 4);
  const [x, dy, w, b] = [Tensor.from(xs, [N, C]), Tensor.from(gs, [N, C]), Tensor.from(ws), Tensor.from(bs)];
  const { out: ln, mean, rstd } = layerNormForward(x, w, b);
  const y = softmaxForward(x);
  const lnRef = ref.layernorm.layerNormForward(xs, ws, bs, N, C);
  const yRef = ref.softmax.softmaxForward(xs, N, C);
  const big = N * C * 4;
  const cases: Case[] = [
    { op: "layerNorm forward", bytes: 2 * big + 8 * (C + N), gpu: () => layerNormForward(x, w, b), reference: () => ref.layernorm.layerNormForward(xs, ws, bs, N, C) },
    { op: "layerNorm backward", bytes: 3 * big + 8 * (N + C) + 4 * C, gpu: () => layerNormBackward(dy, x, w, { mean, rstd }), reference: () => ref.layernorm.layerNormBackward(gs, xs, ws, lnRef.mean, lnRef.rstd, N, C) },
    { op: "softmax forward", bytes: 2 * big, gpu: () => softmaxForward(x), reference: () => ref.softmax.softmaxForward(xs, N, C) },
    { op: "softmax backward", bytes: 3 * big, gpu: () => softmaxBackward(dy, y), reference: () => ref.softmax.softmaxBackward(gs, yRef, N, C) },
    { op: "gelu forward", bytes: 2 * big, gpu: () => geluForward(x), reference: () => ref.gelu.geluForward(xs) },
    { op: "gelu backward", bytes: 3 * big, gpu: () => geluBackward(dy, x), reference: () => ref.gelu.geluBackward(gs, xs) },
  ];
  for (const c of cases) {
    const gpu = await gpuMs(c.gpu);
    const cpu = await timeMs(c.reference, 3);
    rows.push({
      op: c.op,
      "B·T × C": `${N} × ${C}`,
      "gpu ms": gpu,
      "gpu GB/s": c.bytes / (gpu * 1e6),
      "gpu Mrows/s": N / (gpu * 1e3),
      "ref ms": cpu,
      "ref Mrows/s": N / (cpu * 1e3),
      "gpu speedup": cpu / gpu,
    });
  }
  for (const t of [x, dy, w, b, ln, mean, rstd, y]) t.dispose();
}

report("gpu norm, softmax and gelu kernels vs the float64 TS reference", machine(runtime().info), rows);
