import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeConfig, paramShapes } from "./config.ts";
import { CheckpointError } from "./errors.ts";
import { exportHf, importHf } from "./hf.ts";
import { initParams } from "./init.ts";
import { readSafetensors, writeSafetensors, type HostTensor } from "./safetensors.ts";
import { useTempDirs } from "./test-dir.ts";

const tempDir = useTempDirs();
const config = makeConfig("tiny", { nLayer: 2, vocabSize: 50, contextLength: 8, nEmbd: 16, nHead: 4 });

function hostParams(c = config, seed = 1): Map<string, HostTensor> {
  const data = initParams(c, seed);
  return new Map(paramShapes(c).map(({ name, shape }) => [name, { shape, data: data.get(name)! }]));
}

describe("exportHf / importHf", () => {
  test("forno → HF dir → forno gives identical tensors and config", () => {
    const dir = tempDir();
    const params = hostParams();
    exportHf(dir, config, params, { eosTokenId: 49 });
    const hf = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(hf).toMatchObject({
      model_type: "gpt2",
      architectures: ["GPT2LMHeadModel"],
      vocab_size: 50,
      n_positions: 8,
      n_ctx: 8,
      n_embd: 16,
      n_layer: 2,
      n_head: 4,
      layer_norm_epsilon: 1e-5,
      activation_function: "gelu_new",
      tie_word_embeddings: true,
      bos_token_id: 49,
      eos_token_id: 49,
    });
    const names = [...readSafetensors(join(dir, "model.safetensors")).tensors.keys()];
    expect(names.every((n) => n.startsWith("transformer."))).toBe(true);
    expect(names).toContain("transformer.h.1.attn.c_attn.weight");
    expect(names).not.toContain("lm_head.weight");

    const back = importHf(dir);
    expect(back.config).toEqual(config);
    expect([...back.params.keys()]).toEqual([...params.keys()]);
    for (const [name, t] of params) expect(back.params.get(name)).toEqual(t);
  });

  test("bias = false exports zero biases and imports without them", () => {
    const dir = tempDir();
    const c = { ...config, bias: false };
    exportHf(dir, c, hostParams(c));
    const stored = readSafetensors(join(dir, "model.safetensors")).tensors.get("transformer.h.0.mlp.c_fc.bias")!;
    expect(stored.shape).toEqual([64]);
    expect(stored.data.every((x) => x === 0)).toBe(true);
    const back = importHf(dir);
    expect(back.config).toEqual(c);
    for (const [name, t] of hostParams(c)) expect(back.params.get(name)).toEqual(t);
  });

  test("a hand-built HF file with lm_head, attn.bias / masked_bias buffers and no prefix imports", () => {
    const dir = tempDir();
    const params = hostParams();
    const T = config.contextLength;
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of params) tensors.set(name, t); // hub-style: no "transformer." prefix
    tensors.set("lm_head.weight", params.get("wte.weight")!);
    for (let i = 0; i < config.nLayer; i++) {
      tensors.set(`h.${i}.attn.bias`, { shape: [1, 1, T, T], data: new Float32Array(T * T).fill(1) });
      tensors.set(`h.${i}.attn.masked_bias`, { shape: [], data: new Float32Array([-1e4]) });
    }
    writeSafetensors(join(dir, "model.safetensors"), tensors);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "gpt2", vocab_size: 50, n_positions: 8, n_ctx: 8, n_embd: 16, n_layer: 2, n_head: 4, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 }));
    const back = importHf(dir);
    expect(back.config).toEqual(config);
    for (const [name, t] of params) expect(back.params.get(name)).toEqual(t);
    expect(back.params.has("lm_head.weight")).toBe(false);

    // An untied head is refused.
    const untied = new Float32Array(params.get("wte.weight")!.data);
    untied[3] += 1;
    tensors.set("lm_head.weight", { shape: [50, 16], data: untied });
    writeSafetensors(join(dir, "model.safetensors"), tensors);
    expect(() => importHf(dir)).toThrow(new CheckpointError(`${join(dir, "model.safetensors")}: lm_head.weight differs from wte.weight; forno ties the output head to the token embedding and cannot load an untied model`));
  });

  test("an unsupported GPT-2 variant lists every field it cannot honour", () => {
    const dir = tempDir();
    exportHf(dir, config, hostParams());
    const path = join(dir, "config.json");
    const hf = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...hf, activation_function: "relu", layer_norm_epsilon: 1e-6 }));
    expect(() => importHf(dir)).toThrow(
      new CheckpointError(`${path}: this GPT-2 variant is not supported by forno:\n  activation_function: expected "gelu_new" (tanh GELU), got "relu"\n  layer_norm_epsilon: expected 0.00001, got 0.000001`),
    );
    writeFileSync(path, JSON.stringify({ ...hf, n_head: 5 }));
    expect(() => importHf(dir)).toThrow(`${path}: invalid GPTConfig:\n  nEmbd (C = 16) must be divisible by nHead (NH = 5)`);
  });
});
