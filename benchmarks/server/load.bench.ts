/**
 * Server under load: 1, 8 and 32 concurrent streaming clients over loopback against `bun run serve`'s entry
 * point (a separate process, as deployed) serving a random-weight `tiny` checkpoint, beside the same
 * requests driven through the engine directly in this process. Each client sends its requests one after
 * another (a closed loop): 16-token prompts, 64 new tokens at most (the end-of-text token may end one
 * sooner; seeds make both paths generate the same tokens), stored in SQLite like any completion.
 * Both paths are warmed at every concurrency first (pipeline compiles), then measured in turns, engine and
 * server alternately (which goes first alternates too), several turns per concurrency, so load from other
 * work on a shared machine hits both alike; at 1 client, whose overhead is a goal, the two paths' requests
 * alternate one by one within a pair of turns, and there are more turns. Reports the median tokens/s over the turns, request latency p50/p99 and time to first
 * token p50 over all their requests, and errors; then the server's overhead at 1 client and its aggregate
 * tokens/s at 32 clients over 1 (the goals: ≤ 10% and ≥ 4×).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initRuntime } from "@forno/gpu";
import { Engine, GPT, initParams, makeConfig, paramShapes, saveCheckpoint, type GenerateRequest } from "@forno/model";
import { ENDOFTEXT, saveTokenizer, trainTokenizer } from "@forno/tokenizer";
import { machine, report, type Row } from "../harness.ts";

const PROMPT = 16;
const NEW = 64;
/** Requests per client per turn and turns per path at each concurrency: about a minute in all on a CPU adapter. */
const PLAN = [
  { clients: 1, each: 6, turns: 7 },
  { clients: 8, each: 3, turns: 3 },
  { clients: 32, each: 2, turns: 3 },
];

const rt = await initRuntime();

// A tiny-preset checkpoint with a 512-token tokenizer, in a run directory the server can serve.
const text = "The quick brown fox jumps over the lazy dog; 12 + 30 = 42, and a stitch in time saves nine.\n".repeat(200);
const { tokenizer } = trainTokenizer([text], { vocabSize: 512 });
const run = mkdtempSync(join(tmpdir(), "forno-load-"));
const tokDir = join(run, "tokenizer");
await saveTokenizer(tokenizer, tokDir);
const config = makeConfig("tiny", { vocabSize: tokenizer.vocabSize });
const weights = initParams(config, 1);
saveCheckpoint(join(run, "sft", "ckpt-000001"), { config, tokenizerDir: tokDir, params: new Map(paramShapes(config).map(({ name, shape }) => [name, { shape, data: weights.get(name)! }])) });
const eosId = tokenizer.specialId(ENDOFTEXT);
const maxBatch = Math.max(...PLAN.map((p) => p.clients));

const promptOf = (client: number): number[] => Array.from({ length: PROMPT }, (_, t) => (client * 31 + t * 7) % 256);
const seedOf = (client: number, i: number) => client * 1000 + i;

interface Sample {
  ms: number;
  ttftMs: number;
  tokens: number;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

/** One turn of one path at one concurrency. */
interface Turn {
  samples: Sample[];
  wallMs: number;
  errors: number;
}

function row(path: string, clients: number, turns: Turn[]): Row {
  const samples = turns.flatMap((t) => t.samples);
  const tps = turns.map((t) => (t.samples.reduce((a, s) => a + s.tokens, 0) / t.wallMs) * 1000);
  return {
    path,
    clients,
    requests: samples.length,
    tokens: samples.reduce((a, s) => a + s.tokens, 0),
    "tokens/s": quantile(tps, 0.5),
    "p50 ms": quantile(samples.map((s) => s.ms), 0.5),
    "p99 ms": quantile(samples.map((s) => s.ms), 0.99),
    "TTFT p50 ms": quantile(samples.map((s) => s.ttftMs), 0.5),
    errors: turns.reduce((a, t) => a + t.errors, 0),
  };
}

/** The engine alone: each round sends every client's next request (requests `first` .. `first + each − 1`) in one generate call. */
async function engineLoad(engine: Engine, clients: number, each: number, maxTokens = NEW, first = 0): Promise<Turn> {
  const samples: Sample[] = [];
  const t0 = performance.now();
  for (let i = first; i < first + each; i++) {
    const start = performance.now();
    const firstAt: number[] = [];
    const reqs: GenerateRequest[] = Array.from({ length: clients }, (_, c) => ({ prompt: promptOf(c), maxTokens, temperature: 1, seed: seedOf(c, i) }));
    await engine.generate(reqs, {
      onToken: (c) => (firstAt[c] ??= performance.now() - start),
      onFinish: (c, r) => samples.push({ ms: performance.now() - start, ttftMs: firstAt[c] ?? performance.now() - start, tokens: r.tokens.length }),
    });
  }
  return { samples, wallMs: performance.now() - t0, errors: 0 };
}

/** One streamed completion: its latency, time to the first text, and completion tokens from the usage chunk. */
async function streamOnce(base: URL, client: number, i: number, maxTokens: number): Promise<Sample> {
  const start = performance.now();
  const res = await fetch(new URL("/v1/completions", base), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "forno-sft", prompt: promptOf(client), max_tokens: maxTokens, temperature: 1, seed: seedOf(client, i), stream: true, stream_options: { include_usage: true } }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttftMs = -1;
  let tokens = -1;
  let done = false;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const bytes of res.body!) {
    buffer += decoder.decode(bytes, { stream: true });
    const events = buffer.split("\n\n");
    buffer = events.pop()!;
    for (const e of events) {
      const data = e.slice("data: ".length);
      if (data === "[DONE]") done = true;
      else {
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        if (ttftMs < 0 && chunk.choices[0]?.text) ttftMs = performance.now() - start;
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
      }
    }
  }
  if (!done || tokens < 0) throw new Error("the stream ended without usage and [DONE]");
  const ms = performance.now() - start;
  return { ms, ttftMs: ttftMs < 0 ? ms : ttftMs, tokens };
}

async function serverLoad(base: URL, clients: number, each: number, maxTokens = NEW, first = 0): Promise<Turn> {
  const samples: Sample[] = [];
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = first; i < first + each; i++) {
        try {
          samples.push(await streamOnce(base, c, i, maxTokens));
        } catch (err) {
          errors++;
          console.error(`client ${c} request ${i}: ${(err as Error).message}`);
        }
      }
    }),
  );
  return { samples, wallMs: performance.now() - t0, errors };
}

const engine = new Engine(new GPT(config, weights), { maxBatch, eosId });
const server = Bun.spawn(["bun", join(import.meta.dir, "../../apps/server/src/main.ts"), "--run", run, "--port", "0", "--max-batch", String(maxBatch), "--queue-limit", "256"], {
  env: { ...process.env, EGL_PLATFORM: "surfaceless", DATABASE_URL: "" },
  stdout: "pipe",
  stderr: "inherit",
});
let out = "";
const reader = server.stdout.getReader();
while (!/listening on (\S+)/.test(out)) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`the server exited before listening:\n${out}`);
  out += new TextDecoder().decode(value);
}
const base = new URL(/listening on (\S+)/.exec(out)![1]!);

/**
 * 1 client: the two paths' requests alternate one by one (which goes first alternates too) and each path's
 * turn is timed over its own requests, so a burst of load from other work hits both alike: whole turns of
 * one path (~0.6 s) swung by ±25% from turn to turn under load from other work on this machine.
 */
async function pairedTurns(each: number): Promise<{ engine: Turn; server: Turn }> {
  const turns = { engine: { samples: [], wallMs: 0, errors: 0 } as Turn, server: { samples: [], wallMs: 0, errors: 0 } as Turn };
  const add = (into: Turn, t: Turn) => {
    into.samples.push(...t.samples);
    into.wallMs += t.wallMs;
    into.errors += t.errors;
  };
  for (let i = 0; i < each; i++) {
    const engineRequest = async () => add(turns.engine, await engineLoad(engine, 1, 1, NEW, i));
    const serverRequest = async () => add(turns.server, await serverLoad(base, 1, 1, NEW, i));
    for (const request of i % 2 === 0 ? [engineRequest, serverRequest] : [serverRequest, engineRequest]) await request();
  }
  return turns;
}

// Short rounds at every concurrency compile each path's pipelines for the batch sizes it will see.
for (const { clients } of PLAN) {
  await engineLoad(engine, clients, 1, 8);
  await serverLoad(base, clients, 1, 8);
}
const rows: Row[] = [];
for (const { clients, each, turns: n } of PLAN) {
  const turns = { engine: [] as Turn[], server: [] as Turn[] };
  for (let r = 0; r < n; r++) {
    if (clients === 1) {
      const paired = await pairedTurns(each);
      turns.engine.push(paired.engine);
      turns.server.push(paired.server);
      continue;
    }
    const engineTurn = async () => turns.engine.push(await engineLoad(engine, clients, each));
    const serverTurn = async () => turns.server.push(await serverLoad(base, clients, each));
    for (const turn of r % 2 === 0 ? [engineTurn, serverTurn] : [serverTurn, engineTurn]) await turn();
  }
  rows.push(row("engine", clients, turns.engine), row("server (SSE over loopback)", clients, turns.server));
}
engine.dispose();
server.kill("SIGTERM");
await server.exited;

const tps = (path: string, clients: number) => rows.find((r) => String(r.path).startsWith(path) && r.clients === clients)!["tokens/s"] as number;
const overhead = 1 - tps("server", 1) / tps("engine", 1);
const scaling = tps("server", 32) / tps("server", 1);
report(`Server load: ${PROMPT}-token prompts, ≤ ${NEW} new tokens, closed-loop streaming clients (tiny, ${maxBatch} slots, median of ${PLAN.map((p) => p.turns).join("/")} turns)`, machine(rt.info), rows);
console.log(`\nserver overhead at 1 client: ${(overhead * 100).toFixed(1)}% of engine tokens/s (goal ≤ 10%)`);
console.log(`server aggregate tokens/s at 32 clients: ${scaling.toFixed(2)}× 1 client (goal ≥ 4×)`);
console.log(`errors: ${rows.reduce((a, r) => a + (r.errors as number), 0)}`);
