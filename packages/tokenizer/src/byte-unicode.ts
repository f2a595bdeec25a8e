/**
 * GPT-2's reversible byte ↔ unicode mapping. `encoder.json` and `vocab.bpe` spell every token as
 * printable unicode characters, one per byte: printable Latin-1 bytes map to themselves and the rest
 * are shifted to U+0100 and up. This module only converts; reading the files is gpt2-files.ts.
 */

function buildByteToChar(): string[] {
  const printable: number[] = [];
  const push = (lo: number, hi: number) => {
    for (let b = lo; b <= hi; b++) printable.push(b);
  };
  push(0x21, 0x7e);
  push(0xa1, 0xac);
  push(0xae, 0xff);
  const table = new Array<string>(256);
  const isPrintable = new Set(printable);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(isPrintable.has(b) ? b : 256 + shifted++);
  }
  return table;
}

const BYTE_TO_CHAR = buildByteToChar();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((ch, b) => [ch, b]));

/** Spells raw token bytes the way GPT-2's files do. */
export function bytesToGpt2String(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += BYTE_TO_CHAR[b];
  return out;
}

/** Inverse of bytesToGpt2String; returns undefined when a character is outside the mapping. */
export function gpt2StringToBytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const b = CHAR_TO_BYTE.get(text[i]);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}
