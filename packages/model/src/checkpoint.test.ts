import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkpointName, FORNO_VERSION, latestCheckpoint, loadCheckpoint, recoverCheckpoint, resolveCheckpoint, saveCheckpoint, type SaveStep } from "./checkpoint.ts";
import { makeConfig, paramShapes, PRESETS } from "./config.ts";
import { CheckpointError } from "./errors.ts";
import { initParams } from "./init.ts";
import { writeSafetensors, type HostTensor } from "./safetensors.ts";
import { useTempDirs } from "./test-dir.ts";

const tempDir = useTempDirs();
const config = makeConfig("tiny", { nLayer: 2, vocabSize: 64, contextLength: 16, nEmbd: 32, nHead: 2 });

function hostParams(seed: number): Map<string, HostTensor> {
  const data = initParams(config, seed);
  return new Map(paramShapes(config).map(({ name, shape }) => [name, { shape, data: data.get(name)! }]));
}

describe("saveCheckpoint / loadCheckpoint", () => {
  test("round-trips config, parameters, training state and the tokenizer directory", () => {
    const root = tempDir();
    const tok = join(root, "tok");
    mkdirSync(join(tok, "sub"), { recursive: true });
    writeFileSync(join(tok, "vocab.json"), '{"a":0}');
    writeFileSync(join(tok, "sub", "merges.txt"), "a b\n");
    const params = hostParams(1);
    const m = new Map([...params].map(([n, t]) => [n, { shape: t.shape, data: t.data.map((x) => x * 0.5) }]));
    const v = new Map([...params].map(([n, t]) => [n, { shape: t.shape, data: t.data.map((x) => x * x) }]));
    const dir = join(root, "run", checkpointName(100));
    expect(checkpointName(100)).toBe("ckpt-000100");
    saveCheckpoint(dir, { config, params, state: { step: 100, m, v, dataCursor: { position: 5 }, rng: { s: [1, 2, 3, 4] }, metadata: { loss: 2.5 } }, tokenizerDir: tok });

    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors", "state.json", "state.safetensors", "tokenizer"]);
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8"))).toEqual({ ...config, fornoVersion: FORNO_VERSION });
    const loaded = loadCheckpoint(dir, config);
    expect(loaded.config).toEqual(config);
    expect(loaded.fornoVersion).toBe(FORNO_VERSION);
    expect([...loaded.params.keys()]).toEqual(paramShapes(config).map((p) => p.name));
    for (const [name, t] of params) expect(loaded.params.get(name)).toEqual(t);
    expect(loaded.state!.step).toBe(100);
    expect(loaded.state!.dataCursor).toEqual({ position: 5 });
    expect(loaded.state!.rng).toEqual({ s: [1, 2, 3, 4] });
    expect(loaded.state!.metadata).toEqual({ loss: 2.5 });
    expect(loaded.state!.m!.get("h.1.mlp.c_fc.weight")).toEqual(m.get("h.1.mlp.c_fc.weight")!);
    expect(loaded.state!.v!.get("wte.weight")).toEqual(v.get("wte.weight")!);
    expect(readFileSync(join(loaded.tokenizerDir!, "sub", "merges.txt"), "utf8")).toBe("a b\n");
  });

  test("without state or tokenizer only the model files are written", () => {
    const dir = join(tempDir(), "ckpt-000001");
    saveCheckpoint(dir, { config, params: hostParams(1) });
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors"]);
    const loaded = loadCheckpoint(dir);
    expect(loaded.state).toBeUndefined();
    expect(loaded.tokenizerDir).toBeUndefined();
  });

  test("every difference from the config is reported in one error", () => {
    const dir = join(tempDir(), "ckpt-000001");
    const params = hostParams(1);
    params.delete("h.1.mlp.c_fc.weight");
    params.set("h.0.attn.c_attn.weight", { shape: [32, 64], data: new Float32Array(32 * 64) });
    params.set("lm_head.weight", { shape: [64, 32], data: new Float32Array(64 * 32) });
    expect(() => saveCheckpoint(dir, { config, params })).toThrow(
      new CheckpointError(
        "saveCheckpoint params does not match the config (V 64, T 16, L 2, NH 2, C 32, bias true): 3 differences:\n" +
          "  h.0.attn.c_attn.weight: expected [32, 96], got [32, 64]\n" +
          "  missing h.1.mlp.c_fc.weight [32, 128]\n" +
          "  unexpected lm_head.weight [64, 32]\n" +
          "Likely fix: use the config the parameters were made with (a checkpoint's config.json), or re-export them for this config.",
      ),
    );
    expect(existsSync(dir)).toBe(false);
  });

  test("loading with another config names the file and each mismatch", () => {
    const dir = join(tempDir(), "ckpt-000001");
    saveCheckpoint(dir, { config, params: hostParams(1) });
    expect(() => loadCheckpoint(dir, { ...config, nLayer: 3, nEmbd: 64 })).toThrow(
      new CheckpointError(`${join(dir, "config.json")} differs from the expected config:\n  nLayer: expected 3, got 2\n  nEmbd: expected 64, got 32\nLikely fix: load with the checkpoint's own config (omit expected) or pick the matching checkpoint.`),
    );
    // A config.json edited to disagree with the tensors: the shape check catches it.
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, nLayer: 1, fornoVersion: "0.1.0" }));
    expect(() => loadCheckpoint(dir)).toThrow(`${join(dir, "model.safetensors")} does not match the config (V 64, T 16, L 1, NH 2, C 32, bias true): 12 differences:\n  unexpected h.1.attn.c_attn.bias [96]\n`);
    // A model.safetensors with one tensor of the wrong shape and one of the wrong dtype.
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, fornoVersion: "0.1.0" }));
    const tensors = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>(hostParams(1));
    tensors.set("h.0.attn.c_attn.weight", { shape: [32, 64], data: new Float32Array(32 * 64) });
    tensors.set("ln_f.bias", { shape: [32], data: new Int32Array(32) });
    writeSafetensors(join(dir, "model.safetensors"), tensors);
    expect(() => loadCheckpoint(dir)).toThrow(
      `${join(dir, "model.safetensors")} does not match the config (V 64, T 16, L 2, NH 2, C 32, bias true): 2 differences:\n` +
        "  h.0.attn.c_attn.weight: expected [32, 96], got [32, 64]\n  ln_f.bias: expected dtype F32, got I32\n",
    );
  });

  test("an invalid config.json and a missing directory give clear errors", () => {
    const dir = join(tempDir(), "ckpt-000001");
    saveCheckpoint(dir, { config, params: hostParams(1) });
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, dropout: 0.2 }));
    expect(() => loadCheckpoint(dir)).toThrow(`${join(dir, "config.json")}: invalid GPTConfig:\n  dropout must be 0 (forno does not implement dropout yet), got 0.2; set dropout: 0`);
    expect(() => loadCheckpoint(join(dir, "..", "nope"))).toThrow(`checkpoint ${join(dir, "..", "nope")} does not exist; check the path (latestCheckpoint(runDir) finds the newest)`);
  });

  test("moments that do not fit the parameters are refused", () => {
    const params = hostParams(1);
    const m = new Map([["wte.weight", { shape: [64, 31], data: new Float32Array(64 * 31) }]]);
    expect(() => saveCheckpoint(join(tempDir(), "c"), { config, params, state: { step: 1, m, v: new Map() } })).toThrow(
      "saveCheckpoint state: optimizer moments do not fit the parameters:\n  m.wte.weight: expected [64, 32], got [64, 31]\n  m and v moments cover different parameters",
    );
  });
});

describe("atomic save: a crash at any step leaves the old or the new checkpoint complete", () => {
  const steps: SaveStep[] = ["written", "staged", "old-moved", "installed"];
  for (const crashAt of steps) {
    test(`crash after "${crashAt}"`, () => {
      const run = tempDir();
      const dir = join(run, "ckpt-000200");
      saveCheckpoint(join(run, "ckpt-000100"), { config, params: hostParams(0) });
      saveCheckpoint(dir, { config, params: hostParams(1), state: { step: 1 } });
      const crash = (step: SaveStep) => {
        if (step === crashAt) throw new Error(`simulated crash after ${step}`);
      };
      expect(() => saveCheckpoint(dir, { config, params: hostParams(2), state: { step: 2 } }, { onStep: crash })).toThrow(`simulated crash after ${crashAt}`);

      // On disk: the complete old or new checkpoint, possibly under its .old / .new name.
      const candidates = [dir, join(run, ".ckpt-000200.new"), join(run, ".ckpt-000200.old")].filter(existsSync);
      expect(candidates.length).toBeGreaterThan(0);
      for (const c of candidates) expect([1, 2]).toContain(loadCheckpoint(c, config).state!.step);
      if (crashAt === "old-moved") expect(() => loadCheckpoint(dir)).toThrow(`an interrupted save left ${join(run, ".ckpt-000200.new")} and ${join(run, ".ckpt-000200.old")}: call recoverCheckpoint("${dir}") to finish it`);

      // latestCheckpoint never returns a temp dir: it finds the newest complete ckpt-N.
      const latest = latestCheckpoint(run)!;
      expect(latest === dir || latest === join(run, "ckpt-000100")).toBe(true);

      recoverCheckpoint(dir);
      const expectedStep = crashAt === "written" || crashAt === "staged" ? 1 : 2;
      expect(loadCheckpoint(dir, config).state!.step).toBe(expectedStep);
      expect(loadCheckpoint(dir).params.get("wte.weight")!.data).toEqual(hostParams(expectedStep).get("wte.weight")!.data);
      expect(readdirSync(run).sort()).toEqual(["ckpt-000100", "ckpt-000200"]);
      expect(latestCheckpoint(run)).toBe(dir);
    });
  }

  test("the next save recovers first, then succeeds", () => {
    const run = tempDir();
    const dir = join(run, "ckpt-000300");
    saveCheckpoint(dir, { config, params: hostParams(1) });
    expect(() => saveCheckpoint(dir, { config, params: hostParams(2) }, { onStep: (s) => { if (s === "old-moved") throw new Error("crash"); } })).toThrow("crash");
    saveCheckpoint(dir, { config, params: hostParams(3) });
    expect(loadCheckpoint(dir).params.get("wte.weight")!.data).toEqual(hostParams(3).get("wte.weight")!.data);
    expect(readdirSync(run)).toEqual(["ckpt-000300"]);
  });
});

describe("latestCheckpoint", () => {
  test("picks the highest step among complete ckpt-N directories", () => {
    const run = tempDir();
    expect(latestCheckpoint(join(run, "missing"))).toBeNull();
    expect(latestCheckpoint(run)).toBeNull();
    for (const step of [5, 40, 300]) saveCheckpoint(join(run, checkpointName(step)), { config, params: hostParams(step) });
    mkdirSync(join(run, "ckpt-999999")); // incomplete: no files
    mkdirSync(join(run, ".ckpt-001000.tmp-1-abc")); // crash debris
    mkdirSync(join(run, "notes"));
    saveCheckpoint(join(run, "ckpt-1000000"), { config, params: hostParams(1) }); // 7 digits still sorts by number
    expect(latestCheckpoint(run)).toBe(join(run, "ckpt-1000000"));
  });
});

test("resolveCheckpoint takes a checkpoint directory as it is and a stage's directory as its newest checkpoint", () => {
  const stage = tempDir();
  for (const step of [20, 100, 40]) saveCheckpoint(join(stage, checkpointName(step)), { config, params: hostParams(step) });
  mkdirSync(join(stage, checkpointName(300))); // incomplete: no files
  expect(resolveCheckpoint(join(stage, "ckpt-000040"))).toBe(join(stage, "ckpt-000040"));
  expect(resolveCheckpoint(stage)).toBe(join(stage, "ckpt-000100"));
  const empty = tempDir();
  expect(() => resolveCheckpoint(empty)).toThrow(CheckpointError);
  expect(() => resolveCheckpoint(empty)).toThrow(`${empty} is neither a checkpoint (no config.json) nor a directory of complete ckpt-<step> checkpoints`);
  expect(() => resolveCheckpoint(join(empty, "nope"))).toThrow(`${join(empty, "nope")} does not exist`);
});
