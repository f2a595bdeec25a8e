/** Test fixtures: tiny random-weight checkpoints (generator, reward model) with their own tokenizer in a temp dir, and a served app over one. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "@forno/db";
import { initRuntime } from "@forno/gpu";
import { initParams, loadCheckpoint, makeConfig, paramShapes, saveCheckpoint, writeSafetensors } from "@forno/model";
import { saveTokenizer, trainTokenizer } from "@forno/tokenizer";
import { createApp, type AppOptions, type ServerApp } from "../app.ts";
import { loadServedModel, type ServedModel } from "../models.ts";

const TEXT = "the quick brown fox jumps over the lazy dog. hello world, hello server! 2+2=4 and 3+3=6.\n".repeat(40);

/** Context length of the fixture model (tokens). */
export const CONTEXT = 64;

/** Writes a random-weight checkpoint (with tokenizer/) to `ckptDir`, e.g. <run>/sft/ckpt-000001. */
export async function writeTinyCheckpoint(ckptDir: string): Promise<void> {
  const { tokenizer } = trainTokenizer([TEXT], { vocabSize: 320 });
  const tokDir = join(mkdtempSync(join(tmpdir(), "forno-server-tok-")), "tokenizer");
  await saveTokenizer(tokenizer, tokDir);
  const config = makeConfig("tiny", { vocabSize: tokenizer.vocabSize, contextLength: CONTEXT, nLayer: 1, nHead: 2, nEmbd: 32 });
  const data = initParams(config, 7);
  const params = new Map(paramShapes(config).map(({ name, shape }) => [name, { shape, data: data.get(name)! }]));
  saveCheckpoint(ckptDir, { config, params, tokenizerDir: tokDir });
}

export async function tinyModel(id = "forno-sft"): Promise<ServedModel> {
  await initRuntime();
  const ckpt = join(mkdtempSync(join(tmpdir(), "forno-server-")), "ckpt-000001");
  await writeTinyCheckpoint(ckpt);
  return loadServedModel(id, ckpt, { maxBatch: 4 });
}

export interface TestServer {
  app: ServerApp;
  store: Store;
  model: ServedModel;
}

export async function testApp(opts: Partial<AppOptions> = {}): Promise<TestServer> {
  const model = await tinyModel();
  const store = await openStore({ dataDir: mkdtempSync(join(tmpdir(), "forno-server-db-")) });
  return { app: createApp({ models: [model], store, ...opts }), store, model };
}

/**
 * Writes a reward checkpoint as the trainer's reward stage does: the tiny GPT's weights plus
 * head.safetensors with a fixed non-zero head (so rewards differ between responses).
 */
export async function writeTinyRewardCheckpoint(ckptDir: string): Promise<void> {
  await writeTinyCheckpoint(ckptDir);
  const C = loadCheckpoint(ckptDir).config.nEmbd;
  const weight = Float32Array.from({ length: C }, (_, i) => Math.sin(i * 1.7) * 3);
  writeSafetensors(join(ckptDir, "head.safetensors"), new Map([
    ["head.weight", { shape: [C], data: weight }],
    ["head.bias", { shape: [1], data: new Float32Array([0.5]) }],
  ]));
}
