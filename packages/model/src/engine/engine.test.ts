import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { initRuntime, noGrad, runtime, scope, Tensor } from "@forno/gpu";
import { makeConfig } from "../config.ts";
import { ConfigError, EngineClosedError } from "../errors.ts";
import { GPT } from "../gpt.ts";
import { initParams } from "../init.ts";
import { expectClose } from "@forno/gpu/testing";
import { DecodeState } from "./forward.ts";
import { Engine, type GenerateRequest } from "./index.ts";
import { topLogprobsRef } from "./reference.ts";

const config = makeConfig("tiny", { vocabSize: 61, contextLength: 32, nLayer: 2, nHead: 2, nEmbd: 32 });
let model: GPT;
let engine: Engine;

// llvmpipe shares two cores with other test runs: allow slow steps.
setDefaultTimeout(30_000);

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
  // GPT-2's init gives near-uniform logits; larger weights make greedy picks well separated, so the
  // KV-cached and recomputed paths (which sum in different orders) must agree exactly on tokens.
  const host = initParams(config, 5);
  for (const [name, v] of host) if (!name.includes("ln_")) v.forEach((x, i) => (v[i] = x * 15));
  model = new GPT(config, host);
  engine = new Engine(model, { maxBatch: 16 });
});

const prompts = [[1, 2, 3], [5], [7, 8, 9, 10, 11, 12], [60, 0, 60, 0, 4, 4, 4, 4, 4, 4, 4]];

/** Greedy continuation by recomputing the whole sequence with model.forward each step (no cache). */
async function recompute(prompt: number[], n: number): Promise<number[]> {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const row = await noGrad(() =>
      scope(async () => {
        const { logits } = model.forward(Tensor.from(Int32Array.from(seq), [1, seq.length]));
        return (await logits.read()).subarray((seq.length - 1) * config.vocabSize);
      }),
    );
    seq.push(row.indexOf(Math.max(...row)));
  }
  return seq.slice(prompt.length);
}

const greedy = (prompt: number[], maxTokens = 10): GenerateRequest => ({ prompt, maxTokens, temperature: 0, logprobs: true });

for (const variant of ["block", "rows", "rowblock", "ops"] as const) {
  test(`greedy decoding with the KV cache ("${variant}" kernels) equals recomputing every step, batched and alone`, async () => {
    const e = new Engine(model, { maxBatch: 4, decodeVariant: variant });
    const batched = await e.generate(prompts.map((p) => greedy(p)));
    for (const [i, p] of prompts.entries()) {
      const expected = await recompute(p, 10);
      expect(batched[i]!.tokens).toEqual(expected);
      expect(batched[i]!.finishReason).toBe("length");
      expect((await e.generate([greedy(p)]))[0]!.tokens).toEqual(expected);
    }
    // Generation runs to the context length and stops there.
    const long = await e.generate([greedy([3, 1, 4], 100)]);
    expect(long[0]!.tokens.length).toBe(config.contextLength - 3);
    expect(long[0]!.tokens).toEqual(await recompute([3, 1, 4], config.contextLength - 3));
    e.dispose();
  });
}

test("prefill and every decode variant give the logits of model.forward at the last position", async () => {
  const V = config.vocabSize;
  const seqs = [[4, 9, 2, 33, 7], [12]];
  const next = [40, 3];
  const expected = await noGrad(() =>
    scope(async () => {
      const rows = [];
      for (const [i, s] of seqs.entries()) {
        const all = await model.forward(Tensor.from(Int32Array.from([...s, next[i]!]), [1, s.length + 1])).logits.read();
        rows.push(all.slice((s.length - 1) * V, s.length * V), all.slice(s.length * V));
      }
      return rows;
    }),
  );
  for (const variant of ["block", "rows", "rowblock", "ops"] as const) {
    const state = new DecodeState(model, 3, 16, variant);
    state.refresh();
    await noGrad(() =>
      scope(async () => {
        const pre = await state.prefill(seqs, [2, 0]).read();
        const meta = Tensor.from(Uint32Array.from(seqs.flatMap((s, i) => [next[i]!, [2, 0][i]!, s.length, 0])), [2, 4]);
        const dec = await state.decode(meta).read();
        // f32 sums in other orders than the training kernels: 1e-4 relative, 1e-4 absolute on logits of size ~10.
        seqs.forEach((_, i) => {
          expectClose(pre.subarray(i * V, (i + 1) * V), expected[2 * i]!, 1e-4, 1e-4, `prefill logits ${i}`);
          expectClose(dec.subarray(i * V, (i + 1) * V), expected[2 * i + 1]!, 1e-4, 1e-4, `${variant} decode logits ${i}`);
        });
      }),
    );
    state.dispose();
  }
});

test("a batch of 16 gives each sequence the tokens it gets alone; 16 requests also stream through 3 slots", async () => {
  const many = Array.from({ length: 16 }, (_, i) => Array.from({ length: 1 + (i % 7) }, (_, t) => (i * 7 + t * 3) % config.vocabSize));
  const together = await engine.generate(many.map((p) => greedy(p, 6)));
  const small = new Engine(model, { maxBatch: 3 });
  const streamed = await small.generate(many.map((p) => greedy(p, 6)));
  small.dispose();
  for (const [i, p] of many.entries()) {
    const alone = (await engine.generate([greedy(p, 6)]))[0]!;
    expect(together[i]!.tokens).toEqual(alone.tokens);
    expect(streamed[i]!.tokens).toEqual(alone.tokens);
  }
});

test("logprobs of generated tokens equal scorePrompt's teacher-forced log-probabilities", async () => {
  const [r] = await engine.generate([{ ...greedy([2, 7, 1], 6), temperature: 0.9, seed: 3 }]);
  const scored = await engine.scorePrompt([2, 7, 1, ...r!.tokens]);
  // f32 logits from two different kernels (fused head vs matmul + cross-entropy): 1e-4 absolute on log p.
  r!.logprobs!.forEach((lp, i) => expect(Math.abs(lp - scored[2 + i]!)).toBeLessThan(1e-4));
  const [a, b] = await engine.scorePrompts([[2, 7, 1, ...r!.tokens], [9, 9]]);
  expect(a).toEqual(scored);
  expect(b!.length).toBe(1);
});

test("top logprobs of each generated position equal the top tokens of model.forward's logits there", async () => {
  const prompt = [2, 7, 1];
  const streamed: number[][] = [];
  const [r, plain] = await engine.generate([{ ...greedy(prompt, 6), temperature: 0.9, seed: 3, topLogprobs: 5 }, greedy([4], 3)], {
    onToken: (i, _t, _lp, top) => {
      if (i === 0) streamed.push(top!.map((a) => a.id));
      else expect(top).toBeUndefined();
    },
  });
  expect(plain!.topLogprobs).toBeUndefined();
  const seq = [...prompt, ...r!.tokens];
  const V = config.vocabSize;
  const logits = await noGrad(() => scope(() => model.forward(Tensor.from(Int32Array.from(seq), [1, seq.length])).logits.read()));
  expect(r!.topLogprobs!.length).toBe(r!.tokens.length);
  r!.topLogprobs!.forEach((top, i) => {
    const ref = topLogprobsRef(logits.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V), 5);
    expect(top.map((a) => a.id)).toEqual(ref.map(([id]) => id));
    // f32 logits from the fused decode kernels vs the training forward: 1e-4 absolute on log p.
    top.forEach((a, k) => expect(Math.abs(a.logprob - ref[k]![1])).toBeLessThan(1e-4));
    const own = top.find((a) => a.id === r!.tokens[i]);
    if (own) expect(own.logprob).toBe(r!.logprobs![i]!);
  });
  expect(streamed).toEqual(r!.topLogprobs!.map((top) => top.map((a) => a.id)));
  expect(() => engine.generate([{ ...greedy([1]), topLogprobs: 21 }])).toThrow(/topLogprobs/);
});

test("scorePromptsTop ranks each scored position like the top logprobs of generation", async () => {
  const [r] = await engine.generate([{ ...greedy([2, 7, 1], 5), temperature: 0.9, seed: 4, topLogprobs: 4 }]);
  const seq = [2, 7, 1, ...r!.tokens];
  const [scored, short] = await engine.scorePromptsTop([seq, [9]], 4);
  expect(scored!.logprobs).toEqual(await engine.scorePrompt(seq));
  expect(scored!.top.length).toBe(seq.length - 1);
  // The positions that generated r's tokens: same ids; logprobs from the training forward within 1e-4.
  r!.topLogprobs!.forEach((top, i) => {
    const again = scored!.top[2 + i]!;
    expect(again.map((a) => a.id)).toEqual(top.map((a) => a.id));
    again.forEach((a, k) => expect(Math.abs(a.logprob - top[k]!.logprob)).toBeLessThan(1e-4));
  });
  expect(short).toEqual({ logprobs: [], top: [] });
  expect(() => engine.scorePromptsTop([seq], 0)).toThrow(/n must be/);
});

test("a request's own signal cancels it alone; the others go on and its slot is reused", async () => {
  const alone = async (p: number[]) => (await engine.generate([greedy(p, 8)]))[0]!.tokens;
  const ctl = new AbortController();
  const early = new AbortController();
  early.abort();
  const one = new Engine(model, { maxBatch: 2 });
  let seen = 0;
  // Two slots for three requests: the third starts only when the cancelled one leaves.
  const [cancelled, kept, late, never] = await one.generate(
    [{ ...greedy([1], 20), signal: ctl.signal }, greedy([2, 3], 8), greedy([5, 6], 8), { ...greedy([9]), signal: early.signal }],
    {
      onToken: (i) => {
        if (i === 0 && ++seen === 3) ctl.abort();
      },
    },
  );
  one.dispose();
  expect(cancelled!.finishReason).toBe("cancelled");
  expect(cancelled!.tokens.length).toBe(3);
  expect(never).toEqual({ tokens: [], logprobs: [], finishReason: "cancelled" });
  expect(kept!.finishReason).toBe("length");
  expect(kept!.tokens).toEqual(await alone([2, 3]));
  expect(late!.tokens).toEqual(await alone([5, 6]));
});

test("requests offered through `more` join a running call as slots free up, unless another call is waiting", async () => {
  const alone = async (p: number[], n: number) => (await engine.generate([greedy(p, n)]))[0]!.tokens;
  const two = new Engine(model, { maxBatch: 2 });
  const offers: number[] = [];
  const finished: number[] = [];
  const extra = [greedy([2, 3], 4), greedy([5, 6], 3), greedy([7], 2)];
  const results = await two.generate([greedy([1], 6)], {
    more: (free) => {
      offers.push(free);
      return extra.splice(0, free);
    },
    onFinish: (i, r) => {
      finished.push(i);
      expect(r.tokens.length).toBe([6, 4, 3, 2][i]!);
    },
  });
  expect(offers[0]).toBe(1); // one slot was free when the call began
  expect(results.map((r) => r.tokens)).toEqual([await alone([1], 6), await alone([2, 3], 4), await alone([5, 6], 3), await alone([7], 2)]);
  expect(finished).toEqual([1, 0, 2, 3]); // each as it ends (2 joins with a prefill step, so 0 ends first), not at the end of the call

  let offered = false;
  const running = two.generate([greedy([1], 4)], {
    more: () => {
      offered = true;
      return [];
    },
  });
  const scored = two.scorePrompt([1, 2]); // queued behind the call: the call must not take more work
  await Promise.all([running, scored]);
  expect(offered).toBe(false);
  two.dispose();
});

test("seeded sampling is reproducible; other seeds differ", async () => {
  const req = (seed: number): GenerateRequest => ({ prompt: [4, 5], maxTokens: 12, temperature: 1.5, topP: 0.95, seed });
  const [a1, a2, b] = await engine.generate([req(1), req(1), req(2)]);
  expect(a1!.tokens).toEqual(a2!.tokens);
  expect(b!.tokens).not.toEqual(a1!.tokens);
  // Alone or batched, the same seed gives the same tokens.
  expect((await engine.generate([req(1)]))[0]!.tokens).toEqual(a1!.tokens);
});

test("stop sequences, the end-of-text id and maxTokens end sequences with the right reason; streaming holds back partial matches", async () => {
  const full = (await engine.generate([greedy([1, 2, 3], 10)]))[0]!.tokens;
  const streamed: number[] = [];
  const [stopped, limited] = await engine.generate(
    [
      { ...greedy([1, 2, 3], 10), stop: [[full[3]!, full[4]!], [59, 59, 59]] },
      { ...greedy([1, 2, 3], 4) },
    ],
    { onToken: (i, t) => i === 0 && streamed.push(t) },
  );
  const cut = full.findIndex((t, i) => t === full[3] && full[i + 1] === full[4]);
  expect(stopped!.finishReason).toBe("stop");
  expect(stopped!.tokens).toEqual(full.slice(0, cut));
  expect(streamed).toEqual(stopped!.tokens);
  expect(limited!.finishReason).toBe("length");
  expect(limited!.tokens).toEqual(full.slice(0, 4));
  const eos = new Engine(model, { maxBatch: 2, eosId: full[2] });
  const [e] = await eos.generate([greedy([1, 2, 3], 10)]);
  eos.dispose();
  expect(e!.finishReason).toBe("stop");
  expect(e!.tokens).toEqual(full.slice(0, full.indexOf(full[2]!)));
});

test("an AbortSignal cancels between steps", async () => {
  const ctl = new AbortController();
  let seen = 0;
  const res = await engine.generate([greedy([1], 20), greedy([2, 3], 20)], {
    signal: ctl.signal,
    onToken: () => {
      if (++seen === 5) ctl.abort();
    },
  });
  for (const r of res) {
    expect(r.finishReason).toBe("cancelled");
    expect(r.tokens.length).toBeLessThan(5);
  }
});

test("no GPU memory is left behind by generate or scorePrompts", async () => {
  const run = async () => {
    await engine.generate([...prompts.map((p) => greedy(p, 5)), { prompt: [3], maxTokens: 5, topK: 4, presencePenalty: 0.5, frequencyPenalty: 0.5, topLogprobs: 3 }]);
    await engine.scorePrompts(prompts);
    await engine.scorePromptsTop(prompts, 2);
  };
  await run();
  const before = runtime().pool.stats.inUseBytes;
  await run();
  expect(runtime().pool.stats.inUseBytes).toBe(before);
});

test("close waits for the running call, then refuses new calls and leaves no pooled memory behind", async () => {
  await runtime().sync();
  const before = runtime().pool.stats.inUseBytes;
  const own = new Engine(model, { maxBatch: 2 });
  const running = own.generate([greedy(prompts[0]!, 6)]);
  const closing = own.close();
  const refused = expect(own.scorePrompts([[1, 2]])).rejects.toThrow(EngineClosedError); // at once, while the call runs
  expect((await running)[0]!.tokens).toHaveLength(6);
  await closing;
  await refused;
  await expect(own.generate([greedy([1], 2)])).rejects.toThrow(/closed/);
  own.dispose(); // a second release is a no-op
  expect(runtime().pool.stats.inUseBytes).toBe(before);
  // dispose() while calls wait (none has started: a call starts on a later tick): they reject instead of
  // running on released memory.
  const other = new Engine(model, { maxBatch: 2 });
  const settled = Promise.allSettled([other.generate([greedy([1], 3)]), other.scorePrompts([[2, 3]])]);
  other.dispose();
  for (const r of await settled) expect(r.status === "rejected" && r.reason instanceof EngineClosedError).toBe(true);
});

test("one slot (maxBatch 1, as the chat command runs): greedy decoding equals recomputing", async () => {
  const own = new Engine(model, { maxBatch: 1 });
  const out = await own.generate(prompts.map((p) => greedy(p, 6)));
  own.dispose();
  for (const [i, p] of prompts.entries()) expect(out[i]!.tokens).toEqual(await recompute(p, 6));
});

test("bad requests and settings fail with a ConfigError naming the problem", () => {
  expect(() => engine.generate([{ prompt: [], maxTokens: 3 }])).toThrow(/prompt must have/);
  expect(() => engine.generate([{ prompt: [61], maxTokens: 3 }])).toThrow(ConfigError);
  expect(() => engine.generate([{ prompt: [1], maxTokens: 0 }])).toThrow(/maxTokens/);
  expect(() => engine.generate([{ prompt: [1], maxTokens: 2, topP: 0 }])).toThrow(/topP/);
  expect(() => new Engine(model, { maxSeqLen: 33 })).toThrow(/maxSeqLen/);
});
