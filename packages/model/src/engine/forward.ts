/**
 * The GPT forward passes the engine runs, mirroring gpt.ts's math: a batched prefill of right-padded
 * prompts, every position a row of the decode kernels' linears and the training op's causal attention
 * (which makes the padding invisible to real positions), which also fills the KV cache, and the
 * one-token decode step on the fused kernels of kernels.ts (per step: embed, which also stores the last
 * step's keys and values in the KV cache (a kvStore dispatch more per 4 layers past the fourth), L blocks
 * of 1 ("block" and "rowblock"), 2 ("rows") or 4 ("ops") dispatches, head; the weights are read from
 * textures packed by `refresh()` once per generate call, the tied head's too where the vocabulary fits a
 * texture). Both return the logits of each row's last position only. Sampling and the sequence
 * bookkeeping are the engine's.
 */
import { addForward, attentionForward, embeddingForward, runtime, Tensor, type BufferView } from "@forno/gpu";
import type { GPT } from "../gpt.ts";
import { attendDecode, BLOCK_VEC_WORDS, decodeBlock, decodeLinear, decodeMlp, decodeRows, embedRows, fitsTexture, fusedBlocksFit, headLogits, KvCache, kvCacheWrite, kvStore, META_WORDS, packWeight, packWeightTransposed, storeLayersPerDispatch, weightTexture, type KvStore, type WeightTexture } from "./kernels.ts";

/**
 * How a decode step runs a block: "block", one fused dispatch per block with one workgroup per sequence
 * (few sequences on a CPU adapter, where dispatches dominate); "rowblock", one dispatch per block with
 * one workgroup per 8 sequences sharing each weight load (more sequences on a CPU adapter, whose few
 * threads that still keeps busy); "rows", the same sums as kvcache.attend then kvcache.mlp, two
 * dispatches per block; or "ops", kvcache.attend and three kvcache.linear dispatches, with workgroups per
 * column block too (GPUs). "auto" picks per step. On llvmpipe with both cores free, batch 16 ran 15%
 * faster as "rowblock" than as "rows" (4,589 against 3,990 and 4,086 against 3,558 tokens/s, two runs).
 */
export type DecodeVariant = "auto" | "block" | "rows" | "rowblock" | "ops";

// Above this many sequences the fused block's unshared weight loads cost more than the dispatches it saves
// (llvmpipe, tiny preset: see benchmarks/model/generate.bench.ts).
const BLOCK_MAX_ROWS = 2;

function pickVariant(variant: DecodeVariant, rows: number): "block" | "rows" | "rowblock" | "ops" {
  if (variant !== "auto") return variant;
  if (!runtime().info.isCpu) return "ops";
  if (!fusedBlocksFit()) return "rows";
  return rows <= BLOCK_MAX_ROWS ? "block" : "rowblock";
}

interface Block {
  ln1: [Tensor, Tensor];
  qkvW: Tensor;
  qkvB: Tensor | null;
  projW: Tensor;
  projB: Tensor | null;
  ln2: [Tensor, Tensor];
  fcW: Tensor;
  fcB: Tensor | null;
  fc2W: Tensor;
  fc2B: Tensor | null;
  /** The four weights as textures for the decode kernels: c_attn, attn c_proj, c_fc, mlp c_proj. */
  packed: [WeightTexture, WeightTexture, WeightTexture, WeightTexture];
}

/** The model's weights by role, and the KV cache for `slots` sequences of up to `Tmax` positions. */
export class DecodeState {
  readonly blocks: Block[];
  readonly wte: Tensor;
  readonly wpe: Tensor;
  readonly lnf: [Tensor, Tensor];
  /** Per layer: keys and values of every slot's positions (a texture the decode kernels sample). */
  readonly kv: KvCache[] = [];
  /**
   * The last decode step's new keys and values, not yet in the caches: the next step's embedding dispatch
   * stores them (kvStore alone before a prefill, which may reuse a finished sequence's slot, and for
   * layers beyond one dispatch's storage textures). Its tensors are kept until then.
   */
  private pending: KvStore | null = null;
  /** (slots, V) u32: tokens each slot's sequence generated, for the penalties. */
  readonly counts: Tensor;
  /** Per layer (13C) f32: the block's vectors packed for kvcache.block and kvcache.mlp (none for the "ops" variant). */
  private readonly vecs: Tensor[] = [];
  /** (4C) f32 zeros: the bias of models without biases. */
  private readonly zeros: Tensor;
  /**
   * wteᵀ (C, V) packed for kvcache.linear, with (V) zeros for its bias, when V is a multiple of 4 and fits
   * a texture (not GPT-2's 50257); otherwise the head reads wte through sample.logits.
   */
  private readonly head: { w: WeightTexture; bias: Tensor } | null;

  constructor(
    readonly model: GPT,
    readonly slots: number,
    readonly Tmax: number,
    readonly variant: DecodeVariant = "auto",
  ) {
    const { nLayer: L, nEmbd: C, vocabSize: V } = model.config;
    const p = (name: string) => model.params.get(name)!;
    const maybe = (name: string) => model.params.get(name) ?? null;
    this.zeros = Tensor.zeros([4 * C]).keep();
    const ln = (prefix: string): [Tensor, Tensor] => [p(`${prefix}.weight`), maybe(`${prefix}.bias`) ?? this.zeros];
    this.wte = p("wte.weight");
    this.wpe = p("wpe.weight");
    this.lnf = ln("ln_f");
    this.blocks = Array.from({ length: L }, (_, l) => {
      const h = `h.${l}.`;
      return {
        ln1: ln(h + "ln_1"),
        qkvW: p(h + "attn.c_attn.weight"),
        qkvB: maybe(h + "attn.c_attn.bias"),
        projW: p(h + "attn.c_proj.weight"),
        projB: maybe(h + "attn.c_proj.bias"),
        ln2: ln(h + "ln_2"),
        fcW: p(h + "mlp.c_fc.weight"),
        fcB: maybe(h + "mlp.c_fc.bias"),
        fc2W: p(h + "mlp.c_proj.weight"),
        fc2B: maybe(h + "mlp.c_proj.bias"),
        packed: [weightTexture(C, 3 * C, h + "c_attn"), weightTexture(C, C, h + "attn.c_proj"), weightTexture(C, 4 * C, h + "c_fc"), weightTexture(4 * C, C, h + "mlp.c_proj")],
      };
    });
    for (let l = 0; l < L; l++) this.kv.push(new KvCache(slots, Tmax, C, `h.${l} kv cache`));
    this.counts = Tensor.zeros([slots, V], "u32").keep();
    this.head = fitsTexture(C, V) ? { w: weightTexture(C, V, "wte.T"), bias: Tensor.zeros([V]).keep() } : null;
    if (variant !== "ops") for (let l = 0; l < L; l++) this.vecs.push(Tensor.empty([BLOCK_VEC_WORDS * C]).keep());
  }

  /** Re-packs each block's weights and vectors from the parameters (so training between calls is seen). */
  refresh(): void {
    const C = this.model.config.nEmbd;
    for (const b of this.blocks) [b.qkvW, b.projW, b.fcW, b.fc2W].forEach((w, i) => packWeight(w, b.packed[i]!));
    if (this.head) packWeightTransposed(this.wte, this.head.w);
    this.vecs.forEach((vecs, l) => {
      const b = this.blocks[l]!;
      const parts: [Tensor | null, number][] = [[b.ln1[0], C], [b.ln1[1], C], [b.qkvB, 3 * C], [b.projB, C], [b.ln2[0], C], [b.ln2[1], C], [b.fcB, 4 * C], [b.fc2B, C]];
      let at = 0;
      for (const [t, n] of parts) {
        runtime().copy((t ?? this.zeros).buffer, 0, vecs.buffer, at * 4, n * 4);
        at += n;
      }
    });
  }

  /** A bias for the fused kernels: the parameter, or `n` zeros. */
  private bias(b: Tensor | null, n: number): BufferView {
    return b ?? { buffer: this.zeros.buffer, byteLength: n * 4 };
  }

  /**
   * Runs right-padded prompts (one per cache slot in `slots`) through the model, writes their keys and
   * values to the cache, and returns the logits of each prompt's last position, (n, V) f32. Reads the
   * weights `refresh()` packed.
   */
  prefill(prompts: readonly number[][], slots: readonly number[]): Tensor {
    const { nEmbd: C, nHead: NH } = this.model.config;
    this.storePending(0);
    const n = prompts.length;
    const T = Math.max(...prompts.map((q) => q.length));
    const ids = new Int32Array(n * T); // (n, T) i32, 0-padded
    const meta = new Uint32Array(n * META_WORDS); // (n, 4) [_, slot, len, _]
    prompts.forEach((q, i) => {
      ids.set(q, i * T);
      meta.set([0, slots[i]!, q.length, 0], i * META_WORDS);
    });
    const metaT = Tensor.from(meta, [n, META_WORDS]);
    const pos = Tensor.from(Int32Array.from({ length: T }, (_, t) => t)); // (T) i32
    // (n·T, C): the residual stream, one row per position, updated in place by the decode kernels.
    const x = addForward(embeddingForward(this.wte, Tensor.from(ids, [n, T])), embeddingForward(this.wpe, pos)).reshape([n * T, C]);
    // The decode kernels read the packed weights, all positions as rows (their weight loads shared by 8
    // rows); only attention is the training op's, causal over each prompt.
    const variant = pickVariant(this.variant, n * T);
    this.blocks.forEach((b, l) => {
      const qkv = decodeLinear(x, b.packed[0], this.bias(b.qkvB, 3 * C), { ln: b.ln1 }).reshape([n, T, 3 * C]);
      kvCacheWrite(qkv, metaT, this.kv[l]!);
      this.mlpHalf(variant === "ops" ? "ops" : "rows", x, attentionForward(qkv, NH).y.reshape([n * T, C]), l);
    });
    const last = Tensor.empty([n, C]); // (n, C) f32: each prompt's last position
    prompts.forEach((q, i) => runtime().copy(x.buffer, (i * T + q.length - 1) * C * 4, last.buffer, i * C * 4, C * 4));
    return this.logits(last);
  }

  /**
   * One decode step: meta (rows, 4) u32 [token, slot, pos, _] feeds each row's newest token at position
   * pos (its key and value reach the cache at the next step's embedding or before the next prefill) and
   * returns the next-token logits (rows, V) f32. With `tokens`, the previous step's sampler output (rows, 2),
   * the tokens come from the GPU instead of meta. Takes `meta` over: it is kept (and read) until the next
   * step's store and disposed then, so pass a fresh tensor per step and do not dispose it.
   */
  decode(meta: Tensor, tokens?: Tensor): Tensor {
    const { nEmbd: C, nHead: NH } = this.model.config;
    const per = storeLayersPerDispatch();
    const pending = this.pending;
    // (rows, C), updated in place by the residual adds; the dispatch stores the last step's first layers.
    const x = embedRows(meta, this.wte, this.wpe, tokens, pending ? { meta: pending.meta, layers: pending.layers.slice(0, per) } : undefined);
    this.storePending(per);
    const variant = pickVariant(this.variant, x.shape[0]!);
    const fresh = this.blocks.map((b, l) => {
      const cache = this.kv[l]!;
      if (variant === "block") return decodeBlock(x, meta, this.vecs[l]!, b.packed, cache, NH);
      if (variant === "rowblock") return decodeRows(x, meta, this.vecs[l]!, b.packed, cache, NH);
      const { y, fresh } = attendDecode(x, meta, b.packed[0], this.bias(b.qkvB, 3 * C), b.ln1, cache, NH); // y (rows, C)
      this.mlpHalf(variant, x, y, l);
      return fresh;
    });
    this.pending = { meta: meta.keep(), layers: fresh.map((f, l) => ({ fresh: f.keep(), cache: this.kv[l]! })) };
    return this.logits(x);
  }

  /** Stores the pending keys and values of the layers from `done` on (kvStore; none when done = L) and drops them. */
  private storePending(done: number): void {
    if (!this.pending) return;
    const rest = this.pending.layers.slice(done);
    if (rest.length > 0) kvStore({ meta: this.pending.meta, layers: rest });
    // Recorded uses come first, so the buffers can go back to the pool now.
    for (const t of [this.pending.meta, ...this.pending.layers.map((l) => l.fresh)]) t.dispose();
    this.pending = null;
  }

  /** x (rows, C) += c_proj(y) for the attention output y (rows, C), then += the MLP of ln_2(x), for block l. */
  private mlpHalf(variant: "rows" | "ops", x: Tensor, y: Tensor, l: number): void {
    const C = this.model.config.nEmbd;
    const b = this.blocks[l]!;
    if (variant === "rows") return decodeMlp(x, y, [b.packed[1], b.packed[2], b.packed[3]], this.vecs[l]!);
    decodeLinear(y, b.packed[1], this.bias(b.projB, C), { epilogue: "residual", out: x });
    const f = decodeLinear(x, b.packed[2], this.bias(b.fcB, 4 * C), { ln: b.ln2, epilogue: "gelu" }); // (rows, 4C)
    decodeLinear(f, b.packed[3], this.bias(b.fc2B, C), { epilogue: "residual", out: x });
  }

  /** logits (rows, V) = ln_f(x) · wteᵀ for x (rows, C). */
  private logits(x: Tensor): Tensor {
    if (this.head) return decodeLinear(x, this.head.w, this.head.bias, { ln: this.lnf });
    return headLogits(x, this.wte, this.lnf[0], this.lnf[1]);
  }

  dispose(): void {
    // The caches go, so their pending keys and values need no store.
    this.storePending(this.kv.length);
    for (const t of [...this.vecs, this.counts, this.zeros]) t.dispose();
    for (const c of this.kv) c.destroy();
    for (const b of this.blocks) for (const w of b.packed) w.texture.destroy();
    this.head?.w.texture.destroy();
    this.head?.bias.dispose();
  }
}
