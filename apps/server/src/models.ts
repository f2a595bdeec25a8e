/**
 * The models a server serves: each is a checkpoint with its tokenizer and a generation engine, under a
 * public id. `findRunCheckpoints` maps the default pipeline's stages to ids (pretrain → forno-base,
 * sft → forno-sft, and the RL stages); the reward model is not a text generator and is not served.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { Engine, GPT, latestCheckpoint, loadCheckpoint } from "@forno/model";
import { ENDOFTEXT, loadTokenizer, type Tokenizer } from "@forno/tokenizer";

export interface ServedModel {
  /** Public id, e.g. "forno-sft". */
  id: string;
  /** Checkpoint directory it was loaded from. */
  checkpoint: string;
  tokenizer: Tokenizer;
  /** Generation engine; `maxSeqLen` bounds prompt + completion tokens. The app closes it when it closes (when it can). */
  engine: Pick<Engine, "generate" | "scorePrompts" | "scorePromptsTop" | "maxBatch" | "maxSeqLen"> & Partial<Pick<Engine, "close">>;
  /** When the checkpoint was written (Unix seconds), for /v1/models. */
  created: number;
}

/** Pipeline stages that produce generators, in the order /v1/models lists them. */
const STAGE_MODEL_IDS = { sft: "forno-sft", grpo: "forno-grpo", ppo: "forno-ppo", dpo: "forno-dpo", pretrain: "forno-base" } as const;

export interface LoadModelOptions {
  /** KV-cache slots of the engine (sequences decoded together). Default 8. */
  maxBatch?: number;
  /** Tokenizer directory when the checkpoint has no `tokenizer/`. */
  fallbackTokenizerDir?: string;
}

/** Loads a checkpoint onto the GPU (initRuntime() must have run) with an engine that stops at <|endoftext|>. */
export async function loadServedModel(id: string, dir: string, opts: LoadModelOptions = {}): Promise<ServedModel> {
  const ck = loadCheckpoint(dir);
  const tokenizerDir = ck.tokenizerDir ?? opts.fallbackTokenizerDir;
  if (!tokenizerDir) throw new Error(`${dir}: the checkpoint has no tokenizer/ directory and no fallback tokenizer was given`);
  const tokenizer = await loadTokenizer(tokenizerDir);
  const model = new GPT(ck.config, new Map([...ck.params].map(([k, v]) => [k, v.data])));
  const engine = new Engine(model, { maxBatch: opts.maxBatch ?? 8, eosId: tokenizer.specialId(ENDOFTEXT) });
  return { id, checkpoint: dir, tokenizer, engine, created: Math.floor(statSync(dir).mtimeMs / 1000) };
}

/** The newest checkpoint of each generating stage under `runDir`, as (id, dir) pairs. */
export function findRunCheckpoints(runDir: string): { id: string; dir: string }[] {
  return Object.entries(STAGE_MODEL_IDS).flatMap(([stage, id]) => {
    const dir = latestCheckpoint(join(runDir, stage));
    return dir ? [{ id, dir }] : [];
  });
}
