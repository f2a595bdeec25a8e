/**
 * `bun run chat [checkpoint] [--run DIR] [--temperature T] [--seed N] [--maxTokens N]`: a terminal chat
 * with the assistant (default: the newest SFT checkpoint of runs/default; a stage's directory, e.g.
 * runs/default/grpo, means its newest checkpoint), streaming tokens as they are sampled. Commands: /reset
 * clears the conversation, /quit (or Ctrl-D) leaves. The conversation is cut from the front to fit the
 * model's context.
 */
import { createInterface } from "node:readline";
import { initRuntime } from "@forno/gpu";
import { Engine, GPT, latestCheckpoint, loadCheckpoint, resolveCheckpoint, Rng, type LoadedCheckpoint } from "@forno/model";
import { loadTokenizer, renderPrompt, ROLE_TOKENS, StreamDecoder, type ChatMessage, type Tokenizer } from "@forno/tokenizer";
import { checkOptions, isInputError, numberOption, parseArgs } from "./args.ts";
import { CHAT_FLAGS } from "./options.ts";
import { runPaths, type RunPaths } from "./run-dir.ts";

let paths: RunPaths;
let temperature: number;
let seed: number;
let maxTokens: number;
let dir: string | null;
let ck: LoadedCheckpoint;
let tok: Tokenizer;
try {
  const { stage, options } = parseArgs(process.argv.slice(2));
  checkOptions(options, new Set(CHAT_FLAGS), `bun run chat takes ${CHAT_FLAGS.map((f) => `--${f}`).join(", ")}`);
  temperature = numberOption(options, "temperature", 0.7);
  seed = numberOption(options, "seed", Date.now() % 2 ** 31, { integer: true });
  maxTokens = numberOption(options, "maxTokens", 96, { min: 1, integer: true });
  paths = runPaths(options);
  dir = stage ? resolveCheckpoint(stage) : (latestCheckpoint(paths.sft) ?? latestCheckpoint(paths.pretrain));
  if (!dir) {
    console.error(`chat: no checkpoint found in ${paths.sft} or ${paths.pretrain}; run \`bun run train\` first, or pass a checkpoint directory`);
    process.exit(2);
  }
  ck = loadCheckpoint(dir);
  tok = await loadTokenizer(ck.tokenizerDir ?? paths.tokenizer);
} catch (e) {
  // A bad option, a wrong path, a damaged checkpoint or tokenizer: the message says which and why.
  if (!isInputError(e)) throw e;
  console.error(`chat: ${e.message}`);
  process.exit(2);
}
await initRuntime();
const model = new GPT(ck.config, new Map([...ck.params].map(([k, v]) => [k, v.data])));
const engine = new Engine(model, { maxBatch: 1 });
const end = tok.specialId(ROLE_TOKENS.assistant.end);
const rng = Rng.fromSeed(seed);
console.log(`chat: ${dir} (${ck.config.nLayer} layers, context ${ck.config.contextLength} tokens); /reset, /quit`);

const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
let messages: ChatMessage[] = [];
let closed = false;
rl.on("close", () => (closed = true));
const ask = () => closed || rl.prompt();
rl.setPrompt("you> ");
ask();
for await (const raw of rl) {
  const line = raw.trim();
  if (line === "/quit") break;
  if (line === "/reset" || !line) {
    if (line) messages = [];
    ask();
    continue;
  }
  if (!process.stdin.isTTY) console.log(line);
  messages.push({ role: "user", content: line });
  let prompt = renderPrompt(tok, { messages });
  while (prompt.length > ck.config.contextLength - 16 && messages.length > 1) {
    messages = messages.slice(1);
    prompt = renderPrompt(tok, { messages });
  }
  const stream = new StreamDecoder(tok);
  process.stdout.write("assistant> ");
  const input = prompt.slice(-(ck.config.contextLength - 1));
  const [result] = await engine.generate(
    [{ prompt: input, maxTokens: Math.min(maxTokens, ck.config.contextLength - input.length), temperature, topK: 40, stop: [[end]], seed: rng.int(2 ** 31) }],
    { onToken: (_, id) => process.stdout.write(stream.push(id)) },
  );
  process.stdout.write(stream.flush() + "\n");
  messages.push({ role: "assistant", content: tok.decode(result!.tokens) });
  ask();
}
rl.close();
process.exit(0);
