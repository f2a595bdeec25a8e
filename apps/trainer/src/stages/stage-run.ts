/**
 * A reward or RL stage's directory: its metrics log (restarted unless resuming) and checkpoints that hold
 * everything needed to continue bit for bit, as pretraining's do: the weights, AdamW's moments and step
 * count, the stage's RNG states and small extras (e.g. PPO's KL β). The GPT's moments go in the
 * checkpoint's state.safetensors; a scalar head (the reward model's, PPO's value head) and its moments in
 * a safetensors file beside it, written after the checkpoint itself, so resuming skips a newest checkpoint
 * whose head file a crash cut off. What the RNGs and extras mean is left to each stage.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AdamW, scope, Tensor } from "@forno/gpu";
import { checkpointName, loadCheckpoint, readSafetensors, saveCheckpoint, writeSafetensors, type GPT, type HostTensor, type Rng, type RngState } from "@forno/model";
import type { ScalarHead } from "@forno/rl";
import { UsageError, type Options } from "../args.ts";
import { runPaths } from "../run-dir.ts";

/** A scalar head saved in `file` inside each checkpoint, trained by the same optimizer after the GPT's parameters. */
export interface HeadSlot {
  file: string;
  head: ScalarHead;
}

export interface SaveParts {
  model: GPT;
  opt: AdamW;
  head?: HeadSlot;
  rng: Record<string, Rng>;
  extra?: Record<string, unknown>;
  tokenizerDir: string;
  metadata?: Record<string, unknown>;
}

export interface Resumed {
  step: number;
  /** the checkpoint directory resumed from */
  dir: string;
  weights: Map<string, Float32Array>;
  head: { weight: Float32Array; bias: number } | null;
  rng: Record<string, RngState>;
  extra: Record<string, unknown>;
  /** Loads the saved moments and step count into `opt` (built over the model's parameters, then the head's). */
  restoreOptimizer(opt: AdamW, model: GPT): void;
}

const HEAD_NAMES = ["head.weight", "head.bias"];

async function hostMoments(tensors: readonly Tensor[], names: readonly string[]): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (let i = 0; i < names.length; i++) out.set(names[i]!, { shape: [...tensors[i]!.shape], data: (await tensors[i]!.read()) as Float32Array });
  return out;
}

export class StageRun {
  readonly dir: string;
  readonly metrics: string;

  constructor(opts: Options, readonly name: string) {
    this.dir = join(runPaths(opts).root, name);
    mkdirSync(this.dir, { recursive: true });
    this.metrics = join(this.dir, "metrics.jsonl");
    if (!opts.resume || !existsSync(this.metrics)) writeFileSync(this.metrics, "");
  }

  /** The newest checkpoint to continue from when --resume is set (one with `headFile` if given); metrics past it are dropped. */
  resume(opts: Options, headFile?: string): Resumed | null {
    if (!opts.resume || !existsSync(this.dir)) return null;
    const dir = readdirSync(this.dir)
      .filter((n) => /^ckpt-\d+$/.test(n))
      .sort()
      .reverse()
      .map((n) => join(this.dir, n))
      .find((d) => existsSync(join(d, "state.json")) && (!headFile || existsSync(join(d, headFile))));
    if (!dir) {
      writeFileSync(this.metrics, ""); // nothing to continue: a fresh start must not append to an old log
      return null;
    }
    const ck = loadCheckpoint(dir);
    const state = ck.state!;
    if (!state.m || !state.v) throw new UsageError(`${dir} holds weights but no optimizer moments (written before RL checkpoints were resumable); rerun without --resume`);
    const meta = state.metadata ?? {};
    const headTensors = headFile ? readSafetensors(join(dir, headFile)).tensors : null;
    const kept = readFileSync(this.metrics, "utf8").split("\n").filter((l) => l && JSON.parse(l).step <= state.step);
    writeFileSync(this.metrics, kept.map((l) => l + "\n").join(""));
    return {
      step: state.step,
      weights: new Map([...ck.params].map(([k, v]) => [k, v.data as Float32Array])),
      head: headTensors ? { weight: headTensors.get("head.weight")!.data as Float32Array, bias: (headTensors.get("head.bias")!.data as Float32Array)[0]! } : null,
      rng: (state.rng ?? {}) as Record<string, RngState>,
      dir,
      extra: (meta.extra ?? {}) as Record<string, unknown>,
      restoreOptimizer(opt, model) {
        const names = [...model.params.keys()];
        const gpt = (m: Map<string, HostTensor>) => names.map((n) => Tensor.from(m.get(n)!.data as Float32Array, model.params.get(n)!.shape));
        const head = (kind: "m" | "v") => (headTensors ? HEAD_NAMES.map((n) => Tensor.from(headTensors.get(`${kind}.${n}`)!.data as Float32Array, headTensors.get(n)!.shape)) : []);
        scope(() => opt.loadState({ step: Number(meta.optimizerStep ?? state.step), m: [...gpt(state.m!), ...head("m")], v: [...gpt(state.v!), ...head("v")] }));
      },
    };
  }

  log(record: Record<string, number | string | boolean>): void {
    appendFileSync(this.metrics, JSON.stringify(record) + "\n");
  }

  async save(step: number, p: SaveParts): Promise<string> {
    const dir = join(this.dir, checkpointName(step));
    const names = [...p.model.params.keys()];
    const { step: optimizerStep, m, v } = p.opt.state();
    await saveCheckpoint(dir, {
      config: p.model.config,
      params: await p.model.toHost(),
      tokenizerDir: p.tokenizerDir,
      state: {
        step,
        m: await hostMoments(m, names),
        v: await hostMoments(v, names),
        rng: Object.fromEntries(Object.entries(p.rng).map(([k, r]) => [k, r.state()])),
        metadata: { ...p.metadata, optimizerStep, extra: p.extra ?? {} },
      },
    });
    if (p.head) {
      const n = names.length;
      const tensors = new Map<string, HostTensor>();
      const weights = await hostMoments(p.head.head.parameters(), HEAD_NAMES);
      for (const [name, t] of weights) tensors.set(name, t);
      for (const [kind, moments] of [["m", m], ["v", v]] as const) {
        for (const [name, t] of await hostMoments(moments.slice(n, n + 2), HEAD_NAMES)) tensors.set(`${kind}.${name}`, t);
      }
      writeSafetensors(join(dir, p.head.file), tensors);
    }
    return dir;
  }
}
