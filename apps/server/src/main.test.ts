import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyCheckpoint, writeTinyRewardCheckpoint } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

const main = join(import.meta.dir, "main.ts");
const env = { ...process.env, EGL_PLATFORM: "surfaceless", DATABASE_URL: "" };

/** The server's stdout up to and including its "listening on URL" line. */
async function untilListening(proc: { stdout: ReadableStream<Uint8Array> }): Promise<string> {
  const reader = proc.stdout.getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited early:\n${out}`);
    out += new TextDecoder().decode(value);
  }
  return out;
}

test("serve --no-train exits 2 with a hint when the run has no checkpoint", async () => {
  const proc = Bun.spawn(["bun", main, "--no-train", "--run", mkdtempSync(join(tmpdir(), "forno-empty-run-"))], { env, stderr: "pipe", stdout: "pipe" });
  expect(await proc.exited).toBe(2);
  expect(await new Response(proc.stderr).text()).toContain("bun run train");
});

test("serve with an unknown option exits 2 naming it and the options it takes", async () => {
  const proc = Bun.spawn(["bun", main, "--prot", "8001"], { env, stderr: "pipe", stdout: "pipe" });
  expect(await proc.exited).toBe(2);
  const err = (await new Response(proc.stderr).text()).trim();
  expect(err).toStartWith("serve: Unknown option '--prot'");
  expect(err).toEndWith("; options: --run, --host, --port, --api-key, --max-batch, --queue-limit, --no-train");
});

test("serve on a run without checkpoints trains a quick one first, says so, then serves it", async () => {
  const run = mkdtempSync(join(tmpdir(), "forno-untrained-run-"));
  const proc = Bun.spawn(["bun", main, "--run", run, "--port", "0"], { env, stdout: "pipe", stderr: "inherit" });
  const out = await untilListening(proc);
  expect(out).toContain("training a quick one first");
  const base = /listening on (\S+)/.exec(out)![1]!;
  const models = (await (await fetch(new URL("/v1/models", base))).json()) as { data: { id: string; checkpoint: string }[] };
  expect(models.data.map((m) => m.id)).toContain("forno-sft");
  expect(models.data.every((m) => m.checkpoint.startsWith(run))).toBe(true);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 300_000);

test("serve loads the run's newest checkpoints, answers, and stops on SIGTERM", async () => {
  const run = mkdtempSync(join(tmpdir(), "forno-run-"));
  await writeTinyCheckpoint(join(run, "pretrain", "ckpt-000001"));
  await writeTinyCheckpoint(join(run, "sft", "ckpt-000002"));
  await writeTinyRewardCheckpoint(join(run, "reward", "ckpt-000002"));
  const proc = Bun.spawn(["bun", main, "--run", run, "--port", "0"], { env, stdout: "pipe", stderr: "inherit" });
  const out = await untilListening(proc);
  const base = /listening on (\S+)/.exec(out)![1]!;
  const models = (await (await fetch(new URL("/v1/models", base))).json()) as { data: { id: string; checkpoint: string }[] };
  expect(models.data.map((m) => m.id)).toEqual(["forno-sft", "forno-base"]);
  expect(models.data[0]!.checkpoint).toBe(join(run, "sft", "ckpt-000002"));
  expect(out).toContain(`reward model ← ${join(run, "reward", "ckpt-000002")}`);
  const reranked = await fetch(new URL("/v1/completions", base), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "forno-sft", prompt: "hello", max_tokens: 3, best_of: 2, rerank: "reward" }),
  });
  expect(reranked.status).toBe(200);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
});
