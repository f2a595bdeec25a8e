/**
 * Pipelined decoding: K decode steps recorded and submitted together, then one readback of the K sampled
 * (token, logprob) pairs per row. Sampling happens on the GPU, so each step's embedding reads the token
 * the previous step's sampler wrote, without a round trip through the host; a step's positions and
 * sampler settings are known in advance (position and draw index advance by one per step). On llvmpipe
 * a readback round trip costs 0.15–0.3 ms, and the per-step uploads and bookkeeping go too: measured,
 * batch 1 of the tiny preset decodes about 6% faster in wall-clock time and uses about 18% less CPU per
 * token with 8 steps per readback (packages/model/README.md).
 * The engine decides K (see `chunkSteps`) and applies stop sequences, end-of-text and limits afterwards,
 * discarding a row's tokens past its end; this module only records and reads.
 */
import { runtime, scope, Tensor } from "@forno/gpu";
import type { DecodeState } from "./forward.ts";
import { CFG_WORDS, META_WORDS, packSampleParams, sampleRows, type SampleParams } from "./kernels.ts";

/** A sequence entering a chunk: its newest token, at cache position `pos` of `slot`. */
export interface ChunkRow {
  token: number;
  slot: number;
  pos: number;
  /** The sampler settings of the chunk's first step (`step` = tokens generated so far). */
  sample: SampleParams;
}

/** What a row may still use: tokens before its limit and cache positions before the end. */
export interface RowRoom {
  tokensLeft: number;
  positionsLeft: number;
}

/**
 * Steps in the next chunk: at most `most`, no more than the row with the most tokens to go needs, and
 * never past any row's last cache position (a step writes its row's key and value there). With requests
 * waiting for a slot (`soon`), no more than the row closest to its token limit needs, so its slot frees
 * on time.
 */
export function chunkSteps(rows: readonly RowRoom[], most: number, soon: boolean): number {
  const need = soon ? Math.min(...rows.map((r) => r.tokensLeft)) : Math.max(...rows.map((r) => r.tokensLeft));
  return Math.max(1, Math.min(most, need, ...rows.map((r) => r.positionsLeft)));
}

/**
 * Runs K decode steps for `rows` and returns (K, rows, 2) u32: step j's [token, logprob f32 bits] per
 * row. Steps after a row's end still run (their tokens are the caller's to discard).
 */
export function decodeChunk(state: DecodeState, rows: readonly ChunkRow[], K: number): Promise<Uint32Array> {
  const n = rows.length;
  return scope(async () => {
    const rt = runtime();
    rt.step = `generate: ${K} pipelined decode steps of ${n}`;
    const meta = new Uint32Array(K * n * META_WORDS); // (K, n, 4) [token (step 0 only), slot, pos, _]
    const cfg: SampleParams[] = [];
    for (let j = 0; j < K; j++) {
      rows.forEach((r, i) => {
        meta.set([j === 0 ? r.token : 0, r.slot, r.pos + j, 0], (j * n + i) * META_WORDS);
        cfg.push({ ...r.sample, step: r.sample.step + j });
      });
    }
    const metaAll = Tensor.from(meta, [K * n, META_WORDS]);
    const cfgAll = Tensor.from(packSampleParams(cfg), [K * n, CFG_WORDS]);
    const picked = Tensor.empty([K * n, 2], "u32"); // (K, n, 2)
    let prev: Tensor | undefined;
    for (let j = 0; j < K; j++) {
      // Each step's tensors go back to the pool at its end (its meta and new keys and values one step
      // later: DecodeState keeps them for the next step's store), so the steps cycle through the same few
      // buffers and their dispatches find their bind groups kept (Dispatch.reuse).
      const out = scope(() => {
        // Copies, not views: the kernels bind whole tensors, and storage bindings need 256-byte offsets.
        const stepMeta = Tensor.empty([n, META_WORDS], "u32");
        rt.copy(metaAll.buffer, j * n * META_WORDS * 4, stepMeta.buffer, 0, n * META_WORDS * 4);
        const stepCfg = Tensor.empty([n, CFG_WORDS], "u32");
        rt.copy(cfgAll.buffer, j * n * CFG_WORDS * 4, stepCfg.buffer, 0, n * CFG_WORDS * 4);
        return sampleRows(state.decode(stepMeta, prev), stepCfg, state.counts); // (n, 2)
      });
      rt.copy(out.buffer, 0, picked.buffer, j * n * 8, n * 8);
      prev?.dispose(); // read by this step's embedding, which is recorded
      prev = out;
    }
    return new Uint32Array(await picked.read());
  });
}
