/**
 * The `tokenizer` stage: trains a byte-level BPE vocabulary of the model's size on the corpus and saves
 * it in the run directory; an existing one is reused unless --retrain is given.
 */
import { existsSync } from "node:fs";
import { makeConfig } from "@forno/model";
import { bytesPerToken, loadTokenizer, saveTokenizer, trainTokenizerFromFiles, type Tokenizer } from "@forno/tokenizer";
import type { Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { corpusPath, runPaths } from "../run-dir.ts";

export async function tokenizerStage(opts: Options): Promise<Tokenizer> {
  const { tokenizer: dir } = runPaths(opts);
  if (existsSync(dir) && !opts.retrain) {
    const tok = await loadTokenizer(dir);
    console.log(`tokenizer: reusing ${dir} (${tok.vocabSize} tokens; --retrain to train again)`);
    return tok;
  }
  const vocab = Number(opts.vocab ?? makeConfig(resolvePreset(opts).model).vocabSize);
  const corpus = corpusPath(opts);
  const t0 = performance.now();
  const { tokenizer } = await trainTokenizerFromFiles([corpus], { vocabSize: vocab });
  await saveTokenizer(tokenizer, dir);
  const text = await Bun.file(corpus).text();
  const heldOut = text.slice(Math.floor(text.length * 0.9));
  console.log(
    `tokenizer: trained ${tokenizer.vocabSize} tokens on ${corpus} in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `${bytesPerToken(tokenizer, heldOut).toFixed(2)} bytes/token on the last 10% → ${dir}`,
  );
  return tokenizer;
}
