/**
 * The trainer as a user runs it: the smoke pipeline end to end, Ctrl-C saving a checkpoint, and kill -9
 * losing only the steps since the last checkpoint, after which --resume finishes the run.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const main = join(import.meta.dir, "main.ts");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempRun(): string {
  const d = mkdtempSync(join(tmpdir(), "forno-train-"));
  dirs.push(d);
  return d;
}

function train(args: string[]) {
  return Bun.spawn(["bun", main, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, EGL_PLATFORM: "surfaceless" } });
}

function metricSteps(run: string): number[] {
  const path = join(run, "pretrain", "metrics.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).step);
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting for the trainer");
    await Bun.sleep(100);
  }
}

test("the smoke pipeline runs every stage and writes the report, plot, metrics and checkpoints", async () => {
  const run = tempRun();
  const p = train(["--preset", "smoke", "--run", run, "--sampleTokens", "8"]);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
  expect(out).toContain("8/8 ops match");
  const report = readFileSync(join(run, "pretrain", "report.md"), "utf8");
  expect(report).toContain("bigram baseline");
  expect(report).toMatch(/bits per byte/);
  expect(readFileSync(join(run, "pretrain", "loss.svg"), "utf8")).toStartWith("<svg");
  expect(metricSteps(run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(existsSync(join(run, "pretrain", "ckpt-000008", "model.safetensors"))).toBe(true);
  expect(existsSync(join(run, "pretrain", "ckpt-000008", "tokenizer", "tokenizer.json"))).toBe(true);
  expect(existsSync(join(run, "sft", "ckpt-000006", "model.safetensors"))).toBe(true);
  const pipelineReport = readFileSync(join(run, "report.md"), "utf8");
  expect(pipelineReport).toContain("## Accuracy on held-out arithmetic");
  expect(pipelineReport).toMatch(/\| SFT \| step by step \| \d+\.\d% \(\d+\/4\) \|/);
  for (const row of ["SFT | best of 2 by reward model (direct)", "SFT | majority of 2 samples (direct)", "PPO | direct", "GRPO | step by step", "DPO | direct"]) expect(pipelineReport).toContain(`| ${row} |`);
  expect(pipelineReport).toMatch(/## RL against SFT, same format and problems[^]*\| GRPO \| step by step \| 4 \| \d+\.\d% \| \d+\.\d% \| [+−]\d+\.\d ± \d+\.\d \| (better|worse|no clear difference) \|/);
  expect(readFileSync(join(run, "reward", "report.md"), "utf8")).toMatch(/arithmetic \(right vs near miss\) \| 200 \| \d+\.\d%/);
  expect(pipelineReport).toMatch(/## Reward model: held-out pairwise accuracy[^]*\| HH-RLHF[^|]*\| \d+ \| \d+\.\d% ± \d+\.\d \| (at|above|below) chance \|/);

  const chat = Bun.spawn(["bun", join(import.meta.dir, "chat.ts"), "--run", run, "--maxTokens", "4"], {
    stdin: new TextEncoder().encode("What is 12 + 30?\n/reset\nHello\n"),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, EGL_PLATFORM: "surfaceless" },
  });
  const [chatOut, chatCode] = await Promise.all([new Response(chat.stdout).text(), chat.exited]);
  expect(chatCode).toBe(0);
  expect(chatOut).toContain(join(run, "sft", "ckpt-000006"));
  expect(chatOut.match(/assistant> /g)?.length).toBe(2);
  // A stage's directory means its newest checkpoint.
  const stageChat = Bun.spawn(["bun", join(import.meta.dir, "chat.ts"), join(run, "grpo")], { stdin: new TextEncoder().encode("/quit\n"), stdout: "pipe", stderr: "pipe", env: { ...process.env, EGL_PLATFORM: "surfaceless" } });
  const [stageOut, stageCode] = await Promise.all([new Response(stageChat.stdout).text(), stageChat.exited]);
  expect(stageCode).toBe(0);
  expect(stageOut).toMatch(new RegExp(`chat: ${join(run, "grpo", "ckpt-")}\\d{6} `));

  const exp = train(["export-hf", "--run", run]);
  expect(await exp.exited).toBe(0);
  const hf = JSON.parse(readFileSync(join(run, "hf", "config.json"), "utf8"));
  expect(hf.model_type).toBe("gpt2");
  expect(existsSync(join(run, "hf", "model.safetensors"))).toBe(true);
}, 180_000);

test("Ctrl-C saves a checkpoint at the current step and exits 130", async () => {
  const run = tempRun();
  const p = train(["pretrain", "--preset", "smoke", "--run", run, "--steps", "500", "--sampleTokens", "0"]);
  await waitFor(() => metricSteps(run).length >= 2, 120_000);
  p.kill("SIGINT");
  const code = await p.exited;
  expect(code).toBe(130);
  const steps = metricSteps(run);
  const last = steps.at(-1)!;
  expect(existsSync(join(run, "pretrain", `ckpt-${String(last).padStart(6, "0")}`, "model.safetensors"))).toBe(true);
}, 180_000);

test("kill -9 loses only the steps since the last checkpoint; --resume finishes the run", async () => {
  const run = tempRun();
  const args = ["pretrain", "--preset", "smoke", "--run", run, "--steps", "12", "--checkpointEvery", "3", "--sampleTokens", "0"];
  const p = train(args);
  await waitFor(() => existsSync(join(run, "pretrain", "ckpt-000003")) && metricSteps(run).length >= 4, 120_000);
  p.kill("SIGKILL");
  await p.exited;
  const q = train([...args, "--resume"]);
  const [out, code] = await Promise.all([new Response(q.stdout).text(), q.exited]);
  expect(code).toBe(0);
  expect(out).toContain("finished at step 12");
  expect(Number(/resumed from step (\d+)/.exec(out)?.[1])).toBeGreaterThanOrEqual(3);
  expect(metricSteps(run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
}, 240_000);

test("bad options give a usage error and exit 2", async () => {
  const p = train(["pretrain", "--preset", "huge"]);
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  expect(code).toBe(2);
  expect(err).toContain("unknown --preset 'huge'");
  // A mistyped option stops the run before any work instead of being ignored.
  const typo = train(["pretrain", "--step", "5", "--run", tempRun()]);
  const [typoErr, typoCode] = await Promise.all([new Response(typo.stderr).text(), typo.exited]);
  expect(typoCode).toBe(2);
  expect(typoErr.trim()).toBe("train: unknown option --step (did you mean --steps?); `bun run train help` lists the stages and their options");
  // A value that is not a number, and a corpus that is not there: each named, exit 2, no stack trace.
  for (const [args, said] of [
    [["eval", "--problems", "abc"], "train: --problems must be an integer ≥ 1, got 'abc'"],
    [["tokenizer", "--corpus", "/nonexistent/corpus.txt"], "train: expected a readable corpus file, got no file at /nonexistent/corpus.txt; check the path"],
  ] as const) {
    const q = train([...args, "--run", tempRun()]);
    const [qErr, qCode] = await Promise.all([new Response(q.stderr).text(), q.exited]);
    expect({ code: qCode, said: qErr.split("\n").filter((l) => l.startsWith("train:")) }).toEqual({ code: 2, said: [said] });
  }
  const chat = Bun.spawn(["bun", join(import.meta.dir, "chat.ts"), "--temp", "0.5"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, EGL_PLATFORM: "surfaceless" } });
  const [chatErr, chatCode] = await Promise.all([new Response(chat.stderr).text(), chat.exited]);
  expect(chatCode).toBe(2);
  expect(chatErr.trim()).toBe("chat: unknown option --temp (did you mean --temperature?); bun run chat takes --run, --temperature, --seed, --maxTokens");
});

test("a checkpoint path that is not one exits 2 with a message naming it, for the trainer and the chat", async () => {
  const empty = tempRun();
  const p = train(["sft", "--from", empty, "--run", tempRun()]);
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  expect(code).toBe(2);
  // Dawn may warn about its limits first.
  const said = err.split("\n").filter((l) => l && !l.startsWith("Warning:"));
  expect(said).toEqual([`train: ${empty} is neither a checkpoint (no config.json) nor a directory of complete ckpt-<step> checkpoints; pass one of those (e.g. runs/default/sft)`]);

  const missing = join(empty, "nope");
  const chat = Bun.spawn(["bun", join(import.meta.dir, "chat.ts"), missing], { stdout: "pipe", stderr: "pipe", env: { ...process.env, EGL_PLATFORM: "surfaceless" } });
  const [chatErr, chatCode] = await Promise.all([new Response(chat.stderr).text(), chat.exited]);
  expect(chatCode).toBe(2);
  expect(chatErr.split("\n").filter((l) => l && !l.startsWith("Warning:"))).toEqual([`chat: ${missing} does not exist; pass a checkpoint directory (ckpt-<step>) or a stage's directory that holds them (e.g. runs/default/sft)`]);
});
