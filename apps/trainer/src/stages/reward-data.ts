/**
 * The reward model's preference pairs, one named source each with its own held-out split: arithmetic
 * (the right answer over a near miss), instructions (polite over rude), HH-RLHF helpful dialogues (the
 * embedded subset, or `--hh FILE`; `--hh none` leaves them out) and, with `--from-db`, the server's
 * feedback store. By default the store's pairs are mixed with the built-in ones (a young store holds
 * few pairs, and the PPO and best-of-N stages still need a reward model that knows arithmetic);
 * `--db-only` trains on the store alone.
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import type { RunPreset } from "../presets.ts";
import { encodePair, loadPreferences, type EncodedPair, type PreferencePair } from "@forno/rl";
import { UsageError, type Options } from "../args.ts";
import { DATA_DIR } from "../run-dir.ts";
import { readStorePairs } from "./feedback-store.ts";
import { arithmeticPairs, type Policy } from "./rl-common.ts";

export interface Source {
  name: string;
  train: EncodedPair[];
  heldOut: EncodedPair[];
  /** Why nothing is held out, when nothing is. */
  note?: string;
}

export const HH_SOURCE = "HH-RLHF helpful";
export const STORE_SOURCE = "feedback store";
export const HH_FILE = join(DATA_DIR, "hh-rlhf-helpful.jsonl");

/** One in `every` keys is held out, by a salted sha256: stable across runs and machines. */
function heldOutByHash(salt: string, key: string, every: number): boolean {
  return parseInt(createHash("sha256").update(`${salt}:${key}`).digest("hex").slice(0, 8), 16) % every === 0;
}

/**
 * HH-RLHF records that open with the same Human turn are continuations of one conversation, so a held-out
 * pair must not share its first turn with a training pair: a quarter of the first turns are held out whole.
 */
const hhHeldOut = (p: PreferencePair) => heldOutByHash("forno-hh-split", p.prompt.find((m) => m.role === "user")?.content ?? "", 4);

const promptKey = (p: PreferencePair) => JSON.stringify(p.prompt.map((m) => [m.role, m.content]));

/** A tenth of the store's prompts (whole conversations up to the answer) are held out. */
const storeHeldOut = (p: PreferencePair) => heldOutByHash("forno-store-split", promptKey(p), 10);

export async function rewardSources(opts: Options, policy: Policy, preset: RunPreset): Promise<Source[]> {
  const T = policy.config.contextLength;
  const enc = (pairs: PreferencePair[]) => pairs.map((p) => encodePair(policy.tokenizer, p, T));
  const everyTenth = (name: string, pairs: PreferencePair[]): Source => {
    const e = enc(pairs);
    return { name, train: e.filter((_, i) => i % 10 !== 0), heldOut: e.filter((_, i) => i % 10 === 0) };
  };
  const store = await readStorePairs(opts, "reward");
  const sources: Source[] = [];
  if (opts["db-only"]) {
    if (!store) throw new UsageError("reward --db-only: give --from-db too (the store to train on)");
  } else {
    sources.push(everyTenth("arithmetic (right vs near miss)", arithmeticPairs(2000, 11, preset.task)));
    sources.push(everyTenth("instructions (polite vs rude)", loadPreferences(join(DATA_DIR, "preference-rasbt.jsonl")).pairs));
    if (opts.hh !== "none" && opts.hh !== false) {
      const hh = loadPreferences(opts.hh === undefined || opts.hh === true ? HH_FILE : resolve(String(opts.hh))).pairs;
      sources.push({ name: HH_SOURCE, train: enc(hh.filter((p) => !hhHeldOut(p))), heldOut: enc(hh.filter(hhHeldOut)) });
    }
  }
  if (store) {
    console.log(`reward: ${store.pairs.length} pairs from ${store.where} (${store.comparisons} comparisons; ${store.liked} liked and ${store.disliked} disliked responses)`);
    // Ratings pair every liked answer of a prompt with every disliked one, so pairs of one prompt share
    // responses: hold out whole prompts (a tenth, by hash). Under ten pairs, or when the split leaves a
    // side empty, all of them are worth more as training data.
    const heldOut = store.pairs.filter(storeHeldOut);
    const train = store.pairs.filter((p) => !storeHeldOut(p));
    sources.push(store.pairs.length >= 10 && heldOut.length > 0 && train.length > 0
      ? { name: STORE_SOURCE, train: enc(train), heldOut: enc(heldOut) }
      : { name: STORE_SOURCE, train: enc(store.pairs), heldOut: [], note: `only ${store.pairs.length} pairs on ${new Set(store.pairs.map(promptKey)).size} prompts, all used for training` });
  }
  return sources;
}
