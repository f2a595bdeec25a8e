import { expect, test } from "bun:test";
import { ENDOFTEXT, renderConversation, trainTokenizer, type Conversation } from "@forno/tokenizer";
import { Rng } from "../rng.ts";
import { SftBatcher, prepareSequences, type SftBatch, type SftSequence } from "./batches.ts";
import { SftBatchError } from "./errors.ts";

const tok = trainTokenizer(["What is 2+2? It is 4. Say hello. Hello there! Name a colour. Blue."], { vocabSize: 300, minFrequency: 1, progress: false }).tokenizer;
const pad = tok.specialId(ENDOFTEXT);
const chat = (user: string, assistant: string): Conversation => ({ messages: [{ role: "user", content: user }, { role: "assistant", content: assistant }] });

/** A hand-made sequence: ids 100 + i, mask as given. */
const seq = (mask: number[], base = 100): SftSequence => ({ ids: Int32Array.from(mask, (_, i) => base + i), mask: Uint8Array.from(mask) });

test("targets are the next token and weights are the next token's mask (exact shift)", () => {
  const c = chat("What is 2+2?", "It is 4.");
  const { ids, mask } = renderConversation(tok, c);
  const T = ids.length + 3; // room for padding
  const { batcher } = SftBatcher.fromConversations(tok, [c], { T, padId: pad });
  const { inputs, targets, weights } = batcher.nextBatch(1, Rng.fromSeed(1));
  for (let t = 0; t < T; t++) {
    expect(inputs[t]).toBe(t < ids.length ? ids[t] : pad);
    expect(targets[t]).toBe(t + 1 < ids.length ? ids[t + 1] : pad);
    expect(weights[t]).toBe(t + 1 < ids.length ? mask[t + 1] : 0);
  }
  // The first weighted position is <|assistant_start|>, predicting the first answer token; the last
  // predicts <|assistant_end|>.
  const first = weights.indexOf(1);
  expect(inputs[first]).toBe(tok.specialId("<|assistant_start|>"));
  const last = weights.lastIndexOf(1);
  expect(targets[last]).toBe(tok.specialId("<|assistant_end|>"));
  expect(weights.reduce((a, w) => a + w, 0)).toBe(tok.encodeOrdinary("It is 4.").length + 1);
});

test("long conversations are cut to T + 1 tokens and dropped when no assistant token survives", () => {
  const short = chat("Hi", "Hello there!");
  const longAnswer = chat("Hi", "Hello there! ".repeat(20));
  const longPrompt = chat("Say hello. ".repeat(30), "Hello!");
  const T = 24;
  const { sequences, stats } = prepareSequences(tok, [short, longAnswer, longPrompt], T);
  expect(stats).toMatchObject({ conversations: 3, kept: 2, truncated: 2, dropped: 1 });
  expect(sequences[1].ids.length).toBe(T + 1);
  expect(stats.tokens).toBe(sequences[0].ids.length + T + 1);
  expect(stats.lossTokens).toBe([...sequences[0].mask, ...sequences[1].mask.subarray(1)].reduce((a, m) => a + m, 0) - sequences[0].mask[0]);
});

test("padding: one conversation per row, pad id with weight 0 after it", () => {
  const seqs = [seq([0, 0, 1, 1]), seq([0, 1, 1, 1, 1, 1], 200)];
  const batcher = new SftBatcher(seqs, { T: 8, padId: 7, mode: "padding" });
  const { inputs, targets, weights } = batcher.nextBatch(2, Rng.fromSeed(3));
  const rows = [0, 1].map((b) => Array.from(inputs.subarray(b * 8, b * 8 + 8)));
  const starts = rows.map((r) => r[0]).sort();
  expect(starts).toEqual([100, 200]); // each conversation once per epoch, in shuffled order
  const b = rows[0][0] === 100 ? 0 : 1;
  expect(rows[b]).toEqual([100, 101, 102, 103, 7, 7, 7, 7]);
  expect(Array.from(targets.subarray(b * 8, b * 8 + 8))).toEqual([101, 102, 103, 7, 7, 7, 7, 7]);
  expect(Array.from(weights.subarray(b * 8, b * 8 + 8))).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
});

test("packing: whole conversations back to back, no loss into the next conversation's first token", () => {
  // Rendered conversations, so each starts with <|endoftext|> (mask 0).
  const convs = [chat("Hi", "Hello!"), chat("Name a colour.", "Blue."), chat("What is 2+2?", "4")];
  const { sequences } = prepareSequences(tok, convs, 64);
  const total = sequences.reduce((n, s) => n + s.ids.length, 0);
  const T = total - 1; // the three fill one row exactly
  const batcher = new SftBatcher(sequences, { T, padId: pad, mode: "packing" });
  const { inputs, targets, weights } = batcher.nextBatch(1, Rng.fromSeed(5));
  // All three fit in one row, in the epoch's shuffled order: find which permutation the row shows.
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const rows = perms.map((p) => ({ ids: p.flatMap((i) => [...sequences[i].ids]), mask: p.flatMap((i) => [...sequences[i].mask]) }));
  const row = rows.find((r) => r.ids.slice(0, T).every((id, t) => inputs[t] === id))!;
  expect(row).toBeDefined();
  const { ids: rowIds, mask: rowMask } = row;
  for (let t = 0; t < T; t++) {
    expect(targets[t]).toBe(rowIds[t + 1]);
    expect(weights[t]).toBe(rowMask[t + 1]);
    // Every conversation boundary: the target is the next conversation's <|endoftext|>, with no loss.
    if (targets[t] === pad) expect(weights[t]).toBe(0);
  }
  expect(targets.filter((id) => id === pad)).toHaveLength(2);
  expect(weights.reduce((a, w) => a + w, 0)).toBe(sequences.reduce((n, s) => n + s.mask.reduce((a, m) => a + m, 0), 0));
});

test("packing never splits a conversation: one that does not fit waits for the next row", () => {
  const seqs = [seq([0, 1, 1, 1, 1, 1], 100), seq([0, 1, 1, 1, 1, 1], 200)];
  const batcher = new SftBatcher(seqs, { T: 8, padId: 7, mode: "packing" });
  const { inputs, weights } = batcher.nextBatch(2, Rng.fromSeed(9));
  for (const b of [0, 1]) {
    const r = Array.from(inputs.subarray(b * 8, b * 8 + 8));
    expect(r.slice(6)).toEqual([7, 7]);
    expect(Array.from(weights.subarray(b * 8 + 5, b * 8 + 8))).toEqual([0, 0, 0]);
  }
  // Packing looked ahead for a third row's worth, so epoch 1 has already drawn its seed.
  expect(batcher.cursor()).toMatchObject({ epoch: 1, position: 0 });
});

test("slots: packed conversations start at multiples of the slot, the gaps padded with weight 0", () => {
  // Lengths 5, 3 and 9 with slot 4 land at 0, 8 and 12 (a 9-token sequence takes three slots).
  const seqs = [seq([0, 1, 1, 1, 1], 100), seq([0, 1, 1], 200), seq([0, 1, 1, 1, 1, 1, 1, 1, 1], 300)];
  const batcher = new SftBatcher(seqs, { T: 24, padId: 7, mode: "packing", slot: 4 });
  const { inputs, targets, weights } = batcher.nextBatch(1, Rng.fromSeed(3));
  const row = Array.from(inputs);
  const starts = row.flatMap((id, t) => (id % 100 === 0 && id >= 100 ? [t] : []));
  expect(starts).toHaveLength(3);
  for (const t of starts) expect(t % 4).toBe(0);
  for (let t = 0; t < 24; t++) if (targets[t] === 7) expect(weights[t]).toBe(0);
  // Every weighted token is still counted once, and nothing predicts a pad.
  expect(weights.reduce((a, w) => a + w, 0)).toBe(4 + 2 + 8);
  expect(() => new SftBatcher(seqs, { T: 24, padId: 7, mode: "packing", slot: 0 })).toThrow(SftBatchError);
});

test("epochs visit every conversation once, reshuffled each epoch", () => {
  const seqs = Array.from({ length: 10 }, (_, i) => seq([0, 1], 100 * (i + 1)));
  const batcher = new SftBatcher(seqs, { T: 2, padId: 0 });
  const rng = Rng.fromSeed(11);
  const epochs = [0, 1, 2].map(() => Array.from(batcher.nextBatch(10, rng).inputs.filter((_, i) => i % 2 === 0)));
  for (const e of epochs) expect([...e].sort((a, b) => a - b)).toEqual(seqs.map((s) => s.ids[0]));
  expect(epochs[0]).not.toEqual(epochs[1]);
  expect(batcher.cursor()).toMatchObject({ epoch: 3, position: 0 });
  batcher.nextBatch(1, rng);
  expect(batcher.cursor()).toMatchObject({ epoch: 3, position: 1 });
});

test("a saved cursor plus the Rng state resumes to exactly the same batches", () => {
  const seqs = Array.from({ length: 7 }, (_, i) => seq([0, 0, 1, 1, 1].slice(0, 2 + (i % 4)), 10 * i));
  for (const mode of ["padding", "packing"] as const) {
    const a = new SftBatcher(seqs, { T: 6, padId: 1, mode });
    const rng = Rng.fromSeed(42);
    for (let i = 0; i < 3; i++) a.nextBatch(3, rng);
    const saved = JSON.parse(JSON.stringify({ cursor: a.cursor(), rng: rng.state() }));
    const later: SftBatch[] = [0, 1, 2, 3].map(() => a.nextBatch(3, rng));
    const b = new SftBatcher(seqs, { T: 6, padId: 1, mode });
    b.seek(saved.cursor);
    const rng2 = Rng.fromState(saved.rng);
    for (const want of later) expect(b.nextBatch(3, rng2)).toEqual(want);
  }
});

test("bad options and foreign cursors are refused with a fix", () => {
  const seqs = [seq([0, 1, 1])];
  expect(() => new SftBatcher([], { T: 4, padId: 0 })).toThrow(SftBatchError);
  expect(() => new SftBatcher(seqs, { T: 1, padId: 0 })).toThrow("expected ids and mask of equal length ≤ T + 1 = 2, got 3 ids");
  expect(() => new SftBatcher(seqs, { T: 4, padId: 0 }).nextBatch(0, Rng.fromSeed(1))).toThrow("B (batch size) must be a positive integer, got 0");
  const b = new SftBatcher(seqs, { T: 4, padId: 0, mode: "packing" });
  expect(() => b.seek({ ...b.cursor(), mode: "padding" })).toThrow("cannot resume: expected a cursor for mode packing, T 4, slot 1, 1 sequences");
  expect(() => b.seek({ ...b.cursor(), slot: 2 })).toThrow(SftBatchError); // a different packing
  expect(() => new SftBatcher(seqs, { T: 4, padId: 0, slot: 2 })).toThrow("slot applies to packing only");
  expect(() => b.seek({ ...b.cursor(), position: 1 })).toThrow(SftBatchError); // past the end of 1 sequence
});
