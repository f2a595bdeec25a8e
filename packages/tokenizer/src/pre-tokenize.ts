/**
 * Pre-tokenisation: cutting text into the chunks that BPE merges within. For the gpt2, cl100k and
 * o200k patterns a hand-written scanner walks the string once with a class table; it reproduces the
 * regex's alternation order and backtracking exactly (pre-tokenize.test.ts checks it against the
 * regex on all shared data and edge cases) at several times the speed of a `\p{..}` regex.
 * Other patterns fall back to the regex. Special tokens are the tokenizer's business, not this one's.
 */

import { LETTER, LOWERISH, NUMBER, OTHER, SPACE, UPPERISH, WIDE, classAt } from "./char-class.ts";
import { type Pattern, patternSource } from "./patterns.ts";

/** Returns where the chunk that starts at `i` ends; never reads at or beyond `end`. */
export type ChunkScanner = (text: string, i: number, end: number) => number;

const APOSTROPHE = 39;
const SPACE_CHAR = 32;
const CR = 13;
const LF = 10;
const SLASH = 47;

/** End of the run of code points of class `cls` starting at `i`. */
function runEnd(text: string, i: number, end: number, cls: number): number {
  while (i < end) {
    const v = classAt(text, i, end);
    if ((v & 3) !== cls) break;
    i += v & WIDE ? 2 : 1;
  }
  return i;
}

function isLowerContractionAt(text: string, i: number, end: number): number {
  const n = text.charCodeAt(i + 1);
  if (n === 115 || n === 116 || n === 109 || n === 100) return i + 2; // s t m d
  if (i + 2 < end) {
    const n2 = text.charCodeAt(i + 2);
    if ((n === 114 || n === 118) && n2 === 101) return i + 3; // re ve
    if (n === 108 && n2 === 108) return i + 3; // ll
  }
  return -1;
}

/** `\s+(?!\S)|\s+` starting at whitespace `i`: all but the last space when a word follows. */
function whitespaceEnd(i: number, j: number, end: number): number {
  return j < end && j - 1 > i ? j - 1 : j;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
const scanGpt2: ChunkScanner = (text, i, end) => {
  const c = text.charCodeAt(i);
  if (c === APOSTROPHE && i + 1 < end) {
    const k = isLowerContractionAt(text, i, end);
    if (k > 0) return k;
  }
  if (c === SPACE_CHAR && i + 1 < end) {
    const next = classAt(text, i + 1, end) & 3;
    if (next !== SPACE) return runEnd(text, i + 1, end, next);
  }
  const cls = classAt(text, i, end) & 3;
  if (cls !== SPACE) return runEnd(text, i, end, cls);
  return whitespaceEnd(i, runEnd(text, i, end, SPACE), end);
};

function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function newlineRunEnd(text: string, j: number, end: number): number {
  while (j < end) {
    const c = text.charCodeAt(j);
    if (c !== CR && c !== LF) break;
    j++;
  }
  return j;
}

/** `\s*[\r\n]+|\s+(?!\S)|\s+` at whitespace `i`: through the last newline of the run, if any. */
function spaceEnd(text: string, i: number, end: number): number {
  const j = runEnd(text, i, end, SPACE);
  for (let k = j - 1; k >= i; k--) {
    const ch = text.charCodeAt(k);
    if (ch === CR || ch === LF) return k + 1;
  }
  return whitespaceEnd(i, j, end);
}

// ('s|'t|'re|'ve|'m|'ll|'d, any case)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
// | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
const scanCl100k: ChunkScanner = (text, i, end) => {
  const c = text.charCodeAt(i);
  if (c === APOSTROPHE && i + 1 < end) {
    const n = lowerAscii(text.charCodeAt(i + 1));
    if (n === 115 || n === 116 || n === 109 || n === 100) return i + 2;
    if (i + 2 < end) {
      const n2 = lowerAscii(text.charCodeAt(i + 2));
      if (((n === 114 || n === 118) && n2 === 101) || (n === 108 && n2 === 108)) return i + 3;
    }
  }
  const v = classAt(text, i, end);
  const cls = v & 3;
  if (cls === LETTER) return runEnd(text, i, end, LETTER);
  const w = v & WIDE ? 2 : 1;
  if (cls !== NUMBER && c !== CR && c !== LF && i + w < end && (classAt(text, i + w, end) & 3) === LETTER) {
    return runEnd(text, i + w, end, LETTER);
  }
  if (cls === NUMBER) {
    let j = i;
    for (let k = 0; k < 3 && j < end; k++) {
      const u = classAt(text, j, end);
      if ((u & 3) !== NUMBER) break;
      j += u & WIDE ? 2 : 1;
    }
    return j;
  }
  if (c === SPACE_CHAR && i + 1 < end && (classAt(text, i + 1, end) & 3) === OTHER) {
    return newlineRunEnd(text, runEnd(text, i + 1, end, OTHER), end);
  }
  if (cls === OTHER) return newlineRunEnd(text, runEnd(text, i, end, OTHER), end);
  return spaceEnd(text, i, end);
};

/** End of the run of code points with `flag` set starting at `i`. */
function flagRunEnd(text: string, i: number, end: number, flag: number): number {
  while (i < end) {
    const v = classAt(text, i, end);
    if (!(v & flag)) break;
    i += v & WIDE ? 2 : 1;
  }
  return i;
}

/**
 * `U*L+` at `j` (U, L: o200k's overlapping upper- and lower-ish sets), or -1. Greedy U* then L+;
 * when L+ finds nothing the regex backtracks U* to the last U that is also L, and L+ stops right
 * after it (the next code point is not L, or L+ would have run on).
 */
function upperThenLowerEnd(text: string, j: number, end: number): number {
  let lastLowerEnd = -1;
  let k = j;
  while (k < end) {
    const v = classAt(text, k, end);
    if (!(v & UPPERISH)) break;
    k += v & WIDE ? 2 : 1;
    if (v & LOWERISH) lastLowerEnd = k;
  }
  const l = flagRunEnd(text, k, end, LOWERISH);
  return l > k ? l : lastLowerEnd;
}

/** `U+L*` at `j`, or -1. */
function upperRunThenLowerEnd(text: string, j: number, end: number): number {
  const k = flagRunEnd(text, j, end, UPPERISH);
  return k === j ? -1 : flagRunEnd(text, k, end, LOWERISH);
}

/** Optional contraction ('s 't 're 've 'm 'll 'd, any case) at `j`. */
function contractionEnd(text: string, j: number, end: number): number {
  if (j + 1 >= end || text.charCodeAt(j) !== APOSTROPHE) return j;
  const n = lowerAscii(text.charCodeAt(j + 1));
  if (n === 115 || n === 116 || n === 109 || n === 100) return j + 2;
  if (j + 2 < end) {
    const n2 = lowerAscii(text.charCodeAt(j + 2));
    if (((n === 114 || n === 118) && n2 === 101) || (n === 108 && n2 === 108)) return j + 3;
  }
  return j;
}

function slashNewlineRunEnd(text: string, j: number, end: number): number {
  while (j < end) {
    const c = text.charCodeAt(j);
    if (c !== CR && c !== LF && c !== SLASH) break;
    j++;
  }
  return j;
}

// P?U*L+C? | P?U+L*C? | \p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n/]* | \s*[\r\n]+ | \s+(?!\S) | \s+
// with P = [^\r\n\p{L}\p{N}], U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], L = [\p{Ll}\p{Lm}\p{Lo}\p{M}], C a contraction.
const scanO200k: ChunkScanner = (text, i, end) => {
  const c = text.charCodeAt(i);
  const v = classAt(text, i, end);
  const cls = v & 3;
  const w = v & WIDE ? 2 : 1;
  const prefixed = cls !== LETTER && cls !== NUMBER && c !== CR && c !== LF && i + w < end;
  // Alternatives in the regex's order: each with the P? prefix taken first, then without it.
  let j = prefixed ? upperThenLowerEnd(text, i + w, end) : -1;
  if (j < 0) j = upperThenLowerEnd(text, i, end);
  if (j < 0 && prefixed) j = upperRunThenLowerEnd(text, i + w, end);
  if (j < 0) j = upperRunThenLowerEnd(text, i, end);
  if (j >= 0) return contractionEnd(text, j, end);
  if (cls === NUMBER) {
    j = i;
    for (let k = 0; k < 3 && j < end; k++) {
      const u = classAt(text, j, end);
      if ((u & 3) !== NUMBER) break;
      j += u & WIDE ? 2 : 1;
    }
    return j;
  }
  if (c === SPACE_CHAR && i + 1 < end && (classAt(text, i + 1, end) & 3) === OTHER) {
    return slashNewlineRunEnd(text, runEnd(text, i + 1, end, OTHER), end);
  }
  if (cls === OTHER) return slashNewlineRunEnd(text, runEnd(text, i, end, OTHER), end);
  return spaceEnd(text, i, end);
};

/** The hand-written scanner for a pattern, or undefined when only the regex can run it. */
export function scannerFor(pattern: Pattern): ChunkScanner | undefined {
  if (pattern === "gpt2") return scanGpt2;
  if (pattern === "cl100k") return scanCl100k;
  if (pattern === "o200k") return scanO200k;
  return undefined;
}

/**
 * Splits text into pre-tokenised chunks with the fastest implementation of `pattern`. Text the
 * regex cannot match is dropped, as tiktoken does (the named patterns match every character).
 */
export function preTokenize(text: string, pattern: Pattern): string[] {
  const scan = scannerFor(pattern);
  const out: string[] = [];
  if (scan) {
    for (let i = 0; i < text.length; ) {
      const j = scan(text, i, text.length);
      out.push(text.slice(i, j));
      i = j;
    }
    return out;
  }
  for (const m of text.matchAll(new RegExp(patternSource(pattern), "gu"))) out.push(m[0]);
  return out;
}
