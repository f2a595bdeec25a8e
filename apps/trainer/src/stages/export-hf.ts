/**
 * The `export-hf` stage: writes a checkpoint (default: the newest pretraining checkpoint of the run) in
 * the Hugging Face GPT-2 layout (`config.json` + `model.safetensors`), with the run's tokenizer files.
 */
import { cpSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { exportHf, latestCheckpoint, loadCheckpoint, resolveCheckpoint } from "@forno/model";
import { UsageError, type Options } from "../args.ts";
import { runPaths } from "../run-dir.ts";

export async function exportHfStage(opts: Options): Promise<string> {
  const paths = runPaths(opts);
  const source = opts.checkpoint ? resolveCheckpoint(resolve(String(opts.checkpoint))) : latestCheckpoint(paths.pretrain);
  if (!source) throw new UsageError(`export-hf: no checkpoint in ${paths.pretrain}; run \`bun run train pretrain\` first or pass --checkpoint DIR`);
  const out = resolve(String(opts.out ?? join(paths.root, "hf")));
  const ck = loadCheckpoint(source);
  exportHf(out, ck.config, ck.params);
  if (ck.tokenizerDir && existsSync(ck.tokenizerDir)) cpSync(ck.tokenizerDir, join(out, "forno-tokenizer"), { recursive: true });
  console.log(`export-hf: ${source} → ${out} (Hugging Face GPT-2 layout; forno's tokenizer in forno-tokenizer/)`);
  return out;
}
