import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSqliteStore, toJsonl, type Store } from "@forno/db";
import { encodePair, loadPreferences } from "@forno/rl";
import { UsageError } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { tinySftRuns } from "../testing/tiny-sft.ts";
import { readStorePairs, readStorePrompts } from "./feedback-store.ts";
import { dpoStage } from "./dpo.ts";
import { ppoStage } from "./ppo.ts";
import { rewardSources, STORE_SOURCE } from "./reward-data.ts";
import { rewardStage } from "./reward.ts";
import { loadSftPolicy } from "./rl-common.ts";

setDefaultTimeout(60_000);

const run = tinySftRuns();

const base = { model: "forno-sft", sampling: {}, tokenIds: [1], logprobs: null, promptTokens: 3, completionTokens: 1, latencyMs: 1, finishReason: "stop" };

/** What the server stores for a chat completion with n = 2 (one conversation, two choices), then feedback on it. */
async function storeFeedback(store: Store): Promise<void> {
  const messages = [{ role: "user" as const, content: "What is 12 + 30?" }];
  await store.saveResponses({ messages }, [{ ...base, id: "chatcmpl-1", choiceIndex: 0, text: "42" }, { ...base, id: "chatcmpl-1", choiceIndex: 1, text: "43" }]);
  await store.saveResponses({ messages: [{ role: "user", content: "hello" }] }, [{ ...base, id: "chatcmpl-2", choiceIndex: 0, text: "hi, how are you?" }, { ...base, id: "chatcmpl-2", choiceIndex: 1, text: "go away" }]);
  await store.addFeedback({ responseId: "chatcmpl-1", choiceIndex: 0, rating: 1 });
  await store.addFeedback({ responseId: "chatcmpl-1", choiceIndex: 1, rating: -1 });
  await store.addComparison({ chosen: { responseId: "chatcmpl-2", choiceIndex: 0 }, rejected: { responseId: "chatcmpl-2", choiceIndex: 1 } });
}

test("feedback stored through the server's store is the reward stage's training data with --from-db", async () => {
  const r = await run();
  const store = await openSqliteStore(join(r, "db")); // where `bun run serve --run r` keeps it
  await storeFeedback(store);
  await store.close();
  const opts = { run: r, preset: "smoke", "from-db": true, "db-only": true };
  const policy = await loadSftPolicy(opts, "reward");
  const sources = await rewardSources(opts, policy, resolvePreset(opts));
  expect(sources.map((s) => s.name)).toEqual([STORE_SOURCE]);
  const expected = [
    { prompt: [{ role: "user" as const, content: "hello" }], chosen: "hi, how are you?", rejected: "go away" },
    { prompt: [{ role: "user" as const, content: "What is 12 + 30?" }], chosen: "42", rejected: "43" },
  ].map((p) => encodePair(policy.tokenizer, p, policy.config.contextLength));
  expect(sources[0]!.train).toEqual(expected);

  // Mixed by default: the built-in sources stay, the store's pairs come on top.
  const mixed = await rewardSources({ ...opts, "db-only": false, hh: "none" }, policy, resolvePreset(opts));
  expect(mixed.map((s) => s.name)).toEqual(["arithmetic (right vs near miss)", "instructions (polite vs rude)", STORE_SOURCE]);

  await rewardStage({ ...opts, steps: 2 });
  expect(readFileSync(join(r, "reward", "report.md"), "utf8")).toContain(`| ${STORE_SOURCE} | 0 | — | — | only 2 pairs on 2 prompts, all used for training |`);
  expect(readFileSync(join(r, "reward", "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
});

test("feedback posted over HTTP to a running `bun run serve` is the reward stage's training data", async () => {
  const r = await run();
  const serve = Bun.spawn(["bun", join(import.meta.dir, "../../../server/src/main.ts"), "--run", r, "--port", "0"], {
    env: { ...process.env, EGL_PLATFORM: "surfaceless", DATABASE_URL: "" },
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const reader = serve.stdout.getReader();
    let out = "";
    while (!/listening on (\S+)/.test(out)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`serve exited early:\n${out}`);
      out += new TextDecoder().decode(value);
    }
    const base = /listening on (\S+)/.exec(out)![1]!;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(new URL(path, base), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      expect(res.status).toBeLessThan(300);
      return res.json() as Promise<{ id: string; choices: { message: { content: string } }[] }>;
    };
    const reply = await post("/v1/chat/completions", { model: "forno-sft", messages: [{ role: "user", content: "hello" }], n: 2, max_tokens: 6, temperature: 1, seed: 3 });
    await post("/v1/feedback", { response_id: reply.id, choice_index: 0, rating: 1 });
    await post("/v1/feedback", { response_id: reply.id, choice_index: 1, rating: -1 });
    serve.kill("SIGTERM");
    expect(await serve.exited).toBe(0);

    const opts = { run: r, preset: "smoke", "from-db": true, "db-only": true };
    const policy = await loadSftPolicy(opts, "reward");
    const [source] = await rewardSources(opts, policy, resolvePreset(opts));
    const [liked, disliked] = reply.choices.map((c) => c.message.content);
    const pair = { prompt: [{ role: "user" as const, content: "hello" }], chosen: liked!, rejected: disliked! };
    expect(source!.train).toEqual([encodePair(policy.tokenizer, pair, policy.config.contextLength)]);
  } finally {
    serve.kill();
  }
});

test("the export's JSONL (GET /v1/feedback/export) loads into the same pairs --from-db reads", async () => {
  const r = await run();
  const store = await openSqliteStore(join(r, "db"));
  await storeFeedback(store);
  const jsonl = toJsonl((await store.exportFeedback()).pairs); // the bytes the endpoint sends
  await store.close();
  const file = join(r, "export.jsonl");
  writeFileSync(file, jsonl);
  const loaded = loadPreferences(file);
  expect(loaded.skipped).toBe(0);
  expect(loaded.pairs).toEqual((await readStorePairs({ run: r, "from-db": join(r, "db", "forno.db") }, "reward"))!.pairs);
  expect(loaded.pairs).toHaveLength(2);
});

test("a store without usable pairs, or no store at all, is a usage error that says what it found", async () => {
  const r = await run();
  await expect(readStorePairs({ run: r, "from-db": true }, "reward")).rejects.toThrow(/no feedback store at .*db\/forno\.db/);
  const store = await openSqliteStore(join(r, "db"));
  await store.saveResponses({ prompt: "2+2=" }, [{ ...base, id: "cmpl-1", choiceIndex: 0, text: "4" }]);
  await store.addFeedback({ responseId: "cmpl-1", choiceIndex: 0, rating: 1 });
  await store.close();
  const err = await readStorePairs({ run: r, "from-db": true }, "reward").catch((e) => e);
  expect(err).toBeInstanceOf(UsageError);
  expect(err.message).toContain("no usable preference pairs");
  expect(err.message).toContain("found 0 comparisons (ties excluded) and 1 rated responses (1 liked, 0 disliked)");
});

test("PPO answers the prompts people rated: --from-db --db-only rolls out on the store's prompts", async () => {
  const r = await run();
  const store = await openSqliteStore(join(r, "db"));
  await storeFeedback(store);
  await store.saveResponses({ prompt: "tell me a joke" }, [{ ...base, id: "cmpl-3", choiceIndex: 0, text: "no" }]);
  await store.addFeedback({ responseId: "cmpl-3", choiceIndex: 0, rating: -1 }); // one-sided: no pair, but a prompt
  await store.close();
  const opts = { run: r, preset: "smoke", "from-db": true, "db-only": true };
  expect((await readStorePrompts(opts, "ppo"))!.prompts).toEqual([
    [{ role: "user", content: "hello" }],
    [{ role: "user", content: "What is 12 + 30?" }],
    [{ role: "user", content: "tell me a joke" }],
  ]);
  await rewardStage({ ...opts, steps: 1 });
  await ppoStage({ ...opts, steps: 1 });
  const [m] = readFileSync(join(r, "ppo", "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(m.step).toBe(1);
  expect(Number.isFinite(m.reward)).toBe(true);
});

test("DPO trains on the store's pairs with --from-db --db-only; --db-only without a store is a usage error", async () => {
  const r = await run();
  const store = await openSqliteStore(join(r, "db"));
  await storeFeedback(store);
  await store.close();
  await expect(dpoStage({ run: r, preset: "smoke", "db-only": true })).rejects.toThrow(/--db-only: give --from-db too/);
  const stats = await dpoStage({ run: r, preset: "smoke", steps: 2, "from-db": true, "db-only": true });
  expect(stats.map((s) => Number.isFinite(s.loss))).toEqual([true, true]);
  expect(stats[0]!.loss).toBeCloseTo(Math.LN2, 5); // the policy starts equal to the reference
});
