/**
 * Pretraining throughput: tokens/s and achieved GFLOP/s of full training steps (forward, backward,
 * clipping, AdamW) for the `tiny` shape and a 6-layer, 384-wide, T 256 shape, each kernel's share of a
 * step (profiled), beside PyTorch 1.13's figures for the same shapes. PyTorch cannot be installed on
 * this machine (no PyPI), so its figures are the ones measured here on 2026-11-27 with nanoGPT's model
 * on the CPU (OpenBLAS, 2 threads), quoted from the project's issue, not re-measured in this run.
 */
import { AdamW, backward, clipGradNorm, initRuntime, randint, runtime, scope, Tensor, zeroGrad } from "@forno/gpu";
import { flopsPerToken, GPT, initParams, makeConfig, type GPTConfig } from "@forno/model";
import { machine, report, timeMs, type Row } from "../harness.ts";

const rt = await initRuntime();
const json = process.argv.includes("--json");

interface Shape {
  name: string;
  config: GPTConfig;
  B: number;
  T: number;
  /** PyTorch 1.13 tokens/s on this machine's CPU for the same shape (issue figures) */
  pytorch: string;
}

const shapes: Shape[] = [
  { name: "tiny (V512 L4 NH4 C128)", config: makeConfig("tiny"), B: 16, T: 128, pytorch: "12,400–13,900" },
  { name: "L6 NH6 C384 T256 (V512)", config: makeConfig("small", { vocabSize: 512 }), B: 4, T: 256, pytorch: "~1,180" },
];

const rows: Row[] = [];
const shares: Row[] = [];
for (const s of shapes) {
  const model = new GPT(s.config, initParams(s.config, 1));
  const params = model.parameters();
  const opt = new AdamW(params, { lr: 1e-3 });
  const idx = Tensor.from(randint(s.B * s.T, s.config.vocabSize, 1), [s.B, s.T]).keep();
  const tgt = Tensor.from(randint(s.B * s.T, s.config.vocabSize, 2), [s.B, s.T]).keep();
  const step = () =>
    scope(async () => {
      const out = model.forward(idx, tgt);
      backward(out.loss!);
      const clip = clipGradNorm(params, 1);
      opt.step({ gradScale: clip.scale });
      zeroGrad(params);
      return out.loss!.item();
    });
  const ms = await timeMs(step, 3, 2);
  const tokens = s.B * s.T;
  const tps = (tokens / ms) * 1000;
  const dispatches = rt.stats.dispatches;
  await step();
  rows.push({
    shape: s.name, "B×T": `${s.B}×${s.T}`, "ms/step": ms, "tokens/s": tps,
    "GFLOP/s": (flopsPerToken(s.config, s.T) * tps) / 1e9,
    dispatches: rt.stats.dispatches - dispatches,
    "PyTorch tokens/s": s.pytorch,
  });
  rt.startProfile();
  await step();
  const prof = await rt.stopProfile();
  const total = prof.reduce((a, r) => a + r.ms, 0);
  for (const r of prof.slice(0, 8)) shares.push({ shape: s.name, kernel: r.kernel, "ms/step": r.ms, share: `${((100 * r.ms) / total).toFixed(1)}%`, dispatches: r.dispatches });
}
const m = machine(rt.info);
report("pretraining throughput (full step: forward, backward, clip, AdamW)", m, rows);
if (!json) report("where a step's time goes (profiled: each dispatch awaited alone, top 8 kernels)", m, shares);
