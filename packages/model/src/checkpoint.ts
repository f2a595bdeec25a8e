/**
 * Checkpoints: one directory per save, written so that a crash at any moment leaves a complete
 * checkpoint (the old one or the new one) and never a half-written one. Layout:
 *
 *   ckpt-000100/
 *     config.json          GPTConfig fields + fornoVersion
 *     model.safetensors    parameters, F32, names from paramShapes(config)
 *     state.json           (optional) { step, dataCursor, rng, metadata }
 *     state.safetensors    (optional) optimizer moments "m.<param>" and "v.<param>", F32, param shapes
 *     tokenizer/           (optional) a copy of the tokenizer's files
 *
 * Saving writes into a temp directory beside the target, then swaps it in with renames (see
 * `saveCheckpoint`). One process writes a given checkpoint directory at a time. What the values mean
 * (how the trainer uses step, cursor and RNG state) is left to the trainer; this module stores them.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { fsyncDir, writeTextAtomic } from "./atomic-file.ts";
import { paramShapes, validateConfig, type GPTConfig } from "./config.ts";
import { CheckpointError, ConfigError } from "./errors.ts";
import { checkParams } from "./param-check.ts";
import { readSafetensors, writeSafetensors, type HostTensor } from "./safetensors.ts";

/** Training state saved beside the parameters; everything but the moments is free-form JSON. */
export interface TrainingState {
  /** Optimizer steps taken. */
  step: number;
  /** AdamW first moments by parameter name, each of its parameter's shape. */
  m?: Map<string, HostTensor>;
  /** AdamW second moments by parameter name. */
  v?: Map<string, HostTensor>;
  /** Where the data loader stands (e.g. TokenDataset cursors). */
  dataCursor?: unknown;
  /** RNG state(s) to resume sampling exactly (e.g. Rng.state()). */
  rng?: unknown;
  metadata?: Record<string, unknown>;
}

export interface CheckpointContents {
  config: GPTConfig;
  /** Parameters by name; on load, in paramShapes order. */
  params: Map<string, HostTensor>;
  state?: TrainingState;
}

export interface SaveCheckpointInput extends CheckpointContents {
  /** A tokenizer directory to copy into `tokenizer/`. */
  tokenizerDir?: string;
}

export interface LoadedCheckpoint extends CheckpointContents {
  /** forno version that wrote it. */
  fornoVersion: string;
  /** `<dir>/tokenizer` when the checkpoint has one. */
  tokenizerDir?: string;
}

/** The points between save steps where a crash leaves something different on disk (for tests). */
export type SaveStep = "written" | "staged" | "old-moved" | "installed";

export interface SaveOptions {
  /** Called after each step; throwing here simulates a crash at that point. */
  onStep?: (step: SaveStep) => void;
}

export const FORNO_VERSION: string = pkg.version;

/** `ckpt-000100` for step 100: zero-padded so names sort by step. */
export function checkpointName(step: number): string {
  return `ckpt-${String(step).padStart(6, "0")}`;
}

const siblings = (dir: string) => {
  const parent = dirname(dir);
  const base = basename(dir);
  return { parent, base, staged: join(parent, `.${base}.new`), old: join(parent, `.${base}.old`) };
};

/**
 * Saves atomically: (1) write everything into `.<name>.tmp-*` and fsync, (2) rename it to
 * `.<name>.new` (complete from here on), (3) rename an existing `<name>` to `.<name>.old`,
 * (4) rename `.new` to `<name>`, (5) delete `.old`. After a crash in (1) the target is untouched; after
 * (2) the old target is still in place; after (3) both the old and the new exist as `.old`/`.new`;
 * after (4) the new one is in place. `recoverCheckpoint` (run first by every save) finishes or undoes.
 */
export function saveCheckpoint(dir: string, input: SaveCheckpointInput, options: SaveOptions = {}): void {
  const { config, params, state, tokenizerDir } = input;
  validateConfig(config);
  checkParams("saveCheckpoint params", config, params, { of: (t) => (t.data instanceof Float32Array ? "F32" : "non-f32"), allowed: ["F32"] });
  if (state) checkMoments("saveCheckpoint state", params, state);
  if (tokenizerDir !== undefined && !(existsSync(tokenizerDir) && statSync(tokenizerDir).isDirectory())) {
    throw new CheckpointError(`tokenizerDir ${tokenizerDir} is not a directory; pass the directory the tokenizer was saved to, or omit it`);
  }
  const { parent, base, staged, old } = siblings(dir);
  mkdirSync(parent, { recursive: true });
  recoverCheckpoint(dir);
  const tmp = join(parent, `.${base}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  mkdirSync(tmp);
  try {
    writeSafetensors(join(tmp, "model.safetensors"), params, { format: "pt" });
    writeTextAtomic(join(tmp, "config.json"), JSON.stringify({ ...config, fornoVersion: FORNO_VERSION }, null, 2) + "\n");
    if (state) writeState(tmp, state);
    if (tokenizerDir !== undefined) cpSync(tokenizerDir, join(tmp, "tokenizer"), { recursive: true });
    fsyncDir(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  options.onStep?.("written");
  renameSync(tmp, staged);
  fsyncDir(parent);
  options.onStep?.("staged");
  if (existsSync(dir)) {
    renameSync(dir, old);
    options.onStep?.("old-moved");
  }
  renameSync(staged, dir);
  fsyncDir(parent);
  options.onStep?.("installed");
  rmSync(old, { recursive: true, force: true });
}

function writeState(tmp: string, state: TrainingState): void {
  const moments = new Map<string, HostTensor>();
  for (const [name, t] of state.m ?? []) moments.set(`m.${name}`, t);
  for (const [name, t] of state.v ?? []) moments.set(`v.${name}`, t);
  if (moments.size > 0) writeSafetensors(join(tmp, "state.safetensors"), moments);
  const json = { step: state.step, dataCursor: state.dataCursor, rng: state.rng, metadata: state.metadata ?? {} };
  writeTextAtomic(join(tmp, "state.json"), JSON.stringify(json, null, 2) + "\n");
}

/**
 * Brings `dir` back to one complete checkpoint after an interrupted save: if `dir` is missing, installs
 * `.new` (else restores `.old`); then deletes leftovers (`.new`, `.old`, `.tmp-*`). A no-op when clean.
 */
export function recoverCheckpoint(dir: string): void {
  const { parent, base, staged, old } = siblings(dir);
  if (!existsSync(dir)) {
    if (existsSync(staged)) renameSync(staged, dir);
    else if (existsSync(old)) renameSync(old, dir);
  }
  rmSync(staged, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) if (name.startsWith(`.${base}.tmp-`)) rmSync(join(parent, name), { recursive: true, force: true });
  fsyncDir(parent);
}

/** Loads a checkpoint and checks it against its own config.json and, if given, `expected`. */
export function loadCheckpoint(dir: string, expected?: GPTConfig): LoadedCheckpoint {
  if (!existsSync(dir)) {
    const { staged, old } = siblings(dir);
    const left = [staged, old].filter(existsSync);
    const hint = left.length > 0 ? `; an interrupted save left ${left.join(" and ")}: call recoverCheckpoint("${dir}") to finish it` : "; check the path (latestCheckpoint(runDir) finds the newest)";
    throw new CheckpointError(`checkpoint ${dir} does not exist${hint}`);
  }
  const configPath = join(dir, "config.json");
  const { fornoVersion, ...fields } = readJson(configPath) as GPTConfig & { fornoVersion?: unknown };
  let config: GPTConfig;
  try {
    config = validateConfig(fields);
  } catch (err) {
    if (err instanceof ConfigError) throw new CheckpointError(`${configPath}: ${err.message}`);
    throw err;
  }
  if (expected) {
    const diffs = (Object.keys(config) as (keyof GPTConfig)[]).filter((k) => config[k] !== expected[k]).map((k) => `${k}: expected ${expected[k]}, got ${config[k]}`);
    if (diffs.length > 0) throw new CheckpointError(`${configPath} differs from the expected config:\n  ${diffs.join("\n  ")}\nLikely fix: load with the checkpoint's own config (omit expected) or pick the matching checkpoint.`);
  }
  const modelPath = join(dir, "model.safetensors");
  const { tensors } = readSafetensors(modelPath);
  checkParams(modelPath, config, tensors, { of: (t) => t.dtype, allowed: ["F32"] });
  // checkParams guarantees exactly the config's names, so this is paramShapes order with nothing dropped.
  const params = new Map(paramShapes(config).map(({ name }) => [name, { shape: tensors.get(name)!.shape, data: tensors.get(name)!.data as Float32Array }]));
  const loaded: LoadedCheckpoint = { config, params, fornoVersion: typeof fornoVersion === "string" ? fornoVersion : "unknown" };
  if (existsSync(join(dir, "state.json"))) loaded.state = readState(dir, params);
  if (existsSync(join(dir, "tokenizer"))) loaded.tokenizerDir = join(dir, "tokenizer");
  return loaded;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new CheckpointError(`${path} is missing; the directory is not a forno checkpoint (or is incomplete)`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CheckpointError(`${path}: not valid JSON (${(err as Error).message}); the checkpoint is damaged`);
  }
}

function readState(dir: string, params: Map<string, HostTensor>): TrainingState {
  const statePath = join(dir, "state.json");
  const json = readJson(statePath) as Partial<TrainingState>;
  if (typeof json.step !== "number" || !Number.isSafeInteger(json.step) || json.step < 0) {
    throw new CheckpointError(`${statePath}: expected "step" to be an integer ≥ 0, got ${JSON.stringify(json.step)}`);
  }
  const state: TrainingState = { step: json.step, dataCursor: json.dataCursor, rng: json.rng, metadata: json.metadata ?? {} };
  const momentsPath = join(dir, "state.safetensors");
  if (existsSync(momentsPath)) {
    const { tensors } = readSafetensors(momentsPath);
    state.m = new Map();
    state.v = new Map();
    for (const [key, t] of tensors) {
      const which = key.startsWith("m.") ? state.m : key.startsWith("v.") ? state.v : null;
      if (!which || t.dtype !== "F32") throw new CheckpointError(`${momentsPath}: unexpected tensor "${key}" (${t.dtype}); expected F32 "m.<param>" or "v.<param>"`);
      which.set(key.slice(2), { shape: t.shape, data: t.data as Float32Array });
    }
    checkMoments(momentsPath, params, state);
  }
  return state;
}

/** Every moment names a parameter and has its shape; m and v cover the same parameters. */
function checkMoments(source: string, params: ReadonlyMap<string, { shape: readonly number[] }>, state: TrainingState): void {
  const problems: string[] = [];
  for (const [kind, moments] of [["m", state.m], ["v", state.v]] as const) {
    for (const [name, t] of moments ?? []) {
      const p = params.get(name);
      if (!p) problems.push(`${kind}.${name}: no parameter of that name`);
      else if (p.shape.join(",") !== t.shape.join(",")) problems.push(`${kind}.${name}: expected [${p.shape.join(", ")}], got [${t.shape.join(", ")}]`);
      else if (!(t.data instanceof Float32Array) || t.data.length !== p.shape.reduce((a, b) => a * b, 1)) problems.push(`${kind}.${name}: expected ${p.shape.reduce((a, b) => a * b, 1)} f32 values`);
    }
  }
  const mNames = [...(state.m?.keys() ?? [])].sort().join(",");
  const vNames = [...(state.v?.keys() ?? [])].sort().join(",");
  if (mNames !== vNames) problems.push("m and v moments cover different parameters");
  if (problems.length > 0) throw new CheckpointError(`${source}: optimizer moments do not fit the parameters:\n  ${problems.join("\n  ")}`);
}

/**
 * The checkpoint a user means by `path`: the path itself when it is a checkpoint directory, else the newest
 * checkpoint in it (a stage's directory, e.g. runs/default/sft). Throws CheckpointError saying what it
 * looked for when `path` is neither.
 */
export function resolveCheckpoint(path: string): string {
  if (!existsSync(path)) throw new CheckpointError(`${path} does not exist; pass a checkpoint directory (ckpt-<step>) or a stage's directory that holds them (e.g. runs/default/sft)`);
  if (existsSync(join(path, "config.json"))) return path;
  const latest = latestCheckpoint(path);
  if (!latest) throw new CheckpointError(`${path} is neither a checkpoint (no config.json) nor a directory of complete ckpt-<step> checkpoints; pass one of those (e.g. runs/default/sft)`);
  return latest;
}

/** The newest complete `ckpt-<step>` directory under `runDir`, or null; temp dirs from a crash are ignored. */
export function latestCheckpoint(runDir: string): string | null {
  if (!existsSync(runDir)) return null;
  let best: { step: number; path: string } | null = null;
  for (const name of readdirSync(runDir)) {
    const match = /^ckpt-(\d+)$/.exec(name);
    if (!match) continue;
    const path = join(runDir, name);
    if (!existsSync(join(path, "config.json")) || !existsSync(join(path, "model.safetensors"))) continue;
    const step = Number(match[1]);
    if (!best || step > best.step) best = { step, path };
  }
  return best?.path ?? null;
}
