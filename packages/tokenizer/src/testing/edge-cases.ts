/**
 * Generated strings that stress pre-tokenisation and byte handling: emoji and ZWJ sequences, CJK,
 * combining marks, RTL scripts, CRLF, long runs of spaces and digits, contractions, lone surrogates,
 * plus seeded random mixes of all of them. Shared by the scanner and oracle tests.
 */

const PALETTE = [
  "a", "Z", "é", "e\u0301", "ß", "Ω", "я", "中", "文", "日本", "한", "ก", "अ", "ि", "שלום", "مرحبا", "\u200f", "\u200d",
  "😀", "👩‍👩‍👧", "🏳️‍🌈", "👍🏽", "🇫🇷", "𝟎", "𝔸", "٣", "½", "Ⅻ", "0", "7", "42", " ", "  ", "\t", "\n", "\r\n", "\r",
  "\u00a0", "\u3000", "\u2028", "\u0085", "\ufeff", "\u000b", "'", "'s", "'S", "'ll", "'Re", "'ve", "'d", "'m", "'t", "!", "?", "...",
  "/", "<", "|", "-", "_", "\"", "\ud800", "\udfff", "\u0000", "\u007f", "\uffff",
  // o200k's cased-word sets: upper runs, titlecase (Lt), modifier (Lm), bare marks, astral capitals
  "A", "HTML", "ǅ", "ʰ", "\u0301", "\u0903", "𝐀", "'LL",
];

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIXED = [
  "", " ", "  ", "\n", "\r\n", "a\r\n\r\nb", "x   \n  y", "hello  world", "   leading", "trailing   ", "\t\tx",
  " ".repeat(500), " ".repeat(257) + "x", "1".repeat(1000), "12345678901234567890", " 123 4567 89",
  "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs", "日本語のテキストと中文文本", "Ĉu vi parolas? e\u0301\u0302\u0303",
  "שלום עולם مرحبا بالعالم", "I'm you're they'LL it'S we'Ve ''s 's", "lone \ud800 high and \udc00 low \ud800",
  "\ud83d", "x\ud83d", "\ud83d\ude00\ud83d", "\u0085next\ufeffbom\u00a0nbsp", "a\u2028b\u2029c", "?!?!... ---///\r\n",
];

/** Fixed edge cases followed by `randomCount` seeded random strings. */
export function edgeCaseStrings(randomCount = 300): string[] {
  const random = mulberry32(1234);
  const out = [...FIXED];
  for (let s = 0; s < randomCount; s++) {
    const parts: string[] = [];
    const n = 1 + Math.floor(random() * 40);
    for (let i = 0; i < n; i++) parts.push(PALETTE[Math.floor(random() * PALETTE.length)]);
    out.push(parts.join(""));
  }
  return out;
}

/** No lone surrogates, so UTF-8 round-trips exactly (String#isWellFormed is ES2024, past our lib). */
export function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}
