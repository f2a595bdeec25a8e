/**
 * Dispatch wrappers for the generation engine's kernels: the KV-cache write after a prefill, the decode
 * step's embedding, fused linears, single-query attention and head, and the GPU sampler. They only record
 * dispatches and validate shapes; the model-level passes that chain them are in forward.ts.
 */
import { GpuError, params, runtime, ShapeError, Tensor, linearGrid, type Binding, type BufferView } from "@forno/gpu";

/** Words per row of the `meta` tensor: [token, slot, pos (decode) or len (prefill), unused]. */
export const META_WORDS = 4;
/** Words per row of the sampler's `cfg` tensor (see kernels/sample.wgsl). */
export const CFG_WORDS = 8;
const LN_EPS = 1e-5;

function expectShape(op: string, t: Tensor, shape: readonly number[], what: string): void {
  if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) throw new ShapeError(op, `${what} [${shape.join(", ")}]`, [t.shape, shape]);
}

/** Rows per invocation of the row-blocked kernels: weight loads are shared by this many rows. */
function rowBlock(rows: number): number {
  return Math.min(rows, 8);
}

/** Largest run of table rows (each `rowBytes`) one storage binding may hold. */
function tableChunks(V: number, rowBytes: number): { start: number; count: number }[] {
  const per = Math.max(1, Math.floor(runtime().device.limits.maxStorageBufferBindingSize / rowBytes));
  const chunks = [];
  for (let start = 0; start < V; start += per) chunks.push({ start, count: Math.min(per, V - start) });
  return chunks;
}

function rowsOf(table: Tensor, start: number, count: number, rowBytes: number): BufferView {
  return { buffer: table.buffer, byteOffset: start * rowBytes, byteLength: count * rowBytes };
}

/**
 * One layer's KV cache for `slots` sequences of up to `Tmax` positions: an rgba32float 2D-array texture,
 * array layer = slot, row = position, texels j < C/4 the key and C/4 + j the value (heads interleaved as in
 * qkv). The decode kernels read it as a read-only storage texture: llvmpipe splits a storage-buffer load
 * into a loop over its lanes with a branch per component, while a texel fetch is one gather (kvcache.rows at
 * 16 rows, position 80, one thread: its attention phase ~28% and the whole block ~10% less CPU than with
 * buffers). Read-only storage rather than sampled: llvmpipe 22.3 looks up each lane's mip level for a
 * sampled fetch (kvcache.rows at 16 rows, position 80, one thread: 605-633 µs of CPU with the weights and
 * the cache as storage textures, 695-726 with only the weights, 818-855 with neither). No kernel samples
 * it, so it has no TEXTURE_BINDING usage.
 * A dispatch cannot also write a texture it reads, so the block kernels leave each row's new key and
 * value in a `fresh` buffer, which the next decode step's embedding dispatch stores (embedRows' `store`;
 * kvStore where that cannot); kvCacheWrite fills prompts.
 */
export class KvCache {
  readonly texture: GPUTexture;
  /** The 2D-array view, bound read-only by the decode kernels and write-only by the writers. */
  readonly view: GPUTextureView;

  constructor(
    readonly slots: number,
    readonly Tmax: number,
    readonly C: number,
    label = "kv cache",
  ) {
    const limits = runtime().device.limits;
    // At least two layers: on the compatibility level a one-layer texture binds as 2D, not as a 2D array.
    const layers = Math.max(2, slots);
    if (C % 4 !== 0 || C / 2 > limits.maxTextureDimension2D || Tmax > limits.maxTextureDimension2D || layers > limits.maxTextureArrayLayers) {
      throw new GpuError(
        `${label}: a cache of ${slots} sequences × ${Tmax} positions × C ${C} needs C a multiple of 4, C/2 and ${Tmax} ≤ ${limits.maxTextureDimension2D} and ${slots} ≤ ${limits.maxTextureArrayLayers} sequences on this adapter`,
      );
    }
    const usage = GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_SRC | GPUTextureUsage.COPY_DST;
    this.texture = runtime().device.createTexture({ size: [C / 2, Tmax, layers], format: "rgba32float", usage, label });
    this.view = this.texture.createView({ dimension: "2d-array" });
  }

  /** Bytes per texture row in buffer copies: 2C floats, padded to WebGPU's 256-byte row alignment. */
  private get rowBytes(): number {
    return Math.ceil((this.C * 8) / 256) * 256;
  }

  /** Replaces the whole cache with keys and values (slots, Tmax, C) f32 (tests and tools). */
  write(k: Float32Array, v: Float32Array): void {
    const { slots, Tmax, C } = this;
    if (k.length !== slots * Tmax * C || v.length !== k.length) throw new ShapeError("KvCache.write", `keys and values of ${slots}×${Tmax}×${C}`, [[k.length], [v.length]]);
    const data = new Float32Array((this.rowBytes / 4) * Tmax * slots);
    for (let r = 0; r < slots * Tmax; r++) {
      data.set(k.subarray(r * C, (r + 1) * C), (r * this.rowBytes) / 4);
      data.set(v.subarray(r * C, (r + 1) * C), (r * this.rowBytes) / 4 + C);
    }
    runtime().flush(); // the write must land after everything recorded before it
    runtime().device.queue.writeTexture({ texture: this.texture }, data, { bytesPerRow: this.rowBytes, rowsPerImage: Tmax }, [C / 2, Tmax, slots]);
  }

  /** The keys and values, (slots, Tmax, C) f32 each, after everything recorded so far (tests and tools). */
  async read(): Promise<{ k: Float32Array; v: Float32Array }> {
    const { slots, Tmax, C } = this;
    const rt = runtime();
    rt.flush();
    const bytes = this.rowBytes * Tmax * slots;
    const staging = rt.device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ, label: "kv cache readback" });
    const encoder = rt.device.createCommandEncoder();
    encoder.copyTextureToBuffer({ texture: this.texture }, { buffer: staging, bytesPerRow: this.rowBytes, rowsPerImage: Tmax }, [C / 2, Tmax, slots]);
    rt.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const data = new Float32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    const [k, v] = [new Float32Array(slots * Tmax * C), new Float32Array(slots * Tmax * C)];
    for (let r = 0; r < slots * Tmax; r++) {
      const at = (r * this.rowBytes) / 4;
      k.set(data.subarray(at, at + C), r * C);
      v.set(data.subarray(at + C, at + 2 * C), r * C);
    }
    return { k, v };
  }

  destroy(): void {
    this.texture.destroy();
  }
}

/** Writes keys and values of qkv (B, T, 3C) into the cache for t < len_b (slot from meta (B, 4) u32). */
export function kvCacheWrite(qkv: Tensor, meta: Tensor, cache: KvCache): void {
  const [B = 0, T = 0, C3 = 0] = qkv.shape;
  const C = C3 / 3;
  expectShape("kvCacheWrite", meta, [B, META_WORDS], "meta (B, 4) for qkv (B, T, 3C)");
  if (qkv.shape.length !== 3 || C !== cache.C || T > cache.Tmax) throw new ShapeError("kvCacheWrite", `qkv (B, T ≤ ${cache.Tmax}, 3·${cache.C}) for the cache`, [qkv.shape, [cache.slots, cache.Tmax, cache.C]]);
  const n = B * T * (C / 2);
  if (n > 0) runtime().dispatch({ kernel: "kvcache.write", bindings: [qkv, meta, cache.view], params: params([B, T, C / 4]), workgroups: linearGrid(n, 64) });
}

/** (rows, 2C) f32: each row's new key then value, which a decode kernel computes and kvStore writes. */
function freshRows(rows: number, cache: KvCache): Tensor {
  return Tensor.empty([rows, 2 * cache.C]);
}

/** Rows' new keys and values for the cache: fresh (rows, 2C) per layer, placed by meta (rows, 4) [_, slot, pos, _]. */
export interface KvStore {
  meta: Tensor;
  layers: readonly { fresh: Tensor; cache: KvCache }[];
}

/**
 * Layers one dispatch can store: at most 4, and within the adapter's storage textures and storage buffers
 * per stage (kvcache.embed binds 5 buffers of its own, then the rows' meta and one buffer per layer).
 */
/** Storage textures one fused block dispatch ("block", "rowblock") binds: four weights and the KV cache. */
export const FUSED_BLOCK_TEXTURES = 5;

/** Whether this device binds enough storage textures per stage for the fused block kernels. */
export function fusedBlocksFit(): boolean {
  return runtime().device.limits.maxStorageTexturesPerShaderStage >= FUSED_BLOCK_TEXTURES;
}

function expectFusedBlocks(op: string): void {
  if (fusedBlocksFit()) return;
  throw new GpuError(`${op}: the fused block kernel binds ${FUSED_BLOCK_TEXTURES} storage textures, and this device allows ${runtime().device.limits.maxStorageTexturesPerShaderStage} per stage; use the "rows" or "ops" decode variant`);
}

export function storeLayersPerDispatch(): number {
  const limits = runtime().device.limits;
  return Math.max(1, Math.min(4, limits.maxStorageTexturesPerShaderStage, limits.maxStorageBuffersPerShaderStage - 6));
}

function checkStore(op: string, store: KvStore): number {
  const rows = store.meta.shape[0] ?? 0;
  expectShape(op, store.meta, [rows, META_WORDS], "store meta (rows, 4)");
  const C = store.layers[0]?.cache.C ?? 0;
  for (const { fresh, cache } of store.layers) {
    if (cache.C !== C) throw new ShapeError(op, "caches of one width", store.layers.map((l) => [l.cache.C]));
    expectShape(op, fresh, [rows, 2 * C], "fresh (rows, 2C) for its cache");
  }
  if (store.layers.length > storeLayersPerDispatch()) throw new ShapeError(op, `at most ${storeLayersPerDispatch()} layers per dispatch`, [[store.layers.length]]);
  return rows;
}

/** The store statements' defines (kvcache.store.wgsl) for n layers, bindings from `first`. */
function storeDefines(n: number, first: number): Record<string, string> {
  if (n === 0) return { STORE_BINDINGS: "", STORES: "" };
  const layers = [...Array(n).keys()];
  const bindings = [`@group(0) @binding(${first}) var<storage, read> srow: array<u32>;`];
  for (const i of layers) {
    bindings.push(`@group(0) @binding(${first + 1 + 2 * i}) var<storage, read> fresh${i}: array<vec4f>;`);
    bindings.push(`@group(0) @binding(${first + 2 + 2 * i}) var kv${i}: texture_storage_2d_array<rgba32float, write>;`);
  }
  const stores = [
    "if (i < p.srows * p.W) {",
    "    let at = vec2u(i % p.W, srow[(i / p.W) * 4u + 2u]);",
    "    let slot = srow[(i / p.W) * 4u + 1u];",
    ...layers.map((l) => `    textureStore(kv${l}, at, slot, fresh${l}[i]);`),
    "  }",
  ];
  return { STORE_BINDINGS: bindings.join("\n"), STORES: stores.join("\n  ") };
}
/** storeDefines by [first binding][layers]: built once, as dispatches look defines up by value. */
const STORE_DEFINES = new Map<number, Record<string, string>[]>();
function storeDefinesCached(n: number, first: number): Record<string, string> {
  let byCount = STORE_DEFINES.get(first);
  if (!byCount) STORE_DEFINES.set(first, (byCount = [0, 1, 2, 3, 4].map((k) => storeDefines(k, first))));
  return byCount[n]!;
}

/** The bindings a store adds after a kernel's own: meta, then fresh and cache per layer. */
function storeBindings(store: KvStore | undefined): Binding[] {
  return store ? [store.meta, ...store.layers.flatMap((l) => [l.fresh, l.cache.view])] : [];
}

/**
 * Writes each row's new key and value, fresh (rows, 2C) per layer, into that layer's cache at the row's
 * (slot, pos): one dispatch per as many layers as the adapter binds storage textures. The decode step
 * usually leaves this to the next step's embedding dispatch (embedRows' `store`).
 */
export function kvStore(store: KvStore): void {
  const per = storeLayersPerDispatch();
  for (let at = 0; at < store.layers.length; at += per) {
    const part = { meta: store.meta, layers: store.layers.slice(at, at + per) };
    const rows = checkStore("kvStore", part);
    if (rows === 0) continue;
    const W = part.layers[0]!.cache.C / 2;
    runtime().dispatch({
      kernel: "kvcache.store",
      reuse: true,
      defines: storeDefinesCached(part.layers.length, 1),
      bindings: storeBindings(part),
      params: params([rows, W]),
      workgroups: linearGrid(rows * W, 64),
    });
  }
}

/**
 * x (rows, C) = wte[token] + wpe[pos] for meta (rows, 4) u32 [token, slot, pos, _]; with `tokens`, a
 * sampler output (rows, 2) u32 [token, logprob], the tokens come from there instead of meta. With `store`
 * (at most storeLayersPerDispatch() layers), the same dispatch also writes those keys and values into the
 * cache, as kvStore does.
 */
export function embedRows(meta: Tensor, wte: Tensor, wpe: Tensor, tokens?: Tensor, store?: KvStore): Tensor {
  const rows = meta.shape[0] ?? 0;
  const [V = 0, C = 0] = wte.shape;
  if (wpe.shape[1] !== C || C % 4 !== 0) throw new ShapeError("embedRows", "wte (V, C) and wpe (T, C) with C a multiple of 4", [wte.shape, wpe.shape]);
  if (tokens) expectShape("embedRows", tokens, [rows, 2], "tokens (rows, 2) from the sampler");
  const srows = store ? checkStore("embedRows", store) : 0;
  const W = store?.layers[0] ? store.layers[0].cache.C / 2 : 0;
  const x = Tensor.empty([rows, C]); // (rows, C) f32
  for (const [k, { start, count }] of tableChunks(V, C * 4).entries()) {
    // Only the first chunk's dispatch stores.
    const s = k === 0 && srows > 0 && W > 0 ? store : undefined;
    runtime().dispatch({
      kernel: "kvcache.embed",
      reuse: true,
      defines: storeDefinesCached(s?.layers.length ?? 0, 6),
      bindings: [meta, tokens ?? meta, rowsOf(wte, start, count, C * 4), wpe, x, ...storeBindings(s)],
      params: params([rows, C / 4, start, count, tokens ? 2 : META_WORDS, s ? srows : 0, s ? W : 0]),
      workgroups: linearGrid(Math.max((rows * C) / 4, s ? srows * W : 0), 64),
    });
  }
  return x;
}

/** A (K, N) weight packed into an rgba32float texture of K rows × N/4 texels for the decode kernels. */
export interface WeightTexture {
  readonly texture: GPUTexture;
  readonly view: GPUTextureView;
  readonly K: number;
  readonly N: number;
}

/** An unfilled texture for a (K, N) weight; N must be a multiple of 4 and both sides fit the device. */
export function weightTexture(K: number, N: number, label: string): WeightTexture {
  const max = runtime().device.limits.maxTextureDimension2D;
  if (N % 4 !== 0 || K > max || N / 4 > max) throw new GpuError(`${label}: a (${K}, ${N}) weight does not fit a ${max}×${max} texture with N a multiple of 4`);
  const usage = GPUTextureUsage.STORAGE_BINDING; // written by kvcache.pack, read as a read-only storage texture
  const texture = runtime().device.createTexture({ size: [N / 4, K], format: "rgba32float", usage, label });
  return { texture, view: texture.createView(), K, N };
}

/** Copies w (K, N) f32 into its texture (one dispatch). */
export function packWeight(w: Tensor, t: WeightTexture): void {
  expectShape("packWeight", w, [t.K, t.N], "a weight shaped like its texture");
  runtime().dispatch({ kernel: "kvcache.pack", bindings: [w, t.view], params: params([t.K, t.N / 4]), workgroups: [Math.ceil(t.N / 4 / 64), t.K] });
}

/** Whether a (K, N) weight fits a texture of K rows × N/4 texels on this device (N a multiple of 4). */
export function fitsTexture(K: number, N: number): boolean {
  const max = runtime().device.limits.maxTextureDimension2D;
  return N % 4 === 0 && K <= max && N / 4 <= max;
}

/** Copies wᵀ into its texture for w (N, K), e.g. the tied head's wte (V, C) as a (C, V) weight (one dispatch). */
export function packWeightTransposed(w: Tensor, t: WeightTexture): void {
  expectShape("packWeightTransposed", w, [t.N, t.K], "a table shaped like the transpose of its texture");
  runtime().dispatch({ kernel: "kvcache.pack.t", bindings: [w, t.view], params: params([t.K, t.N / 4]), workgroups: [Math.ceil(t.N / 4 / 64), t.K] });
}

export type LinearEpilogue = "none" | "gelu" | "residual";

// Invocations per workgroup of kvcache.linear: one llvmpipe SIMD group, so that a (C, C) weight (C / 16
// invocations per R rows) still makes several workgroups for llvmpipe's threads (one workgroup each).
// kvcache.mlp also needs it to be at least rowBlock's largest R: invocation r < R computes row r's LayerNorm
// statistics.
const LINEAR_WG = 8;
// vec4 output columns per invocation of kvcache.linear (see its header).
const LINEAR_CPI = 4;

/**
 * Decode-step linear: epilogue(ln?(x) · w + bias) for x (rows, K), w (K, N) packed, bias (N).
 * With `ln` = [weight, shift], x is LayerNorm'd on the fly. "residual" adds into `out` (rows, N) in place
 * (the residual stream) and returns it; the others return a new (rows, N) tensor.
 */
export function decodeLinear(x: Tensor, w: WeightTexture, bias: BufferView, opts: { ln?: [Tensor, Tensor]; epilogue?: LinearEpilogue; out?: Tensor } = {}): Tensor {
  const [rows = 0, K = 0] = x.shape;
  const N = w.N;
  if (x.shape.length !== 2 || w.K !== K || K % 4 !== 0) throw new ShapeError("decodeLinear", "x (rows, K) and w (K, N) with K a multiple of 4", [x.shape, [w.K, w.N]]);
  const epilogue = opts.epilogue ?? "none";
  const out = opts.out ?? Tensor.empty([rows, N]); // (rows, N) f32
  expectShape("decodeLinear", out, [rows, N], "out (rows, N)");
  const R = rowBlock(rows);
  const [lnw, lnb] = opts.ln ?? [bias, bias];
  runtime().dispatch({
    kernel: "kvcache.linear",
    reuse: true,
    defines: { R, CPI: LINEAR_CPI, LN: `${opts.ln !== undefined}`, MODE: { none: 0, gelu: 1, residual: 2 }[epilogue] },
    overrides: { WG: LINEAR_WG },
    bindings: [x, w.view, bias, lnw, lnb, out],
    params: params([rows, K / 4, N / 4], [LN_EPS]),
    workgroups: [Math.ceil(N / 4 / LINEAR_CPI / LINEAR_WG), Math.ceil(rows / R)],
  });
  return out;
}

/**
 * The attention half of a decode-step block, per head and block of R rows (kvcache.attend.wgsl): y (rows, C)
 * = attention of ln(x)·Wq + bq over each row's cache and its new key ln(x)·Wk + bk and value ln(x)·Wv + bv,
 * which go to `fresh` (rows, 2C) for kvStore. x (rows, C) is the residual stream, w the packed c_attn
 * (C, 3C), bias (3C).
 */
export function attendDecode(x: Tensor, meta: Tensor, w: WeightTexture, bias: BufferView, ln: [Tensor, Tensor], cache: KvCache, NH: number): { y: Tensor; fresh: Tensor } {
  const [rows = 0, C = 0] = x.shape;
  const HS = C / NH;
  if (x.shape.length !== 2 || C % NH !== 0 || HS % 4 !== 0 || w.K !== C || w.N !== 3 * C) {
    throw new ShapeError("attendDecode", `x (rows, C) with a head size C / ${NH} that is a multiple of 4, and c_attn (C, 3C)`, [x.shape, [w.K, w.N]]);
  }
  expectShape("attendDecode", meta, [rows, META_WORDS], "meta (rows, 4)");
  if (cache.C !== C) throw new ShapeError("attendDecode", "a cache of the model's width", [x.shape, [cache.slots, cache.Tmax, cache.C]]);
  const R = rowBlock(rows);
  const y = Tensor.empty([rows, C]); // (rows, C) f32
  const fresh = freshRows(rows, cache);
  runtime().dispatch({
    kernel: "kvcache.attend",
    reuse: true,
    defines: { R, HS4: HS / 4 },
    // Enough invocations for both phases: one per vec4 of a head's columns, then one per row.
    overrides: { WG: Math.max(8, HS / 4) },
    bindings: [x, meta, w.view, bias, ln[0], ln[1], cache.view, fresh, y],
    params: params([rows, C / 4], [LN_EPS, 1 / Math.sqrt(HS)]),
    workgroups: [NH, Math.ceil(rows / R)],
  });
  return { y, fresh };
}

/** Words of one block's packed vectors: LayerNorm weights and shifts and the four biases (see kvcache.block.wgsl). */
export const BLOCK_VEC_WORDS = 13;

/**
 * Invocations per workgroup of kvcache.block (one workgroup per row): one llvmpipe SIMD group. Fewer
 * invocations own more columns each, so each activation load serves more weight texels (measured: 8 and 16
 * about 12% faster than 32 on the tiny preset).
 */
const BLOCK_WG = 8;

/**
 * A whole decode-step transformer block in one dispatch (CPU adapters): x (rows, C) is updated in place;
 * vecs (13C) holds the block's vectors, w = [c_attn (C, 3C), attn c_proj (C, C), c_fc (C, 4C), mlp c_proj (4C, C)].
 * Returns each row's new key and value (rows, 2C) for kvStore.
 */
export function decodeBlock(x: Tensor, meta: Tensor, vecs: Tensor, w: readonly [WeightTexture, WeightTexture, WeightTexture, WeightTexture], cache: KvCache, NH: number): Tensor {
  const [rows = 0, C = 0] = x.shape;
  const wantN = [3 * C, C, 4 * C, C];
  if (x.shape.length !== 2 || C % 4 !== 0 || C % NH !== 0 || (C / NH) % 4 !== 0 || vecs.size !== BLOCK_VEC_WORDS * C || w.some((t, i) => t.N !== wantN[i])) {
    throw new ShapeError("decodeBlock", `x (rows, C) with C a multiple of 4 and of NH = ${NH}, a head size that is a multiple of 4, and vecs (13C)`, [x.shape, vecs.shape]);
  }
  expectShape("decodeBlock", meta, [rows, META_WORDS], "meta (rows, 4)");
  expectFusedBlocks("decodeBlock");
  if (cache.C !== C) throw new ShapeError("decodeBlock", "a cache of the model's width", [x.shape, [cache.slots, cache.Tmax, cache.C]]);
  const HS = C / NH;
  const fresh = freshRows(rows, cache);
  const S4 = (7 * C) / 4 + BLOCK_WG + (BLOCK_WG * HS) / 4;
  const scratch = Tensor.empty([rows, 4 * S4]); // (rows, S4) vec4f, see the kernel's header
  // Invocations per head in attention: all of them split among the heads, a power of two.
  const G = 2 ** Math.floor(Math.log2(Math.max(1, BLOCK_WG / NH)));
  runtime().dispatch({
    kernel: "kvcache.block",
    reuse: true,
    defines: { HS4: HS / 4, G },
    overrides: { WG: BLOCK_WG },
    bindings: [x, meta, vecs, ...w.map((t) => t.view), cache.view, fresh, scratch],
    params: params([C / 4, NH, S4], [LN_EPS, 1 / Math.sqrt(HS)]),
    workgroups: rows,
  });
  // Later uses of the buffer are recorded after this dispatch, so it can go back to the pool now.
  scratch.dispose();
  return fresh;
}

/**
 * The second half of a decode-step block in one dispatch (kvcache.mlp.wgsl): x (rows, C) += c_proj of the
 * attention output y (rows, C), then += the MLP of ln_2(x); w = [attn c_proj (C, C), c_fc (C, 4C), mlp
 * c_proj (4C, C)], vecs (13C) the block's vectors as decodeBlock takes them. One workgroup per R rows, so
 * for CPU adapters: it computes what three decodeLinear calls do, with the same sums.
 */
export function decodeMlp(x: Tensor, y: Tensor, w: readonly [WeightTexture, WeightTexture, WeightTexture], vecs: Tensor): void {
  const [rows = 0, C = 0] = x.shape;
  const want: [number, number][] = [[C, C], [C, 4 * C], [4 * C, C]];
  if (x.shape.length !== 2 || C % 4 !== 0 || vecs.size !== BLOCK_VEC_WORDS * C || w.some((t, i) => t.K !== want[i]![0] || t.N !== want[i]![1])) {
    throw new ShapeError("decodeMlp", "x (rows, C) with C a multiple of 4, weights (C, C), (C, 4C), (4C, C) and vecs (13C)", [x.shape, vecs.shape]);
  }
  expectShape("decodeMlp", y, [rows, C], "attention output y (rows, C)");
  const f = Tensor.empty([rows, 4 * C]); // (rows, 4C) f32 scratch: the MLP's hidden activations
  const R = rowBlock(rows);
  runtime().dispatch({
    kernel: "kvcache.mlp",
    reuse: true,
    defines: { R, CPI: LINEAR_CPI },
    overrides: { WG: LINEAR_WG },
    bindings: [x, y, ...w.map((t) => t.view), vecs, f],
    params: params([rows, C / 4], [LN_EPS]),
    workgroups: [1, Math.ceil(rows / R)],
  });
  // Later uses of the buffer are recorded after this dispatch, so it can go back to the pool now.
  f.dispose();
}

/**
 * A whole decode-step block for R rows per workgroup in one dispatch (kvcache.rows.wgsl, CPU adapters):
 * what attendDecode then decodeMlp compute, with the same sums. x (rows, C) is updated in place; vecs (13C)
 * and w as decodeBlock takes them. Returns each row's new key and value (rows, 2C) for kvStore.
 */
export function decodeRows(x: Tensor, meta: Tensor, vecs: Tensor, w: readonly [WeightTexture, WeightTexture, WeightTexture, WeightTexture], cache: KvCache, NH: number): Tensor {
  const [rows = 0, C = 0] = x.shape;
  const wantN = [3 * C, C, 4 * C, C];
  if (x.shape.length !== 2 || C % 4 !== 0 || C % NH !== 0 || (C / NH) % 4 !== 0 || vecs.size !== BLOCK_VEC_WORDS * C || w.some((t, i) => t.N !== wantN[i])) {
    throw new ShapeError("decodeRows", `x (rows, C) with C a multiple of 4 and of NH = ${NH}, a head size that is a multiple of 4, and vecs (13C)`, [x.shape, vecs.shape]);
  }
  expectShape("decodeRows", meta, [rows, META_WORDS], "meta (rows, 4)");
  expectFusedBlocks("decodeRows");
  if (cache.C !== C) throw new ShapeError("decodeRows", "a cache of the model's width", [x.shape, [cache.slots, cache.Tmax, cache.C]]);
  const HS = C / NH;
  const fresh = freshRows(rows, cache);
  const scratch = Tensor.empty([rows, 8 * C]); // (rows, 8C) f32: qkv, y, f per row (see the kernel's header)
  const R = rowBlock(rows);
  runtime().dispatch({
    kernel: "kvcache.rows",
    reuse: true,
    defines: { R, CPI: LINEAR_CPI, HS4: HS / 4 },
    overrides: { WG: LINEAR_WG },
    bindings: [x, meta, vecs, ...w.map((t) => t.view), cache.view, fresh, scratch],
    params: params([rows, C / 4, NH], [LN_EPS, 1 / Math.sqrt(HS)]),
    workgroups: [1, Math.ceil(rows / R)],
  });
  // Later uses of the buffer are recorded after this dispatch, so it can go back to the pool now.
  scratch.dispose();
  return fresh;
}

/** logits (rows, V) = ln_f(x) · wteᵀ for x (rows, C), C % 4 = 0. */
export function headLogits(x: Tensor, wte: Tensor, lnw: Tensor, lnb: Tensor): Tensor {
  const [rows = 0, C = 0] = x.shape;
  const [V = 0, Cw = 0] = wte.shape;
  if (x.shape.length !== 2 || Cw !== C || C % 4 !== 0) throw new ShapeError("headLogits", "x (rows, C) and wte (V, C) with C a multiple of 4", [x.shape, wte.shape]);
  const logits = Tensor.empty([rows, V]); // (rows, V) f32
  const R = rowBlock(rows);
  for (const { start, count } of tableChunks(V, C * 4)) {
    runtime().dispatch({
      kernel: "sample.logits",
      reuse: true,
      defines: { R },
      bindings: [x, rowsOf(wte, start, count, C * 4), lnw, lnb, logits],
      params: params([rows, C / 4, V, start, count], [LN_EPS]),
      workgroups: [Math.ceil(count / 256), Math.ceil(rows / R)],
    });
  }
  return logits;
}

/** Per-row sampling settings, packed into the sampler's cfg rows. */
export interface SampleParams {
  /** Cache slot whose token counts drive the penalties. */
  slot: number;
  seed: number;
  /** Tokens this sequence has generated before this one: with the seed it fixes the random draw. */
  step: number;
  temperature: number;
  topK: number;
  topP: number;
  presencePenalty: number;
  frequencyPenalty: number;
}

/**
 * Invocations per row of sample.wgsl and sample.top.wgsl (the same, so their log-probabilities agree bit
 * for bit). On a CPU adapter one SIMD group (8): llvmpipe runs a workgroup on one thread whatever its size,
 * and every barrier switches between its groups (measured at 16 rows of V = 512: 8 invocations take a
 * third of the time of 64). On a GPU about 8 tokens each, 32 to 256.
 */
function samplerWorkgroup(V: number): number {
  if (runtime().info.isCpu) return 8;
  return Math.min(256, Math.max(32, 2 ** Math.ceil(Math.log2(V / 8))));
}

/** cfg (rows, 8) u32 words for kernels/sample.wgsl. */
export function packSampleParams(rows: readonly SampleParams[]): Uint32Array {
  const words = new Uint32Array(rows.length * CFG_WORDS);
  const f = new Float32Array(words.buffer);
  rows.forEach((r, i) => {
    const o = i * CFG_WORDS;
    words.set([r.slot, r.seed >>> 0, r.step, r.topK], o);
    f.set([r.temperature, r.topP, r.presencePenalty, r.frequencyPenalty], o + 4);
  });
  return words;
}

/** (rows, 2) u32 [token, logprob f32 bits] sampled from logits (rows, V); bumps counts (slots, V) u32. */
export function sampleRows(logits: Tensor, cfg: Tensor, counts: Tensor): Tensor {
  const [rows = 0, V = 0] = logits.shape;
  expectShape("sampleRows", cfg, [rows, CFG_WORDS], "cfg (rows, 8)");
  if (counts.shape.length !== 2 || counts.shape[1] !== V || counts.dtype !== "u32") throw new ShapeError("sampleRows", "counts (slots, V) u32", [counts.shape, logits.shape]);
  const out = Tensor.empty([rows, 2], "u32"); // (rows, 2) u32
  runtime().dispatch({ kernel: "sample", reuse: true, overrides: { WG: samplerWorkgroup(V) }, bindings: [logits, cfg, counts, out], params: params([rows, V]), workgroups: rows });
  return out;
}

/** Most tokens `top_logprobs` may ask for per position (OpenAI's limit). */
export const MAX_TOP_LOGPROBS = 20;

/** (rows, N, 2) u32 [token, logprob f32 bits]: each row's N most likely tokens of logits (rows, V), best first. */
export function topLogprobRows(logits: Tensor, N: number): Tensor {
  const [rows = 0, V = 0] = logits.shape;
  if (logits.shape.length !== 2 || !Number.isInteger(N) || N < 1 || N > Math.min(V, MAX_TOP_LOGPROBS)) {
    throw new ShapeError("topLogprobRows", `logits (rows, V) and 1 ≤ N ≤ min(V, ${MAX_TOP_LOGPROBS})`, [logits.shape, [N]]);
  }
  const out = Tensor.empty([rows, N, 2], "u32"); // (rows, N, 2) u32
  runtime().dispatch({ kernel: "sample.top", overrides: { WG: samplerWorkgroup(V) }, bindings: [logits, out], params: params([rows, V, N]), workgroups: rows });
  return out;
}
