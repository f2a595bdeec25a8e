/**
 * Where a pipeline run keeps its files (`--run`, default runs/default): tokenizer/, data/ (token shards),
 * metrics.jsonl, loss.svg, report.md and ckpt-NNNNNN/ checkpoints. Stages find each other's output here.
 */
import { join, resolve } from "node:path";
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

export function corpusPath(opts: Options): string {
  return resolve(String(opts.corpus ?? DEFAULT_CORPUS));
}
