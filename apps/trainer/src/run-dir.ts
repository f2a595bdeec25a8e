/**
 * Where a pipeline run keeps its files (`--run`, default runs/default): tokenizer/, data/ (token shards),
 * metrics.jsonl, loss.svg, report.md and ckpt-NNNNNN/ checkpoints. Stages find each other's output here.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { directAnswer, questionText, Rng, sampleProblem } from "@forno/model";
import { resolvePreset } from "./presets.ts";
import type { Options } from "./args.ts";

export const DATA_DIR = join(import.meta.dir, "..", "data");
export const DEFAULT_CORPUS = join(DATA_DIR, "tinyshakespeare.txt");

export interface RunPaths {
  root: string;
  tokenizer: string;
  data: string;
  pretrain: string;
  sft: string;
}

export function runPaths(opts: Options): RunPaths {
  const root = resolve(String(opts.run ?? "runs/default"));
  return { root, tokenizer: join(root, "tokenizer"), data: join(root, "data"), pretrain: join(root, "pretrain"), sft: join(root, "sft") };
}

/**
 * The pretraining corpus: --corpus FILE, or by default the embedded Shakespeare interleaved with arithmetic
 * practice in the few-shot format ("Q: What is 47 + 85?\nA: 132"), training-split problems only, written
 * once into the run's data/ folder. Real assistants learn arithmetic in pretraining, not from SFT alone;
 * this gives the tiny model the same chance.
 */
export function corpusPath(opts: Options): string {
  if (opts.corpus) return resolve(String(opts.corpus));
  const { data } = runPaths(opts);
  const path = join(data, "corpus.txt");
  if (!existsSync(path)) {
    const preset = resolvePreset(opts);
    const rng = Rng.fromSeed(2718);
    const practice = () => {
      const p = sampleProblem(rng, preset.task, "train");
      return `Q: ${questionText(p)}\nA: ${directAnswer(p)}`;
    };
    // Spread evenly between the speeches, so the validation split (the last 10%) holds both kinds of text.
    const speeches = readFileSync(DEFAULT_CORPUS, "utf8").split("\n\n");
    const perSpeech = ARITHMETIC_LINES / speeches.length;
    let owed = 0;
    const parts = speeches.flatMap((speech) => {
      owed += perSpeech;
      const n = Math.floor(owed);
      owed -= n;
      return [speech, ...Array.from({ length: n }, practice)];
    });
    mkdirSync(data, { recursive: true });
    writeFileSync(path, parts.join("\n\n") + "\n");
  }
  return path;
}

const ARITHMETIC_LINES = 30_000;
