/**
 * Test fixture: a run directory whose sft/ckpt-000001 is a tiny random-weight GPT (L 1, C 32, T 64)
 * with its own small tokenizer, so the reward and RL stages run in seconds on llvmpipe.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initRuntime } from "@forno/gpu";
import { initParams, makeConfig, paramShapes, saveCheckpoint } from "@forno/model";
import { saveTokenizer, trainTokenizer } from "@forno/tokenizer";

const TEXT = "What is 12 + 30? The answer is 42. Please be polite, thank you. hello, how are you? 7 - 3 = 4.\n".repeat(40);

/** A fresh run directory with an SFT checkpoint in it. */
export async function tinySftRun(): Promise<string> {
  const run = mkdtempSync(join(tmpdir(), "forno-rl-"));
  const { tokenizer } = trainTokenizer([TEXT], { vocabSize: 320 });
  const tokDir = join(run, "tokenizer");
  await saveTokenizer(tokenizer, tokDir);
  const config = makeConfig("tiny", { vocabSize: tokenizer.vocabSize, contextLength: 64, nLayer: 1, nHead: 2, nEmbd: 32 });
  const data = initParams(config, 7);
  saveCheckpoint(join(run, "sft", "ckpt-000001"), { config, params: new Map(paramShapes(config).map(({ name, shape }) => [name, { shape, data: data.get(name)! }])), tokenizerDir: tokDir });
  return run;
}

/** For a test file: starts the runtime, and returns a maker of tiny SFT runs that are removed after the file's tests. */
export function tinySftRuns(): () => Promise<string> {
  const runs: string[] = [];
  beforeAll(() => initRuntime());
  afterAll(() => runs.forEach((r) => rmSync(r, { recursive: true, force: true })));
  return async () => {
    const r = await tinySftRun();
    runs.push(r);
    return r;
  };
}
