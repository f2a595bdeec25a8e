/**
 * Tokenizer benchmark: @forno/tokenizer against gpt-tokenizer, tiktoken (WASM) and js-tiktoken,
 * side by side in one process on ~5 MB of English text from ../shared/data with the GPT-2
 * (r50k_base) ranks, plus training an 8,192-token vocabulary on the same text. Prints a markdown
 * table with the machine it ran on; `--json` prints the same figures for scripts.
 *
 * Fairness on a shared machine: timed runs are interleaved (round r runs every tokenizer once,
 * starting from a different one each round), so a burst of load from other jobs lands on all of
 * them rather than on whichever ran during it; each figure is the median over rounds. A decode's
 * timed region ends with comparing its string to the input, so a lazily built string (a rope of
 * per-token strings, as gpt-tokenizer returns) pays for being flattened, as any caller would.
 */

import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { Tokenizer, trainTokenizer } from "@forno/tokenizer";
import { decode as gptTokDecode, encode as gptTokEncode } from "gpt-tokenizer/encoding/r50k_base";
import { Tiktoken as JsTiktoken } from "js-tiktoken/lite";
import gpt2Ranks from "js-tiktoken/ranks/gpt2";
import { get_encoding } from "tiktoken";

const ENCODE_RUNS = 5;
/** Decoding 5 MB takes milliseconds, so more rounds cost little and steady the median. */
const DECODE_RUNS = 21;
const TARGET_BYTES = 5_000_000;
const TRAIN_VOCAB = 8192;

function corpus(): string {
  const data = join(import.meta.dir, "..", "..", "..", "shared", "data");
  const parts = [readFileSync(join(data, "tinyshakespeare", "input.txt"), "utf8"), readFileSync(join(data, "alice", "alice.txt"), "utf8")];
  let bytes = parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
  for (const line of readFileSync(join(data, "gsm8k", "train.jsonl"), "utf8").split("\n")) {
    if (!line || bytes >= TARGET_BYTES) continue;
    const { question, answer } = JSON.parse(line) as { question: string; answer: string };
    const text = `${question}\n${answer}\n\n`;
    parts.push(text);
    bytes += Buffer.byteLength(text);
  }
  return parts.join("\n");
}

/** GPT-2 ranks from js-tiktoken's packed lines ("<tag> <first rank> <base64>...") in our form. */
function gpt2Vocabulary(): Tokenizer {
  const tokens: Uint8Array[] = [];
  for (const line of gpt2Ranks.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, first, ...b64] = line.split(" ");
    b64.forEach((t, i) => (tokens[Number(first) + i] = Uint8Array.fromBase64(t)));
  }
  return new Tokenizer({ tokens, specials: gpt2Ranks.special_tokens, pattern: "gpt2" });
}

interface Peer {
  name: string;
  encode(text: string): ArrayLike<number>;
  decode(ids: ArrayLike<number>): string;
}

function peers(): Peer[] {
  const ours = gpt2Vocabulary();
  const wasm = get_encoding("r50k_base");
  const utf8 = new TextDecoder();
  const js = new JsTiktoken(gpt2Ranks);
  return [
    { name: "@forno/tokenizer", encode: (t) => ours.encode(t), decode: (ids) => ours.decode(ids) },
    { name: "gpt-tokenizer 4.0.0", encode: (t) => gptTokEncode(t), decode: (ids) => gptTokDecode(ids as number[]) },
    { name: "tiktoken 1.0.22 (WASM)", encode: (t) => wasm.encode(t), decode: (ids) => utf8.decode(wasm.decode(ids as Uint32Array)) },
    { name: "js-tiktoken 1.0.21", encode: (t) => js.encode(t), decode: (ids) => js.decode(ids as number[]) },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median seconds per peer of `runs` interleaved rounds after one warm-up call each (which fills
 * caches and JITs). Round r starts at peer r mod P.
 */
function timeInterleaved<T>(count: number, runs: number, fn: (peer: number) => T): { seconds: number[]; results: T[] } {
  const results = Array.from({ length: count }, (_, p) => fn(p));
  const seconds: number[][] = Array.from({ length: count }, () => []);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < count; k++) {
      const p = (r + k) % count;
      const t0 = performance.now();
      results[p] = fn(p);
      seconds[p].push((performance.now() - t0) / 1000);
    }
  }
  return { seconds: seconds.map(median), results };
}

function machine() {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown";
  return { cpu: model.trim(), cores: cpus().length, runtime: `Bun ${Bun.version}`, date: new Date().toISOString().slice(0, 10), loadAverage: +loadavg()[0].toFixed(1) };
}

const text = corpus();
const textBytes = Buffer.byteLength(text);
const all = peers();
const enc = timeInterleaved(all.length, ENCODE_RUNS, (p) => all[p].encode(text));
const dec = timeInterleaved(all.length, DECODE_RUNS, (p) => all[p].decode(enc.results[p]) === text);
const results = all.map((peer, p) => {
  if (!dec.results[p]) throw new Error(`${peer.name} did not round-trip the benchmark text`);
  const ids = Array.from(enc.results[p]);
  return { name: peer.name, tokens: ids.length, ids, encodeMBps: textBytes / 1e6 / enc.seconds[p], decodeMTokps: ids.length / 1e6 / dec.seconds[p] };
});
const [ours, ...others] = results;
for (const r of others) {
  if (r.tokens !== ours.tokens || r.ids.some((id, i) => id !== ours.ids[i])) throw new Error(`${r.name} disagrees with @forno/tokenizer on the ids`);
}
const t0 = performance.now();
trainTokenizer([text], { vocabSize: TRAIN_VOCAB, progress: false });
const trainSeconds = (performance.now() - t0) / 1000;

const report = {
  machine: machine(),
  text: { bytes: textBytes, tokens: ours.tokens, ranks: "r50k_base (GPT-2)", encodeRuns: ENCODE_RUNS, decodeRuns: DECODE_RUNS, statistic: "median of interleaved rounds after 1 warm-up" },
  results: results.map(({ name, encodeMBps, decodeMTokps }) => ({
    name,
    encodeMBps: +encodeMBps.toFixed(2),
    decodeMTokps: +decodeMTokps.toFixed(2),
    oursEncodeRatio: +(ours.encodeMBps / encodeMBps).toFixed(2),
    oursDecodeRatio: +(ours.decodeMTokps / decodeMTokps).toFixed(2),
  })),
  train: { vocabSize: TRAIN_VOCAB, seconds: +trainSeconds.toFixed(2) },
};

if (Bun.argv.includes("--json")) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const m = report.machine;
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.runtime}, ${m.date}`);
  console.log(`text: ${(textBytes / 1e6).toFixed(2)} MB English (tinyshakespeare + alice + gsm8k), ${ours.tokens} GPT-2 tokens; median of ${ENCODE_RUNS} encode / ${DECODE_RUNS} decode interleaved rounds after a warm-up; load average ${m.loadAverage}\n`);
  console.log("| tokenizer | encode MB/s | ours ÷ this | decode M tokens/s | ours ÷ this |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of report.results) {
    console.log(`| ${r.name} | ${r.encodeMBps.toFixed(1)} | ${r.oursEncodeRatio.toFixed(2)}× | ${r.decodeMTokps.toFixed(1)} | ${r.oursDecodeRatio.toFixed(2)}× |`);
  }
  console.log(`\ntrain: ${TRAIN_VOCAB}-token vocabulary on the same ${(textBytes / 1e6).toFixed(2)} MB in ${trainSeconds.toFixed(2)} s (@forno/tokenizer)`);
}
