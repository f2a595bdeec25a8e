/**
 * Where a pipeline run keeps its files (`--run`, default runs/default): tokenizer/, data/ (token shards),
 * metrics.jsonl, loss.svg, report.md and ckpt-NNNNNN/ checkpoints. Stages find each other's output here.
 */
import { join, resolve } from "node:path";
import type { Options } from "./args.ts";

export const DEFAULT_CORPUS = join(import.meta.dir, "..", "data", "tinyshakespeare.txt");

export interface RunPaths {
  root: string;
  tokenizer: string;
  data: string;
  pretrain: string;
}

export function runPaths(opts: Options): RunPaths {
  const root = resolve(String(opts.run ?? "runs/default"));
  return { root, tokenizer: join(root, "tokenizer"), data: join(root, "data"), pretrain: join(root, "pretrain") };
}

export function corpusPath(opts: Options): string {
  return resolve(String(opts.corpus ?? DEFAULT_CORPUS));
}
