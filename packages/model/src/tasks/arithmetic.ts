/**
 * Synthetic multi-digit addition and subtraction for SFT and evaluation of small models. Operands have
 * between minDigits and maxDigits digits (the digit count is drawn first, so short and long problems
 * are equally common); subtraction keeps a ≥ b so answers are never negative. Two answer formats:
 *   direct        "132"
 *   step-by-step  "7+5=12, write 2 carry 1; 4+8+1=13, write 3 carry 1; write 1. Answer: 132"
 *                 (subtraction: "12-5=7, write 7 borrow 1; 13-8-1=4, write 4 borrow 1; 4-1=3, write 3. Answer: 347")
 * The step-by-step form for two 3-digit operands is ~115 tokens of rendered conversation with the
 * default 512-token vocabulary, inside the tiny model's 128-token context.
 *
 * Held-out split: a problem's split is a pure function of its operands (a hash), so the eval problems
 * are fixed for a digit range and the training generator rejects them: no eval problem is ever
 * emitted for training. Addition hashes the unordered pair, so 47 + 85 and 85 + 47 share a split and
 * commutativity cannot leak an eval answer.
 */
import type { Rng } from "../rng.ts";
import { lastNumber } from "./answers.ts";
import { TaskError } from "./errors.ts";

export type ArithmeticOp = "+" | "-";

export interface ArithmeticProblem {
  a: number;
  b: number;
  op: ArithmeticOp;
}

export type TaskSplit = "train" | "eval";

export interface ArithmeticOptions {
  /** Fewest digits per operand. Default 2. */
  minDigits?: number;
  /** Most digits per operand. Default 3. */
  maxDigits?: number;
  /** Default ["+", "-"]. */
  ops?: readonly ArithmeticOp[];
  /** Share of all problems held out for evaluation. Default 0.1. */
  evalFraction?: number;
}

function resolve(options: ArithmeticOptions): Required<ArithmeticOptions> {
  const o = { minDigits: 2, maxDigits: 3, ops: ["+", "-"] as const, evalFraction: 0.1, ...options };
  if (!Number.isInteger(o.minDigits) || !Number.isInteger(o.maxDigits) || o.minDigits < 1 || o.maxDigits < o.minDigits || o.maxDigits > 7) {
    throw new TaskError(`arithmetic digits: expected integers 1 ≤ minDigits ≤ maxDigits ≤ 7, got ${o.minDigits}..${o.maxDigits}`);
  }
  if (o.ops.length === 0 || o.ops.some((op) => op !== "+" && op !== "-")) throw new TaskError(`arithmetic ops: expected a non-empty list of "+" and "-", got ${JSON.stringify(o.ops)}`);
  if (!(o.evalFraction >= 0 && o.evalFraction < 1)) throw new TaskError(`evalFraction: expected a number in [0, 1), got ${o.evalFraction}`);
  return o;
}

export function answerOf(p: ArithmeticProblem): number {
  return p.op === "+" ? p.a + p.b : p.a - p.b;
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The problem's split, from a hash of (op, operands); unordered operands for addition. */
export function splitOf(p: ArithmeticProblem, evalFraction = 0.1): TaskSplit {
  const [x, y] = p.op === "+" && p.a > p.b ? [p.b, p.a] : [p.a, p.b];
  const h = fmix32(fmix32(x + (p.op === "+" ? 0x2b000000 : 0x2d000000)) ^ y);
  return h / 2 ** 32 < evalFraction ? "eval" : "train";
}

/** Smallest and largest operand with `d` digits (one digit includes 0). */
function digitRange(d: number): [number, number] {
  return [d === 1 ? 0 : 10 ** (d - 1), 10 ** d - 1];
}

/** A random problem of `split`: draws until the hash puts it there (≈ 1/evalFraction tries for eval). */
export function sampleProblem(rng: Rng, options: ArithmeticOptions, split: TaskSplit): ArithmeticProblem {
  const o = resolve(options);
  if (split === "eval" && o.evalFraction === 0) throw new TaskError("cannot sample an eval problem with evalFraction 0; set evalFraction > 0");
  const operand = () => {
    const [lo, hi] = digitRange(o.minDigits + rng.int(o.maxDigits - o.minDigits + 1));
    return lo + rng.int(hi - lo + 1);
  };
  for (;;) {
    let a = operand();
    let b = operand();
    const op = o.ops[rng.int(o.ops.length)];
    if (op === "-" && a < b) [a, b] = [b, a];
    const p = { a, b, op };
    if (splitOf(p, o.evalFraction) === split) return p;
  }
}

/** Every problem in the digit range (ordered operands; a ≥ b for subtraction), optionally of one split. */
export function* enumerateProblems(options: ArithmeticOptions, split?: TaskSplit): Generator<ArithmeticProblem> {
  const o = resolve(options);
  const lo = digitRange(o.minDigits)[0];
  const hi = digitRange(o.maxDigits)[1];
  for (const op of o.ops) {
    for (let a = lo; a <= hi; a++) {
      for (let b = lo; b <= (op === "-" ? a : hi); b++) {
        const p = { a, b, op };
        if (split === undefined || splitOf(p, o.evalFraction) === split) yield p;
      }
    }
  }
}

/** "What is 47 + 85?" */
export function questionText(p: ArithmeticProblem): string {
  return `What is ${p.a} ${p.op} ${p.b}?`;
}

/** "132" */
export function directAnswer(p: ArithmeticProblem): string {
  return String(answerOf(p));
}

/** Column arithmetic right to left, one clause per column, then "Answer: N" (see the module comment). */
export function stepByStepAnswer(p: ArithmeticProblem): string {
  const da = [...String(p.a)].reverse().map(Number);
  const db = [...String(p.b)].reverse().map(Number);
  const steps: string[] = [];
  let carry = 0; // carry (addition) or borrow (subtraction) into this column
  for (let i = 0; i < da.length || i < db.length; i++) {
    const x = da[i] ?? 0;
    const y = db[i];
    if (y === undefined && carry === 0) {
      steps.push(`write ${x}`);
      continue;
    }
    const terms = [y ?? null, carry || null].filter((t) => t !== null);
    if (p.op === "+") {
      const s = x + terms.reduce((u, v) => u + v, 0);
      carry = s >= 10 ? 1 : 0;
      steps.push(`${x}+${terms.join("+")}=${s}, write ${s % 10}${carry ? " carry 1" : ""}`);
    } else {
      const need = terms.reduce((u, v) => u + v, 0);
      const top = x < need ? x + 10 : x;
      carry = x < need ? 1 : 0;
      steps.push(`${top}-${terms.join("-")}=${top - need}, write ${top - need}${carry ? " borrow 1" : ""}`);
    }
  }
  if (p.op === "+" && carry) steps.push("write 1");
  return `${steps.join("; ")}. Answer: ${answerOf(p)}`;
}

/** The number after the last "Answer:", else the last number in the text; null when there is none. */
export function extractAnswer(text: string): number | null {
  const at = text.lastIndexOf("Answer:");
  if (at >= 0) {
    const m = /^\s*(-?[\d,]*\d)/.exec(text.slice(at + "Answer:".length));
    if (m) return Number(m[1].replaceAll(",", ""));
  }
  return lastNumber(text);
}

export function isArithmeticCorrect(p: ArithmeticProblem, text: string): boolean {
  return extractAnswer(text) === answerOf(p);
}
