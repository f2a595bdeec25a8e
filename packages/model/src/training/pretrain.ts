/**
 * The training loop shared by pretraining and SFT: next-token prediction on batches from a source (random
 * windows of a token dataset, or rendered conversations with per-token loss weights), with AdamW, warmup
 * and cosine decay, gradient accumulation and clipping, periodic validation, samples and checkpoints.
 * A run lives in one directory (metrics.jsonl, loss.svg, report.md, ckpt-NNNNNN/) and resumes from its
 * newest checkpoint bit for bit: the batch RNG's state and the optimizer's moments are in the checkpoint.
 * Each step is recorded in one scope and reads back once (loss and gradient norm together).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AdamW, axpyInPlace, backward, clipGradNorm, noGrad, runtime, scope, Tensor, zeroGrad } from "@forno/gpu";
import { checkpointName, latestCheckpoint, loadCheckpoint, saveCheckpoint, type TrainingState } from "../checkpoint.ts";
import type { GPTConfig } from "../config.ts";
import { GPT } from "../gpt.ts";
import { initParams } from "../init.ts";
import { Rng } from "../rng.ts";
import type { HostTensor } from "../safetensors.ts";
import type { TokenDataset } from "../token-dataset.ts";
import { lossPlotSvg } from "./loss-plot.ts";
import { learningRate } from "./schedule.ts";

export interface TrainSettings {
  steps: number;
  /** B: sequences per micro-batch */
  batchSize: number;
  /** T: tokens per sequence */
  seqLen: number;
  /** micro-batches per optimizer step */
  gradAccum: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  gradClip: number;
  /** validate every this many steps (and at the end) */
  evalEvery: number;
  /** batches averaged per validation */
  evalBatches: number;
  /** save a checkpoint every this many steps (and at the end) */
  checkpointEvery: number;
  seed: number;
}

export interface StepRecord {
  step: number;
  loss: number;
  valLoss?: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
}

/** B·T token ids and next-token targets; `weights` (B·T) scale each position's loss (0/1 masks for SFT). */
export interface TrainBatch {
  inputs: Int32Array;
  targets: Int32Array;
  weights?: Float32Array;
}

/** Where batches come from. `cursor`/`seek` make sequential sources resumable; random ones use the RNG. */
export interface BatchSource {
  next(B: number, T: number, rng: Rng): TrainBatch;
  cursor?(): unknown;
  seek?(cursor: unknown): void;
}

export interface TrainData {
  train: BatchSource;
  val: BatchSource;
}

/** Random windows of a token dataset's train and val splits. */
export function windowBatches(data: TokenDataset): TrainData {
  return {
    train: { next: (B, T, rng) => data.train.sampleBatch(B, T, rng) },
    val: { next: (B, T, rng) => data.val.sampleBatch(B, T, rng) },
  };
}

export interface PretrainOptions {
  runDir: string;
  config: GPTConfig;
  settings: TrainSettings;
  data: TrainData;
  /** Starting weights when not resuming (e.g. a pretrained checkpoint for SFT); default GPT-2 init. */
  initialWeights?: Map<string, Float32Array>;
  /** Continue from the newest checkpoint in runDir, if any. */
  resume?: boolean;
  /** Copied into every checkpoint. */
  tokenizerDir?: string;
  /** Called after each validation with the model, e.g. to print a sample. */
  onEval?: (model: GPT, record: StepRecord) => Promise<void>;
  /** Called after every step (progress bars). */
  onStep?: (record: StepRecord) => void;
  /** Stop early and save (e.g. set by a SIGINT handler). */
  shouldStop?: () => boolean;
}

export interface PretrainResult {
  model: GPT;
  history: StepRecord[];
  /** the step the run started from (0, or the resumed checkpoint's step) */
  startStep: number;
  lastStep: number;
  checkpoint: string;
  seconds: number;
  stopped: boolean;
}

function batchTensors(b: TrainBatch, B: number, T: number): [Tensor, Tensor, Tensor | undefined] {
  return [Tensor.from(b.inputs, [B, T]), Tensor.from(b.targets, [B, T]), b.weights ? Tensor.from(b.weights, [B, T]) : undefined];
}

/**
 * Mean loss over `batches` batches drawn with a fixed seed, so every validation sees the same data. A
 * sequential source is rewound to where it was, so validation never moves training's data.
 */
export async function evaluate(model: GPT, source: BatchSource, B: number, T: number, batches: number, seed: number): Promise<number> {
  const rng = Rng.fromSeed(seed);
  const start = source.cursor?.();
  const loss = await noGrad(() =>
    scope(async () => {
      const total = Tensor.zeros([1]);
      for (let i = 0; i < batches; i++) axpyInPlace(total, model.forward(...batchTensors(source.next(B, T, rng), B, T)).loss!, 1 / batches);
      return total.item();
    }),
  );
  if (start !== undefined) source.seek?.(start);
  return loss;
}

async function hostTensors(tensors: readonly Tensor[], names: readonly string[]): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (let i = 0; i < tensors.length; i++) out.set(names[i]!, { shape: [...tensors[i]!.shape], data: (await tensors[i]!.read()) as Float32Array });
  return out;
}

export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  const s = o.settings;
  mkdirSync(o.runDir, { recursive: true });
  const t0 = performance.now();
  const resumeDir = o.resume ? latestCheckpoint(o.runDir) : null;
  let model: GPT;
  let rng: Rng;
  let startStep = 0;
  let state: TrainingState | undefined;
  if (resumeDir) {
    const ck = loadCheckpoint(resumeDir, o.config);
    model = new GPT(o.config, new Map([...ck.params].map(([k, v]) => [k, v.data])));
    state = ck.state;
    startStep = state?.step ?? 0;
    rng = state?.rng ? Rng.fromState(state.rng as never) : Rng.fromSeed(s.seed);
    if (state?.dataCursor !== undefined && state.dataCursor !== null) o.data.train.seek?.(state.dataCursor);
  } else {
    model = new GPT(o.config, o.initialWeights ?? initParams(o.config, s.seed));
    rng = Rng.fromSeed(s.seed);
  }
  const names = [...model.params.keys()];
  const params = model.parameters();
  const opt = new AdamW(params, { lr: s.lr, weightDecay: s.weightDecay });
  if (state?.m && state.v) {
    const load = (m: Map<string, HostTensor>) => names.map((n) => Tensor.from(m.get(n)!.data, model.params.get(n)!.shape));
    scope(() => opt.loadState({ step: startStep, m: load(state!.m!), v: load(state!.v!) }));
  }

  // Steps after the checkpoint we resume from (a run killed between checkpoints) are redone: drop them.
  const metricsPath = join(o.runDir, "metrics.jsonl");
  const kept = resumeDir && existsSync(metricsPath) ? readFileSync(metricsPath, "utf8").split("\n").filter((l) => l && JSON.parse(l).step <= startStep) : [];
  writeFileSync(metricsPath, kept.map((l) => l + "\n").join(""));
  const history: StepRecord[] = [];
  const tokensPerStep = s.batchSize * s.seqLen * s.gradAccum;
  const rt = runtime();
  let last = startStep;
  let checkpoint = resumeDir ?? "";
  let stopped = false;

  const save = async (step: number) => {
    const optState = opt.state();
    checkpoint = join(o.runDir, checkpointName(step));
    await saveCheckpoint(checkpoint, {
      config: o.config,
      params: await model.toHost(),
      tokenizerDir: o.tokenizerDir,
      state: {
        step,
        m: await hostTensors(optState.m, names),
        v: await hostTensors(optState.v, names),
        rng: rng.state(),
        dataCursor: o.data.train.cursor?.() ?? null,
        metadata: { loss: history.at(-1)?.loss ?? null, valLoss: history.findLast((h) => h.valLoss !== undefined)?.valLoss ?? null },
      },
    });
  };

  for (let step = startStep + 1; step <= s.steps; step++) {
    rt.step = `pretrain step ${step}`;
    const lr = learningRate(step, { lr: s.lr, minLr: s.minLr, warmupSteps: s.warmupSteps, totalSteps: s.steps });
    const ts = performance.now();
    const [loss, gradNorm] = await scope(async () => {
      const stats = Tensor.empty([2]); // [mean loss over micro-batches, gradient norm]
      const lossAcc = Tensor.zeros([1]);
      for (let micro = 0; micro < s.gradAccum; micro++) {
        const out = model.forward(...batchTensors(o.data.train.next(s.batchSize, s.seqLen, rng), s.batchSize, s.seqLen));
        backward(out.loss!, Tensor.full([1], 1 / s.gradAccum));
        axpyInPlace(lossAcc, out.loss!, 1 / s.gradAccum);
      }
      const clip = clipGradNorm(params, s.gradClip);
      opt.step({ lr, gradScale: clip.scale });
      zeroGrad(params);
      rt.copy(lossAcc.buffer, 0, stats.buffer, 0, 4);
      rt.copy(clip.norm.buffer, 0, stats.buffer, 4, 4);
      const r = (await stats.read()) as Float32Array;
      return [r[0]!, r[1]!] as const;
    });
    if (!Number.isFinite(loss)) {
      throw new Error(`pretrain: the loss became ${loss} at step ${step} (lr ${lr.toExponential(2)}, gradient norm ${gradNorm}); ` +
        `the last good checkpoint is ${checkpoint || "none"}. Lower --lr or raise --warmupSteps.`);
    }
    const record: StepRecord = { step, loss, lr, gradNorm, tokensPerSec: tokensPerStep / ((performance.now() - ts) / 1000) };
    if (step % s.evalEvery === 0 || step === s.steps) {
      record.valLoss = await evaluate(model, o.data.val, s.batchSize, s.seqLen, s.evalBatches, s.seed + 1);
    }
    history.push(record);
    appendFileSync(metricsPath, JSON.stringify(record) + "\n");
    o.onStep?.(record);
    if (record.valLoss !== undefined) await o.onEval?.(model, record);
    last = step;
    stopped = o.shouldStop?.() ?? false;
    if (step % s.checkpointEvery === 0 || step === s.steps || stopped) await save(step);
    if (stopped) break;
  }
  return { model, history, startStep, lastStep: last, checkpoint, seconds: (performance.now() - t0) / 1000, stopped };
}

/** Draws loss.svg in the run directory from the run's step records. */
export function writeLossPlot(runDir: string, title: string, records: readonly StepRecord[], baseline?: { name: string; value: number }): string {
  const svg = lossPlotSvg(
    [
      { name: "train loss", color: "#1f77b4", points: records.map((r) => [r.step, r.loss]) },
      { name: "validation loss", color: "#d62728", points: records.filter((r) => r.valLoss !== undefined).map((r) => [r.step, r.valLoss!]) },
    ],
    title,
    baseline,
  );
  const path = join(runDir, "loss.svg");
  writeFileSync(path, svg);
  return path;
}
