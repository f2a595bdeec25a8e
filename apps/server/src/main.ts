/**
 * `bun run serve`: serves the newest checkpoint of each stage of a pipeline run (default runs/default) on
 * 127.0.0.1:8000. Options: --run DIR, --host, --port, --api-key (or FORNO_API_KEY), --max-batch,
 * --queue-limit. The store is SQLite in <run>/db unless DATABASE_URL names a PostgreSQL server. The run's
 * reward model (<run>/reward), when there is one, ranks best_of candidates for `rerank: "reward"`.
 * A run with no checkpoint yet gets a quick one first (the trainer's `smoke` pipeline, about a minute,
 * said so on the console), unless --no-train, which exits 2 with a hint instead. SIGINT/SIGTERM shut down
 * gracefully.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openStore } from "@forno/db";
import { initRuntime } from "@forno/gpu";
import { createApp } from "./app.ts";
import { findRunCheckpoints, loadServedModel } from "./models.ts";
import { loadRunRewardModel } from "./reward.ts";
import { serve } from "./serve.ts";

const options = {
  run: { type: "string", default: "runs/default" },
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "8000" },
  "api-key": { type: "string" },
  "max-batch": { type: "string", default: "8" },
  "queue-limit": { type: "string", default: "64" },
  "no-train": { type: "boolean", default: false },
} as const;
let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options }>>["values"];
try {
  ({ values } = parseArgs({ args: Bun.argv.slice(2), options }));
} catch (e) {
  // An unknown option, or one missing its value: say which and what serve takes, without a stack trace.
  console.error(`serve: ${(e as Error).message}; options: ${Object.keys(options).map((o) => `--${o}`).join(", ")}`);
  process.exit(2);
}

const intArg = (name: string, raw: string, min: number) => {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) {
    console.error(`serve: --${name} must be an integer ≥ ${min}, got "${raw}"`);
    process.exit(2);
  }
  return v;
};
const port = intArg("port", values.port, 0);
const maxBatch = intArg("max-batch", values["max-batch"], 1);
const queueLimit = intArg("queue-limit", values["queue-limit"], 0);

const runDir = resolve(values.run);
let found = findRunCheckpoints(runDir);
if (found.length === 0) {
  const hint = `Run \`bun run train\` first (it writes runs/default), or pass --run DIR of a trained run.`;
  if (values["no-train"]) {
    console.error(`serve: no checkpoint found under ${runDir} (looked in pretrain/, sft/, grpo/, ppo/, dpo/).\n${hint}`);
    process.exit(2);
  }
  // Something to talk to at once: the smoke pipeline trains every stage in a few steps. Its answers are
  // noise; the real model is `bun run train` (about 25 minutes on a 2-core CPU).
  console.log(`serve: no checkpoint under ${runDir}; training a quick one first (bun run train --preset smoke, about a minute). Its answers are noise: ${hint}`);
  const trainer = Bun.spawn(["bun", join(import.meta.dir, "../../trainer/src/main.ts"), "--preset", "smoke", "--run", runDir], { stdout: "inherit", stderr: "inherit" });
  if ((await trainer.exited) !== 0) {
    console.error(`serve: the quick training failed (exit ${trainer.exitCode}); see its output above. ${hint}`);
    process.exit(1);
  }
  found = findRunCheckpoints(runDir);
}

await initRuntime();
const models = [];
for (const { id, dir } of found) {
  models.push(await loadServedModel(id, dir, { maxBatch, fallbackTokenizerDir: join(runDir, "tokenizer") }));
  console.log(`serve: ${id} ← ${dir}`);
}
const reward = loadRunRewardModel(runDir);
console.log(reward ? `serve: reward model ← ${reward.checkpoint} (best_of with rerank "reward")` : `serve: no reward model in ${join(runDir, "reward")}; best_of ranks by logprob only`);
const store = await openStore({ dataDir: join(runDir, "db") });
const app = createApp({ models, store, apiKey: values["api-key"] ?? process.env.FORNO_API_KEY, queueLimit, reward });
const server = serve(app, { host: values.host, port });
console.log(`serve: listening on ${server.url} (store: ${store.dialect}); OpenAI base URL ${new URL("/v1", server.url)}`);

const shutdown = async (signal: string) => {
  console.log(`serve: ${signal}, finishing in-flight requests…`);
  await server.stop();
  console.log("serve: stopped");
  process.exit(0);
};
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
