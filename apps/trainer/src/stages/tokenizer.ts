/**
 * The `tokenizer` stage: trains a byte-level BPE vocabulary of the model's size on the corpus and saves
 * it in the run directory; an existing one is reused unless --retrain is given.
 */
import { existsSync } from "node:fs";
import { makeConfig } from "@forno/model";
import { bytesPerToken, loadTokenizer, PATTERN_SOURCES, saveTokenizer, trainTokenizerFromFiles, type Pattern, type Tokenizer } from "@forno/tokenizer";
import { numberOption, type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { corpusPath, runPaths } from "../run-dir.ts";

/**
 * cl100k's pre-tokenisation with every digit its own chunk (cl100k groups up to three). A small vocabulary
 * trained on text full of sums otherwise spends merges on some numbers ("13") but not others ("4","7"),
 * and the model has to learn the digits of each number token before it can learn column arithmetic.
 * Splitting digits, as Llama's tokenizer does, gives every number the same digit-by-digit form.
 */
export const DIGIT_PATTERN: Pattern = { source: PATTERN_SOURCES.cl100k.replace("\\p{N}{1,3}", "\\p{N}") };

export async function tokenizerStage(opts: Options): Promise<Tokenizer> {
  const { tokenizer: dir } = runPaths(opts);
  if (existsSync(dir) && !opts.retrain) {
    const tok = await loadTokenizer(dir);
    console.log(`tokenizer: reusing ${dir} (${tok.vocabSize} tokens; --retrain to train again)`);
    return tok;
  }
  const vocab = numberOption(opts, "vocab", makeConfig(resolvePreset(opts).model).vocabSize, { min: 1, integer: true });
  const corpus = corpusPath(opts);
  const t0 = performance.now();
  const { tokenizer } = await trainTokenizerFromFiles([corpus], { vocabSize: vocab, pattern: DIGIT_PATTERN });
  await saveTokenizer(tokenizer, dir);
  const text = await Bun.file(corpus).text();
  const heldOut = text.slice(Math.floor(text.length * 0.9));
  console.log(
    `tokenizer: trained ${tokenizer.vocabSize} tokens on ${corpus} in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `${bytesPerToken(tokenizer, heldOut).toFixed(2)} bytes/token on the last 10% → ${dir}`,
  );
  return tokenizer;
}
