/**
 * Fused causal self-attention: forward and forward+backward time, GFLOP/s and tokens/s for the tiny GPT's
 * shape and a larger one, next to the naive float64 TypeScript reference (materialised scores) run on the
 * same shapes in the same process. FLOPs count only the useful causal half: forward q·k and P·v, 2 flops
 * per multiply-add; backward recomputes the scores and does four more products, 2.5× the forward.
 */
import { attentionBackward, attentionForward, initRuntime, runtime, Tensor } from "@forno/gpu";
import { attention as ref } from "@forno/gpu/reference";
import { randn } from "@forno/gpu/testing";
import { loadavg } from "node:os";
import { machine, report, timeMs, type Row } from "../harness.ts";

const rt = await initRuntime();
const shapes = [
  { name: "tiny GPT", B: 16, T: 128, C: 128, NH: 4 },
  { name: "B4 T256 C384", B: 4, T: 256, C: 384, NH: 6 },
];

// Both kernel variants on whatever adapter this is: the op picks "rows" on CPU adapters for heads of up to 64
// channels (the only ones it compiles for), "tiled" otherwise.
const ROWS_MAX_HS = 64;
const rows: Row[] = [];
for (const { name, B, T, C, NH } of shapes) {
  const fwdFlops = 2 * 2 * B * ((T * (T + 1)) / 2) * C;
  const bothFlops = 3.5 * fwdFlops;
  const shape = `${name} (B=${B} T=${T} C=${C} NH=${NH})`;
  const row = (impl: string, pass: string, ms: number, flops: number): Row => ({
    shape,
    impl,
    pass,
    ms,
    "GFLOP/s": flops / (ms * 1e6),
    "tokens/s": (B * T) / (ms / 1000),
    // Other jobs share the cores: the 1-minute load average when the row was measured.
    load: loadavg()[0]!,
  });

  const qkvData = randn(B * T * 3 * C, 1);
  const dyData = randn(B * T * C, 2);
  const qkv = Tensor.from(qkvData, [B, T, 3 * C]);
  const dy = Tensor.from(dyData, [B, T, C]);
  for (const variant of C / NH <= ROWS_MAX_HS ? (["tiled", "rows"] as const) : (["tiled"] as const)) {
    const fwd = await timeMs(async () => {
      const { y, lse } = attentionForward(qkv, NH, variant);
      await rt.sync();
      y.dispose();
      lse.dispose();
    }, 5, 2);
    const both = await timeMs(async () => {
      const { y, lse } = attentionForward(qkv, NH, variant);
      const dqkv = attentionBackward(dy, qkv, y, lse, NH, variant);
      await rt.sync();
      for (const t of [y, lse, dqkv]) t.dispose();
    }, 5, 2);
    rows.push(row(`fused WGSL ${variant}`, "forward", fwd, fwdFlops), row(`fused WGSL ${variant}`, "forward+backward", both, bothFlops));
  }

  // The reference is slow enough that one run is a stable measurement.
  const refFwd = await timeMs(() => ref.attentionForwardRef(qkvData, B, T, C, NH), 1, 0);
  const refBwd = await timeMs(() => ref.attentionBackwardRef(dyData, qkvData, B, T, C, NH), 1, 0);
  rows.push(row("naive TS float64", "forward", refFwd, fwdFlops), row("naive TS float64", "forward+backward", refFwd + refBwd, bothFlops));
  qkv.dispose();
  dy.dispose();
}

report("fused causal self-attention", machine(runtime().info), rows);
if (import.meta.main) process.exit(0);
