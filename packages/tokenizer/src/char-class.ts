/**
 * Code point classes for the hand-written pre-tokenisers: letter (\p{L}), number (\p{N}), JS
 * whitespace (\s under the `u` flag) or other, plus two flags for o200k's cased-word sets (which
 * overlap each other and include marks, which are class OTHER). The table is derived from the
 * engine's own regex at load time, so the scanners agree with `new RegExp(pattern, "u")` on every
 * Unicode version the runtime ships, without us maintaining Unicode tables.
 */

export const OTHER = 0;
export const LETTER = 1;
export const NUMBER = 2;
export const SPACE = 3;
/** Flag or-ed into classAt's result when the code point is a surrogate pair (2 UTF-16 units). */
export const WIDE = 4;
const HIGH_SURROGATE = 8;
/** Flag: in o200k's `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`. */
export const UPPERISH = 16;
/** Flag: in o200k's `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`. */
export const LOWERISH = 32;

const UPPERISH_RE = /[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]/gu;
const LOWERISH_RE = /[\p{Ll}\p{Lm}\p{Lo}\p{M}]/gu;

function classify(ch: string): number {
  let flags = 0;
  if (new RegExp(`^${UPPERISH_RE.source}$`, "u").test(ch)) flags |= UPPERISH;
  if (new RegExp(`^${LOWERISH_RE.source}$`, "u").test(ch)) flags |= LOWERISH;
  if (/^\p{L}$/u.test(ch)) return LETTER | flags;
  if (/^\p{N}$/u.test(ch)) return NUMBER | flags;
  if (/^\s$/u.test(ch)) return SPACE | flags;
  return OTHER | flags;
}

function buildBmpTable(): Uint8Array {
  const table = new Uint8Array(0x10000);
  // One regex pass per class over all BMP units is much faster than 65k separate tests.
  const all = Array.from({ length: 0x10000 }, (_, c) => (c >= 0xd800 && c <= 0xdfff ? " " : String.fromCharCode(c))).join("");
  const mark = (re: RegExp, cls: number) => {
    for (const m of all.matchAll(re)) table[m.index] |= cls;
  };
  mark(/\p{L}/gu, LETTER);
  mark(/\p{N}/gu, NUMBER);
  mark(/\s/gu, SPACE);
  mark(UPPERISH_RE, UPPERISH);
  mark(LOWERISH_RE, LOWERISH);
  for (let c = 0xd800; c <= 0xdfff; c++) table[c] = c < 0xdc00 ? HIGH_SURROGATE : OTHER;
  return table;
}

const BMP = buildBmpTable();
const astralCache = new Map<number, number>();

function astralClass(cp: number): number {
  let cls = astralCache.get(cp);
  if (cls === undefined) {
    cls = classify(String.fromCodePoint(cp));
    astralCache.set(cp, cls);
  }
  return cls;
}

/**
 * Class of the code point starting at `i`, with WIDE set for surrogate pairs. A high surrogate
 * whose pair would cross `end` counts as a lone surrogate (class OTHER), as the regex sees it on
 * the sliced segment.
 */
export function classAt(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  const cls = BMP[c];
  if (cls !== HIGH_SURROGATE) return cls;
  if (i + 1 < end) {
    const lo = text.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return astralClass(((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000) | WIDE;
  }
  return OTHER;
}
