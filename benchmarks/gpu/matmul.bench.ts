/**
 * matmul benchmark: GFLOP/s (2·Z·M·K·N / median seconds) of every matmul kernel on this adapter, plus a
 * single-threaded plain-TS loop for scale. Shapes (M×K×N): 1024³; 4096×768×768, a GPT-2 linear at
 * B·T = 4096; 12×(256×64×256), attention-shaped (B·NH heads of T×HS · HS×T). GPU timings include the
 * texture kernel's pack pass and end with `runtime().sync()`; 1 warm-up then REPS timed runs, median.
 * Then "GPT training shapes": every matmul of a training step (see gptShapes) for the tiny model (B·T = 2048,
 * C = 128) and a C = 384 one (B·T = 1024), the default kernel against naive. A step records all its
 * dispatches and syncs once, so there each timed sample records GPT_CALLS products of the default kernel
 * before one sync (naive: one, its time dwarfs the sync).
 * Besides wall-clock GFLOP/s each row gives "cpu GF/s": FLOPs over (this process's CPU time / cores), what
 * the kernel would reach with every core to itself, assuming none idles. On shared cores wall-clock
 * figures mostly measure the other processes; compare cpu GF/s there, and still only within one run.
 * Usage: cd packages/gpu && EGL_PLATFORM=surfaceless bun ../../benchmarks/gpu/matmul.bench.ts [--gpt] [--json]
 * (--gpt: only the GPT training shapes). Rerun before trusting a difference under ~20%.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { defaultVariant, initRuntime, matmulForward, runtime, Tensor, type MatmulVariant } from "@forno/gpu";

const REPS = 3;
const GPT_CALLS = 3;
const VARIANTS: MatmulVariant[] = ["texture", "tiled", "naive"];

interface Shape {
  name: string;
  Z: number;
  M: number;
  K: number;
  N: number;
  transA?: boolean;
  transB?: boolean;
}

const SHAPES: Shape[] = [
  { name: "1024x1024x1024", Z: 1, M: 1024, K: 1024, N: 1024 },
  { name: "4096x768x768 (GPT-2 linear)", Z: 1, M: 4096, K: 768, N: 768 },
  { name: "12x(256x64x256) (attention)", Z: 12, M: 256, K: 64, N: 256 },
];

/**
 * The matmuls of one GPT training step, per linear layer x (N, Cin)·W (Cin, Cout): forward x·W, dX = dY·Wᵀ
 * (transB) and dW = Xᵀ·dY (transA, the reduction over the N = B·T rows); and the tied head x·wteᵀ with its
 * two gradients. N rows, C channels, V = 512.
 */
function gptShapes(model: string, N: number, C: number, V: number): Shape[] {
  const layers: [string, number, number][] = [["c_attn", C, 3 * C], ["c_proj", C, C], ["c_fc", C, 4 * C], ["mlp.c_proj", 4 * C, C]];
  const out: Shape[] = [];
  for (const [name, Cin, Cout] of layers) {
    out.push({ name: `${model} ${name} fwd`, Z: 1, M: N, K: Cin, N: Cout });
    out.push({ name: `${model} ${name} dX`, Z: 1, M: N, K: Cout, N: Cin, transB: true });
    out.push({ name: `${model} ${name} dW`, Z: 1, M: Cin, K: N, N: Cout, transA: true });
  }
  out.push({ name: `${model} head fwd`, Z: 1, M: N, K: C, N: V, transB: true });
  out.push({ name: `${model} head dX`, Z: 1, M: N, K: V, N: C });
  out.push({ name: `${model} head dW`, Z: 1, M: V, K: N, N: C, transA: true });
  return out;
}

const GPT_SHAPES: Shape[] = [...gptShapes("tiny N2048 C128", 2048, 128, 512), ...gptShapes("N1024 C384", 1024, 384, 512)];

/** Plain TS runs on this smaller cube (a 1024³ triple loop takes over a second per rep). */
const TS_SIZE = 256;

interface Row {
  shape: string;
  kernel: string;
  chosen: boolean;
  medianMs: number;
  gflops: number;
  cpuGflops: number;
  note?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function filled(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.37 + seed);
  return Tensor.from(data, shape);
}

/** Median ms per product (wall clock, and process CPU time) over REPS samples of `calls` products + one sync. */
async function timeGpu(s: Shape, variant: MatmulVariant, calls = 1): Promise<{ ms: number; cpuMs: number }> {
  const aShape = s.transA ? [s.K, s.M] : [s.M, s.K];
  const bShape = s.transB ? [s.N, s.K] : [s.K, s.N];
  const a = filled(s.Z > 1 ? [s.Z, ...aShape] : aShape, 1);
  const b = filled(s.Z > 1 ? [s.Z, ...bShape] : bShape, 2);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let r = 0; r <= REPS; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) matmulForward(a, b, { variant, transA: s.transA, transB: s.transB }).dispose();
    await runtime().sync();
    if (r === 0) continue;
    times.push((performance.now() - t0) / calls);
    const cpu = process.cpuUsage(cpu0);
    cpuTimes.push((cpu.user + cpu.system) / 1000 / calls);
  }
  a.dispose();
  b.dispose();
  return { ms: median(times), cpuMs: median(cpuTimes) };
}

/** Single-threaded i-k-j loop over Float32Arrays (the order that streams rows of b and c). */
function timePlainTs(S: number): number {
  const a = new Float32Array(S * S).map((_, i) => Math.sin(i));
  const b = new Float32Array(S * S).map((_, i) => Math.cos(i));
  const times: number[] = [];
  for (let r = 0; r <= REPS; r++) {
    const c = new Float32Array(S * S);
    const t0 = performance.now();
    for (let i = 0; i < S; i++) {
      for (let k = 0; k < S; k++) {
        const aik = a[i * S + k]!;
        for (let j = 0; j < S; j++) c[i * S + j] += aik * b[k * S + j]!;
      }
    }
    if (r > 0) times.push(performance.now() - t0);
  }
  return median(times);
}

function cpuModel(): string {
  const m = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
  return m?.[1]?.trim() ?? "unknown";
}

const rt = await initRuntime();
const chosen = defaultVariant();
const rows: Row[] = [];
const cores = cpus().length;
async function measure(s: Shape, v: MatmulVariant, calls = 1): Promise<void> {
  const flop = 2 * s.Z * s.M * s.K * s.N;
  const { ms, cpuMs } = await timeGpu(s, v, calls);
  const shape = `${s.name} ${s.M}x${s.K}x${s.N}`;
  rows.push({ shape, kernel: v, chosen: v === chosen, medianMs: ms, gflops: flop / ms / 1e6, cpuGflops: flop / (cpuMs / cores) / 1e6 });
}
for (const s of process.argv.includes("--gpt") ? [] : SHAPES) for (const v of VARIANTS) await measure(s, v);
for (const s of GPT_SHAPES) for (const v of new Set<MatmulVariant>([chosen, "naive"])) await measure(s, v, v === "naive" ? 1 : GPT_CALLS);
const tsMs = timePlainTs(TS_SIZE);
const tsGflops = (2 * TS_SIZE ** 3) / tsMs / 1e6;
rows.push({ shape: `${TS_SIZE}x${TS_SIZE}x${TS_SIZE}`, kernel: "plain TS (1 thread)", chosen: false, medianMs: tsMs, gflops: tsGflops, cpuGflops: tsGflops * cores, note: "CPU loop, smaller cube" });

const env = { device: rt.info, cpu: cpuModel(), cores, bun: Bun.version, reps: REPS, gptCalls: GPT_CALLS, statistic: "median", loadavg: loadavg() };
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ ...env, rows }, null, 2));
} else {
  console.log(`device: ${rt.info.description} (${rt.info.backend}, ${rt.info.featureLevel}${rt.info.isCpu ? ", CPU" : ""})`);
  console.log(`cpu: ${env.cpu}, ${env.cores} cores; bun ${env.bun}; median of ${REPS} after 1 warm-up; * = default kernel here`);
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(" ")} at the end`);
  console.log(`${"shape (M×K×N)".padEnd(44)} ${"kernel".padEnd(20)} ${"ms".padStart(9)} ${"GFLOP/s".padStart(8)} ${"cpu GF/s".padStart(8)}`);
  for (const r of rows) {
    const cols = [r.medianMs.toFixed(1).padStart(9), r.gflops.toFixed(2).padStart(8), r.cpuGflops.toFixed(2).padStart(8)];
    console.log(`${r.shape.padEnd(44)} ${(r.kernel + (r.chosen ? " *" : "")).padEnd(20)} ${cols.join(" ")}${r.note ? `  (${r.note})` : ""}`);
  }
}
// Exit when run alone; under all.ts, leave the process to the benchmarks after this one.
if (import.meta.main) process.exit(0);
