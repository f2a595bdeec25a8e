import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { initRuntime, noGrad, runtime, scope, Tensor } from "@forno/gpu";
import { expectClose } from "@forno/gpu/testing";
import { makeConfig } from "../config.ts";
import { GPT } from "../gpt.ts";
import { initParams } from "../init.ts";
import { DecodeState } from "./forward.ts";
import { embedRows } from "./kernels.ts";

// llvmpipe shares two cores with other test runs: allow slow steps.
setDefaultTimeout(60_000);

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

// V 64 packs the tied head into a texture (kvcache.linear); V 62 is not a multiple of 4 and reads wte
// through sample.logits. C 20 gives 5 vec4 columns per head-sized slice: partial column groups in the
// fused block's matrix products. 6 layers: more than one dispatch stores a step's keys and values (the
// next step's embedding stores 4 layers, kvStore the rest); 1 layer, the smallest model. All must give
// model.forward's logits, for the prefill and two decode steps (the second reads the first's keys and
// values from the cache).
test.each([
  [64, 16, 2, 2],
  [62, 16, 2, 2],
  [64, 20, 1, 2],
  [64, 16, 2, 6],
  [64, 16, 2, 1],
])("prefill and decode logits equal model.forward's at V = %i, C = %i, NH = %i, L = %i, every decode variant, 9 rows", async (V, C, NH, L) => {
  const config = makeConfig("tiny", { vocabSize: V, contextLength: 24, nLayer: L, nHead: NH, nEmbd: C });
  const model = new GPT(config, initParams(config, 3));
  const seqs = Array.from({ length: 9 }, (_, i) => Array.from({ length: 1 + (i % 4) }, (_, t) => (i * 7 + t * 3) % V));
  const next = seqs.map((_, i) => (i * 5 + 1) % V);
  const next2 = seqs.map((_, i) => (i * 3 + 2) % V);
  const slots = seqs.map((_, i) => 8 - i);
  const expected = await noGrad(() =>
    scope(async () => {
      const rows: ArrayLike<number>[] = [];
      for (const [i, s] of seqs.entries()) {
        const all = (await model.forward(Tensor.from(Int32Array.from([...s, next[i]!, next2[i]!]), [1, s.length + 2])).logits.read()) as Float32Array;
        rows.push(all.slice((s.length - 1) * V, s.length * V), all.slice(s.length * V, (s.length + 1) * V), all.slice((s.length + 1) * V));
      }
      return rows;
    }),
  );
  const decoded = new Map<string, Float32Array>();
  for (const variant of ["block", "rows", "rowblock", "ops"] as const) {
    const state = new DecodeState(model, 9, 16, variant);
    state.refresh();
    await noGrad(() =>
      scope(async () => {
        const pre = await state.prefill(seqs, slots).read();
        const step = (tokens: number[], at: number) => Tensor.from(Uint32Array.from(seqs.flatMap((s, i) => [tokens[i]!, slots[i]!, s.length + at, 0])), [seqs.length, 4]);
        const dec = (await state.decode(step(next, 0)).read()) as Float32Array;
        const dec2 = (await state.decode(step(next2, 1)).read()) as Float32Array;
        decoded.set(variant, dec2);
        // f32 sums in other orders than the training kernels: 1e-4 relative and absolute on logits.
        seqs.forEach((_, i) => {
          expectClose(pre.subarray(i * V, (i + 1) * V), expected[3 * i]!, 1e-4, 1e-4, `prefill logits ${i}`);
          expectClose(dec.subarray(i * V, (i + 1) * V), expected[3 * i + 1]!, 1e-4, 1e-4, `${variant} decode logits ${i}`);
          expectClose(dec2.subarray(i * V, (i + 1) * V), expected[3 * i + 2]!, 1e-4, 1e-4, `${variant} second decode logits ${i}`);
        });
      }),
    );
    state.dispose();
  }
  // "rowblock" is "rows" in one dispatch per block: the same sums in the same order.
  expect(decoded.get("rowblock")).toEqual(decoded.get("rows")!);
});

// "auto" runs "block" up to 2 rows and "rowblock" above. Each step's embedding dispatch stores the keys
// and values the step before left pending, whichever kernels and rows that step had.
test("decode steps that switch between \"rowblock\" and \"block\" kernels and change rows keep the cache whole", async () => {
  const V = 64;
  const config = makeConfig("tiny", { vocabSize: V, contextLength: 24, nLayer: 3, nHead: 2, nEmbd: 16 });
  const model = new GPT(config, initParams(config, 5));
  const seqs = Array.from({ length: 4 }, (_, i) => Array.from({ length: 2 + i }, (_, t) => (i * 11 + t * 5) % V));
  // Per step, which rows take part: 4 (rowblock), 4, 2 (block), 4, 1, 3.
  const steps = [[0, 1, 2, 3], [0, 1, 2, 3], [1, 3], [0, 1, 2, 3], [2], [0, 2, 3]];
  const fed = seqs.map((s) => [...s]);
  const state = new DecodeState(model, 4, 16, "auto");
  state.refresh();
  await noGrad(() =>
    scope(async () => {
      await state.prefill(seqs, [0, 1, 2, 3]).read();
      for (const [k, rows] of steps.entries()) {
        const tokens = rows.map((i) => (k * 13 + i * 7 + 3) % V);
        const meta = Tensor.from(Uint32Array.from(rows.flatMap((i, j) => [tokens[j]!, i, fed[i]!.length, 0])), [rows.length, 4]);
        const got = (await state.decode(meta).read()) as Float32Array;
        rows.forEach((i, j) => fed[i]!.push(tokens[j]!));
        for (const [j, i] of rows.entries()) {
          const s = fed[i]!;
          const all = (await model.forward(Tensor.from(Int32Array.from(s), [1, s.length])).logits.read()) as Float32Array;
          expectClose(got.subarray(j * V, (j + 1) * V), all.subarray((s.length - 1) * V), 1e-4, 1e-4, `step ${k} row ${i}`);
        }
      }
    }),
  );
  state.dispose();
});

test("embedRows takes each row's token from the sampler's output when given, else from meta", async () => {
  const [V, C] = [5, 8];
  const wte = Tensor.from(Float32Array.from({ length: V * C }, (_, i) => i), [V, C]);
  const wpe = Tensor.from(Float32Array.from({ length: 4 * C }, (_, i) => 1000 * i), [4, C]);
  const meta = Tensor.from(Uint32Array.from([1, 0, 2, 0, 4, 1, 3, 0]), [2, 4]); // tokens 1, 4 at positions 2, 3
  const sampled = Tensor.from(Uint32Array.from([3, 0x3f800000, 0, 0]), [2, 2]); // tokens 3, 0
  const row = (tok: number, pos: number) => Array.from({ length: C }, (_, c) => tok * C + c + 1000 * (pos * C + c));
  expect(Array.from(await embedRows(meta, wte, wpe).read())).toEqual([...row(1, 2), ...row(4, 3)]);
  expect(Array.from(await embedRows(meta, wte, wpe, sampled).read())).toEqual([...row(3, 2), ...row(0, 3)]);
});
