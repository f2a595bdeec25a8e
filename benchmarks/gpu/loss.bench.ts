/**
 * The ends of a training step: fused cross-entropy forward + backward at a small vocabulary (N = 2048,
 * V = 512) and GPT-2's (N = 1024, V = 50,257: 206 MB of logits, bound in row chunks on adapters with a
 * 128 MiB binding limit), embedding forward + backward (B·T = 2048, V = 512, C = 128) with the sorted
 * index built on the GPU and on the host, and one AdamW step over 10M parameters, alone and after
 * clipGradNorm. Each GPU figure is the median of batches recorded back to back and synced once; beside
 * it, the float64 plain-TS reference on the same data in the same run. `--json` prints the same rows.
 */
import { AdamW, clipGradNorm, crossEntropyBackward, crossEntropyForward, embeddingBackward, embeddingForward, initRuntime, runtime, scope, Tensor } from "@forno/gpu";
import * as ref from "@forno/gpu/reference";
import { randint, randn } from "@forno/gpu/testing";
import { machine, report, timeMs, type Row } from "../harness.ts";

const rt = await initRuntime();

/** Median ms per run of `run`, recorded `batch` times per submit; also the dispatches one run records. */
async function gpuMs(run: () => void, batch: number): Promise<{ ms: number; dispatches: number }> {
  const before = rt.stats.dispatches;
  await scope(async () => {
    run();
    await rt.sync();
  });
  const dispatches = rt.stats.dispatches - before;
  const ms = await timeMs(async () => {
    await scope(async () => {
      for (let i = 0; i < batch; i++) run();
      await rt.sync();
    });
  }, 5);
  return { ms: ms / batch, dispatches };
}

const rows: Row[] = [];
async function bench(op: string, shape: string, gpu: () => void, reference: () => unknown, batch: number, refReps = 3): Promise<void> {
  const g = await gpuMs(gpu, batch);
  const cpu = await timeMs(reference, refReps, refReps > 1 ? 1 : 0);
  rows.push({ op, shape, "gpu ms": g.ms, dispatches: g.dispatches, "ref ms": cpu, "gpu speedup": cpu / g.ms });
}

for (const [N, V, batch, refReps] of [[2048, 512, 10, 3], [1024, 50257, 1, 1]] as const) {
  const xs = randn(N * V, 1, 2); // (N, V)
  const ts = randint(N, V, 2); // (N)
  await scope(async () => {
    const logits = Tensor.from(xs, [N, V]);
    const targets = Tensor.from(ts);
    const dLoss = Tensor.from([1]);
    await bench(
      "crossEntropy fwd+bwd",
      `N=${N} V=${V}`,
      () => {
        const { saved } = crossEntropyForward(logits, targets);
        crossEntropyBackward(logits, targets, undefined, saved, dLoss);
      },
      () => {
        ref.crossentropy.crossEntropyForward(xs, ts, null, N, V);
        ref.crossentropy.crossEntropyBackward(xs, ts, null, N, V);
      },
      batch,
      refReps,
    );
  });
}

{
  const [N, V, C] = [2048, 512, 128];
  const tableData = randn(V * C, 3, 0.02); // (V, C)
  const idData = randint(N, V, 4); // (N)
  const dOutData = randn(N * C, 5); // (N, C)
  await scope(async () => {
    const table = Tensor.from(tableData, [V, C]);
    const ids = Tensor.from(idData);
    const dOut = Tensor.from(dOutData, [N, C]);
    const reference = () => {
      ref.embedding.embeddingForward(tableData, idData, V, C);
      ref.embedding.embeddingBackward(dOutData, idData, V, C);
    };
    for (const [how, hostIds] of [["GPU index", undefined], ["host index", idData]] as const) {
      const gpu = () => {
        embeddingForward(table, ids);
        embeddingBackward(dOut, ids, V, hostIds);
      };
      await bench(`embedding fwd+bwd, ${how}`, `B·T=${N} V=${V} C=${C}`, gpu, reference, 10);
    }
  });
}

{
  const n = 10_000_000;
  const pData = randn(n, 6, 0.02);
  const gData = randn(n, 7, 0.01);
  const refState = { p: Float64Array.from(pData), m: new Float64Array(n), v: new Float64Array(n), step: 0 };
  const adamwReference = (gradScale: number) =>
    ref.adamw.adamwStep(refState.p, gData, refState.m, refState.v, { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: ++refState.step, gradScale });
  await scope(async () => {
    const p = Tensor.from(pData, [n / 1000, 1000]);
    p.grad = Tensor.from(gData, p.shape);
    const opt = new AdamW([p], { lr: 1e-3 });
    await bench("AdamW step", "10M params", () => opt.step(), () => adamwReference(1), 5);
    await bench(
      "clipGradNorm + AdamW step",
      "10M params",
      () => opt.step({ gradScale: clipGradNorm([p], 1.0).scale }),
      () => adamwReference(ref.adamw.gradNorm([gData], 1.0).scale),
      5,
    );
  });
}

report("gpu loss, embedding and optimizer kernels vs the float64 TS reference", machine(runtime().info), rows);
