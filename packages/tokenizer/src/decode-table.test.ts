import { expect, test } from "bun:test";
import { DecodeTable } from "./decode-table.ts";
import { UnknownTokenIdError } from "./errors.ts";

/** Tokens of 1–40 bytes (so heads, tails and buffer growth all run), with a gap at id 5. */
function randomTable(): (Uint8Array | undefined)[] {
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: 64 }, (_, id) =>
    id === 5 ? undefined : Uint8Array.from({ length: 1 + Math.floor(next() * 40) }, () => Math.floor(next() * 256)),
  );
}

test("bytes are the tokens' bytes back to back, for every length and through buffer growth", () => {
  const tokens = randomTable();
  const table = new DecodeTable(tokens);
  const ids = Array.from({ length: 5000 }, (_, k) => (k * 37 + (k >> 3)) % 64).filter((id) => id !== 5);
  const want = Uint8Array.from(ids.flatMap((id) => [...tokens[id]!]));
  expect(table.bytes(ids)).toEqual(want);
  expect(table.bytes(new Uint32Array(ids))).toEqual(want);
  expect(table.bytes([])).toEqual(new Uint8Array(0));
});

test("ids in a gap or outside the table raise UnknownTokenIdError with the position", () => {
  const table = new DecodeTable(randomTable());
  for (const bad of [5, 64, -1, 1.5, Number.NaN]) {
    expect(() => table.bytes([0, 1, bad])).toThrow(UnknownTokenIdError);
  }
  expect(() => table.bytes([0, 5])).toThrow("position 1");
});
