/**
 * The pre-tokenisation patterns this package knows by name, as the regex sources OpenAI published
 * (in the JS spelling js-tiktoken uses: contractions spelled out instead of `(?i:)`, no possessive
 * quantifiers; both rewrites match the same strings). The scanners in pre-tokenize.ts implement the
 * named patterns by hand; a custom pattern runs through the regex itself.
 */

export type PatternName = "gpt2" | "cl100k" | "o200k";
/** A named pattern, or a custom regex source (run with the `gu` flags). */
export type Pattern = PatternName | { source: string };

const CONTRACTIONS = "'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D";
const UPPERISH = "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]";
const LOWERISH = "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]";

export const PATTERN_SOURCES: Readonly<Record<PatternName, string>> = {
  gpt2: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  cl100k: `(${CONTRACTIONS})|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
  o200k: [
    `[^\\r\\n\\p{L}\\p{N}]?${UPPERISH}*${LOWERISH}+(${CONTRACTIONS})?`,
    `[^\\r\\n\\p{L}\\p{N}]?${UPPERISH}+${LOWERISH}*(${CONTRACTIONS})?`,
    "\\p{N}{1,3}",
    " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
    "\\s*[\\r\\n]+",
    "\\s+(?!\\S)",
    "\\s+",
  ].join("|"),
};

export function isPatternName(value: unknown): value is PatternName {
  return value === "gpt2" || value === "cl100k" || value === "o200k";
}

export function patternSource(pattern: Pattern): string {
  return typeof pattern === "string" ? PATTERN_SOURCES[pattern] : pattern.source;
}
