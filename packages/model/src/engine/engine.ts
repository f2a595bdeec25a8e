/**
 * The generation engine: continuous batching over a fixed set of KV-cache slots. Waiting requests are
 * prefilled together into free slots, then every active sequence decodes one token per step; the GPU
 * samples, and steps run in chunks of up to `stepsPerSync` before the host reads back only (token, logprob)
 * per sequence per step (plus the top-N alternatives when a request asks for them, one step per chunk) to apply stop sequences, the end-of-text id and token limits. Finished sequences leave at once and free their slot for the next
 * request, and a request cancelled through its own signal leaves between chunks while the rest go on.
 * A caller can keep a call going with new requests (`more`, continuous batching across arrivals).
 * `scorePrompts` is the teacher-forced counterpart: log p(token_t | tokens < t) for given text.
 * Calls run one at a time (each step's tensors live in a scope, so nothing outlives a call but the cache and
 * the last decode step's keys and values, which wait in DecodeState for their store). `close()` ends an engine.
 */
import { crossEntropyPerToken, noGrad, runtime, scope, Tensor } from "@forno/gpu";
import { ConfigError, EngineClosedError } from "../errors.ts";
import type { GPT } from "../gpt.ts";
import { DecodeState, type DecodeVariant } from "./forward.ts";
import { CFG_WORDS, MAX_TOP_LOGPROBS, META_WORDS, packSampleParams, sampleRows, topLogprobRows, type SampleParams } from "./kernels.ts";
import { chunkSteps, decodeChunk } from "./pipeline.ts";
import { StopMatcher } from "./stop.ts";

export interface EngineOptions {
  /** Sequences decoded together (KV-cache slots). Default 8. */
  maxBatch?: number;
  /** Positions per sequence, prompt included; at most the model's context length (the default). */
  maxSeqLen?: number;
  /** Token that ends a sequence with finishReason "stop" (not returned), e.g. <|endoftext|>. */
  eosId?: number;
  /** Decode kernels (see DecodeVariant in forward.ts); default "auto", chosen per step by adapter and batch. */
  decodeVariant?: DecodeVariant;
  /**
   * Decode steps submitted before each readback (pipeline.ts): tokens stream in bursts of this many and
   * a sequence may compute up to this many − 1 steps past its end, which are discarded. 1 reads back
   * every step. Default 8. Steps that need top logprobs always run one at a time.
   */
  stepsPerSync?: number;
}

export interface GenerateRequest {
  /** Prompt token ids, at least one. */
  prompt: number[];
  /** Most tokens to generate, ≥ 1. */
  maxTokens: number;
  /** 0 = greedy. Default 1. */
  temperature?: number;
  /** Keep the k most likely tokens (ties with the k-th kept too); 0 = off (default). */
  topK?: number;
  /** Keep the smallest set of most likely tokens with this much probability; 1 = off (default). */
  topP?: number;
  /** Subtracted from the logit of every token generated at least once so far. Default 0. */
  presencePenalty?: number;
  /** Subtracted from a token's logit once per time it was generated so far. Default 0. */
  frequencyPenalty?: number;
  /** Token sequences that end generation (finishReason "stop"); the match is not returned. */
  stop?: number[][];
  /** Fixes the random draws: same seed, same tokens. Default: random. */
  seed?: number;
  /** Return each token's log-probability. */
  logprobs?: boolean;
  /** Also return the this-many most likely tokens at each position (0..20). Default 0. */
  topLogprobs?: number;
  /** Cancels this request alone (checked between steps): it finishes "cancelled" and frees its slot. */
  signal?: AbortSignal;
}

/** A token with its log-probability under the model. */
export interface TokenLogprob {
  id: number;
  logprob: number;
}

export type FinishReason = "stop" | "length" | "cancelled";

export interface GenerateResult {
  tokens: number[];
  /** log p(token) under the model (before penalties, temperature and truncation), when asked for. */
  logprobs?: number[];
  /** Per generated token, the `topLogprobs` most likely tokens at its position, most likely first, when asked for. */
  topLogprobs?: TokenLogprob[][];
  finishReason: FinishReason;
}

export interface GenerateOptions {
  /**
   * Called for each token as soon as no stop sequence can claim it; seqIndex indexes the requests; `top` when
   * asked for. With it, the call gives the event loop a turn before each further chunk of steps (see `run`).
   */
  onToken?(seqIndex: number, tokenId: number, logprob: number, top?: readonly TokenLogprob[]): void;
  /** Called once per request when it finishes (before the call resolves), with its final result. */
  onFinish?(seqIndex: number, result: GenerateResult): void;
  /** Checked between chunks of steps; cancels every request (each request's own `signal` cancels it alone). */
  signal?: AbortSignal;
  /**
   * Continuous batching: called before each chunk of steps with the number of slots no request is waiting for; the
   * requests it returns join this call (their seqIndex continues after the earlier ones, and their results
   * follow in the resolved array). Not called while another call waits for the engine, so that one gets
   * its turn once this call's sequences have finished.
   */
  more?(freeSlots: number): readonly GenerateRequest[];
}

/** A request being decoded in a cache slot. */
interface Sequence {
  index: number;
  req: GenerateRequest;
  slot: number;
  sample: Omit<SampleParams, "slot" | "step">;
  stop: StopMatcher;
  tokens: number[];
  logprobs: number[];
  top: TokenLogprob[][];
  emitted: number;
  finish: FinishReason | null;
}

export class Engine {
  readonly maxBatch: number;
  readonly maxSeqLen: number;
  readonly stepsPerSync: number;
  private readonly state: DecodeState;
  private readonly eosId: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Calls queued behind the running one. */
  private waitingCalls = 0;
  private closing = false;
  private disposed = false;

  constructor(
    readonly model: GPT,
    opts: EngineOptions = {},
  ) {
    const { contextLength, nEmbd: C } = model.config;
    this.maxBatch = opts.maxBatch ?? 8;
    this.maxSeqLen = opts.maxSeqLen ?? contextLength;
    this.eosId = opts.eosId;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new ConfigError(`Engine: maxBatch must be an integer ≥ 1, got ${this.maxBatch}`);
    if (!Number.isInteger(this.maxSeqLen) || this.maxSeqLen < 2 || this.maxSeqLen > contextLength) {
      throw new ConfigError(`Engine: maxSeqLen must be an integer in 2..${contextLength} (the context length), got ${this.maxSeqLen}`);
    }
    const HS = C / model.config.nHead;
    if (C % 4 !== 0 || HS % 4 !== 0) throw new ConfigError(`Engine: the decode kernels read vec4s, so nEmbd and the head size must be multiples of 4, got ${C} and ${HS}`);
    this.stepsPerSync = opts.stepsPerSync ?? 8;
    if (!Number.isInteger(this.stepsPerSync) || this.stepsPerSync < 1) throw new ConfigError(`Engine: stepsPerSync must be an integer ≥ 1, got ${this.stepsPerSync}`);
    this.state = new DecodeState(model, this.maxBatch, this.maxSeqLen, opts.decodeVariant);
  }

  /** Generates a continuation for every request (more requests than maxBatch wait for free slots). */
  generate(requests: readonly GenerateRequest[], opts: GenerateOptions = {}): Promise<GenerateResult[]> {
    requests.forEach((r, i) => this.checkRequest(r, i));
    return this.serial(() => noGrad(() => this.run(requests, opts)));
  }

  /** log p(ids[t] | ids[< t]) for t = 1 .. n−1 of each sequence (length n − 1), one batched forward. */
  scorePrompts(seqs: readonly number[][]): Promise<number[][]> {
    return this.score(seqs, 0).then((scored) => scored.map((s) => s.logprobs));
  }

  /** scorePrompts, plus the `n` (1..20) most likely tokens at each scored position t = 1 .. n−1, most likely first. */
  scorePromptsTop(seqs: readonly number[][], n: number): Promise<{ logprobs: number[]; top: TokenLogprob[][] }[]> {
    if (!Number.isInteger(n) || n < 1 || n > Math.min(MAX_TOP_LOGPROBS, this.model.config.vocabSize)) {
      throw new ConfigError(`scorePromptsTop: n must be an integer in 1..${Math.min(MAX_TOP_LOGPROBS, this.model.config.vocabSize)}, got ${n}`);
    }
    return this.score(seqs, n);
  }

  private score(seqs: readonly number[][], topN: number): Promise<{ logprobs: number[]; top: TokenLogprob[][] }[]> {
    const { contextLength, vocabSize: V } = this.model.config;
    for (const s of seqs) {
      if (s.length < 1 || s.length > contextLength || s.some((t) => !Number.isInteger(t) || t < 0 || t >= V)) {
        throw new ConfigError(`scorePrompts: each sequence needs 1..${contextLength} token ids in [0, ${V}), got length ${s.length}`);
      }
    }
    const T = Math.max(1, ...seqs.map((s) => s.length));
    const B = seqs.length;
    return this.serial(() =>
      noGrad(() =>
        scope(async () => {
          if (B === 0) return [];
          const ids = new Int32Array(B * T); // (B, T) i32, 0-padded
          const targets = new Int32Array(B * T); // (B·T) i32: the next token, 0 past the end
          seqs.forEach((s, b) => {
            ids.set(s, b * T);
            targets.set(s.slice(1), b * T);
          });
          const { logits } = this.model.forward(Tensor.from(ids, [B, T]));
          const ranked = topN > 0 ? topLogprobRows(logits, topN) : null; // (B·T, topN, 2) u32
          const [nllRaw, topRaw] = await Promise.all([crossEntropyPerToken(logits, Tensor.from(targets)).read(), ranked?.read()]);
          const nll = nllRaw as Float32Array; // (B·T)
          const top = topRaw ? new Uint32Array(topRaw) : null;
          const topLp = top ? new Float32Array(top.buffer) : null;
          // Position t's logits predict token t + 1: scored position i of sequence b reads row b·T + i.
          const alternatives = (row: number) => Array.from({ length: topN }, (_, k) => ({ id: top![(row * topN + k) * 2]!, logprob: topLp![(row * topN + k) * 2 + 1]! }));
          return seqs.map((s, b) => ({
            logprobs: Array.from(nll.subarray(b * T, b * T + s.length - 1), (v) => -v),
            top: top ? Array.from({ length: s.length - 1 }, (_, i) => alternatives(b * T + i)) : [],
          }));
        }),
      ),
    );
  }

  /** scorePrompts for one sequence. */
  async scorePrompt(ids: number[]): Promise<number[]> {
    return (await this.scorePrompts([ids]))[0]!;
  }

  /**
   * Releases the KV cache and packed weights at once; later calls, and calls still queued, reject with
   * EngineClosedError. It must not overlap a running call: `close()` waits for that.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.state.dispose();
  }

  /** Refuses new calls, waits for the running and queued ones, then disposes. */
  async close(): Promise<void> {
    this.closing = true;
    await this.queue;
    this.dispose();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const closed = () => new EngineClosedError("Engine: closed (dispose() or close() was called)");
    if (this.disposed || this.closing) return Promise.reject(closed());
    this.waitingCalls++;
    const start = () => {
      this.waitingCalls--;
      return this.disposed ? Promise.reject(closed()) : fn();
    };
    const run = this.queue.then(start, start);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Throws ConfigError when `r` cannot run on this engine (prompt length, token ids, limits). generate()
   * checks every request; a server calls it before queueing too, so a bad request that would join a running
   * call (`more`) is refused alone instead of failing the batch it joins.
   */
  checkRequest(r: GenerateRequest, i = 0): void {
    const V = this.model.config.vocabSize;
    const bad = (what: string) => new ConfigError(`generate: request ${i}: ${what}`);
    if (r.prompt.length < 1 || r.prompt.length > this.maxSeqLen - 1) throw bad(`prompt must have 1..${this.maxSeqLen - 1} tokens (maxSeqLen − 1), got ${r.prompt.length}`);
    if (r.prompt.some((t) => !Number.isInteger(t) || t < 0 || t >= V)) throw bad(`prompt token ids must be integers in [0, ${V})`);
    if (!Number.isInteger(r.maxTokens) || r.maxTokens < 1) throw bad(`maxTokens must be an integer ≥ 1, got ${r.maxTokens}`);
    if ((r.temperature ?? 1) < 0 || (r.topK ?? 0) < 0 || !((r.topP ?? 1) > 0 && (r.topP ?? 1) <= 1)) throw bad("need temperature ≥ 0, topK ≥ 0 and 0 < topP ≤ 1");
    const top = r.topLogprobs ?? 0;
    if (!Number.isInteger(top) || top < 0 || top > Math.min(MAX_TOP_LOGPROBS, V)) throw bad(`topLogprobs must be an integer in 0..${Math.min(MAX_TOP_LOGPROBS, V)}, got ${top}`);
  }

  private async run(requests: readonly GenerateRequest[], opts: GenerateOptions): Promise<GenerateResult[]> {
    let waiting = requests.map((req, index) => this.open(req, index));
    const all = [...waiting];
    const free = Array.from({ length: this.maxBatch }, (_, i) => this.maxBatch - 1 - i);
    let active: Sequence[] = [];
    /** Drops finished sequences from `active`, returning their slots. */
    const release = () => {
      active = active.filter((s) => {
        if (s.finish === null) return true;
        free.push(s.slot);
        return false;
      });
    };
    this.state.refresh();
    let handedOut = false;
    for (;;) {
      // On a CPU adapter the next chunk's GPU work runs inside its submit, on this thread: an event-loop turn
      // first lets what the last tokens set off go out (a server's stream writes) instead of waiting for it.
      if (handedOut && opts.onToken) await new Promise<void>((resolve) => setImmediate(resolve));
      handedOut = true;
      if (opts.signal?.aborted) {
        for (const s of [...active, ...waiting]) this.finish(s, "cancelled", opts);
        break;
      }
      for (const s of [...active, ...waiting]) if (s.req.signal?.aborted) this.finish(s, "cancelled", opts);
      release();
      waiting = waiting.filter((s) => s.finish === null);
      const room = free.length - waiting.length;
      if (opts.more && room > 0 && this.waitingCalls === 0) {
        for (const req of opts.more(room)) {
          this.checkRequest(req, all.length);
          const s = this.open(req, all.length);
          all.push(s);
          waiting.push(s);
        }
      }
      if (waiting.length === 0 && active.length === 0) break;
      const admitted = waiting.splice(0, free.length);
      for (const s of admitted) s.slot = free.pop()!;
      const stepRows = admitted.length > 0 ? admitted : active;
      const topN = Math.max(0, ...stepRows.map((s) => s.req.topLogprobs ?? 0));
      if (admitted.length === 0 && topN === 0 && this.stepsPerSync > 1) {
        await this.decodePipelined(active, waiting.length > 0 || opts.more !== undefined, opts);
        release();
        continue;
      }
      const [picked, top] = await scope(async () => {
        const rt = runtime();
        rt.step = `generate: ${admitted.length > 0 ? "prefill" : "decode"} of ${stepRows.length}`;
        let logits: Tensor;
        if (admitted.length > 0) {
          for (const s of admitted) rt.upload(new Uint32Array(this.model.config.vocabSize), this.state.counts.buffer, s.slot * this.model.config.vocabSize * 4);
          logits = this.state.prefill(admitted.map((s) => s.req.prompt), admitted.map((s) => s.slot));
        } else {
          const meta = new Uint32Array(active.length * META_WORDS);
          active.forEach((s, i) => meta.set([s.tokens.at(-1)!, s.slot, s.req.prompt.length + s.tokens.length - 1, 0], i * META_WORDS));
          logits = this.state.decode(Tensor.from(meta, [active.length, META_WORDS]));
        }
        const cfg = packSampleParams(stepRows.map((s) => ({ ...s.sample, slot: s.slot, step: s.tokens.length })));
        const sampled = sampleRows(logits, Tensor.from(cfg, [stepRows.length, CFG_WORDS]), this.state.counts);
        // The alternatives are ranked from the same logits, before sampling bumps any counts.
        const alternatives = topN > 0 ? topLogprobRows(logits, topN) : null;
        const [p, t] = await Promise.all([sampled.read(), alternatives?.read()]);
        return [new Uint32Array(p), t ? new Uint32Array(t) : null] as const;
      });
      const lp = new Float32Array(picked.buffer);
      const topLp = top ? new Float32Array(top.buffer) : null;
      stepRows.forEach((s, i) => {
        const want = s.req.topLogprobs ?? 0;
        const alts = Array.from({ length: want }, (_, k) => ({ id: top![(i * topN + k) * 2]!, logprob: topLp![(i * topN + k) * 2 + 1]! }));
        this.accept(s, picked[2 * i]!, lp[2 * i + 1]!, alts, opts);
      });
      active = [...active, ...admitted];
      release();
    }
    return all.map((s) => this.result(s));
  }

  /**
   * Several decode steps of `active` with one readback (pipeline.ts); `soon`: requests wait (or may
   * arrive) for a slot. Signals are checked between the read-back steps as they would be between steps:
   * a cancelled sequence takes no token computed after its cancellation.
   */
  private async decodePipelined(active: Sequence[], soon: boolean, opts: GenerateOptions): Promise<void> {
    const used = (s: Sequence) => s.req.prompt.length + s.tokens.length;
    const K = chunkSteps(active.map((s) => ({ tokensLeft: s.req.maxTokens - s.tokens.length, positionsLeft: this.maxSeqLen - used(s) + 1 })), this.stepsPerSync, soon);
    const rows = active.map((s) => ({ token: s.tokens.at(-1)!, slot: s.slot, pos: used(s) - 1, sample: { ...s.sample, slot: s.slot, step: s.tokens.length } }));
    const picked = await decodeChunk(this.state, rows, K);
    const lp = new Float32Array(picked.buffer);
    for (let j = 0; j < K && !opts.signal?.aborted; j++) {
      active.forEach((s, i) => {
        const o = (j * active.length + i) * 2;
        if (s.finish === null && !s.req.signal?.aborted) this.accept(s, picked[o]!, lp[o + 1]!, [], opts);
      });
    }
  }

  private open(req: GenerateRequest, index: number): Sequence {
    const sample = {
      seed: req.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!,
      temperature: req.temperature ?? 1,
      topK: req.topK ?? 0,
      topP: req.topP ?? 1,
      presencePenalty: req.presencePenalty ?? 0,
      frequencyPenalty: req.frequencyPenalty ?? 0,
    };
    return { index, req, slot: -1, sample, stop: new StopMatcher(req.stop), tokens: [], logprobs: [], top: [], emitted: 0, finish: null };
  }

  /** Appends a sampled token and decides whether the sequence goes on. */
  private accept(s: Sequence, token: number, logprob: number, top: TokenLogprob[], opts: GenerateOptions): void {
    if (token === this.eosId) return this.finish(s, "stop", opts);
    s.tokens.push(token);
    s.logprobs.push(logprob);
    s.top.push(top);
    const cut = s.stop.matched(s.tokens);
    if (cut > 0) {
      s.tokens.length -= cut;
      s.logprobs.length -= cut;
      s.top.length -= cut;
      return this.finish(s, "stop", opts);
    }
    if (s.tokens.length >= s.req.maxTokens || s.req.prompt.length + s.tokens.length >= this.maxSeqLen) return this.finish(s, "length", opts);
    this.emit(s, s.tokens.length - s.stop.pending(s.tokens), opts);
  }

  private finish(s: Sequence, reason: FinishReason, opts: GenerateOptions): void {
    s.finish = reason;
    this.emit(s, s.tokens.length, opts);
    opts.onFinish?.(s.index, this.result(s));
  }

  private result(s: Sequence): GenerateResult {
    return {
      tokens: s.tokens,
      ...(s.req.logprobs ? { logprobs: s.logprobs } : {}),
      ...(s.req.topLogprobs ? { topLogprobs: s.top } : {}),
      finishReason: s.finish ?? "cancelled",
    };
  }

  private emit(s: Sequence, upTo: number, opts: GenerateOptions): void {
    for (; s.emitted < upTo; s.emitted++) opts.onToken?.(s.index, s.tokens[s.emitted]!, s.logprobs[s.emitted]!, s.req.topLogprobs ? s.top[s.emitted] : undefined);
  }
}
