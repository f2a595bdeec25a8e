/**
 * Word problems with numeric answers, for evaluation and RL with a verifiable reward: SVAMP (one or two
 * operations) and GSM8K (multi-step). Loaders read the shared JSONL files as their READMEs describe and
 * check each record at the edge; checking compares the last number of a model's output with the answer
 * within a tolerance. Neither file holds the held-out slices (those stay outside the repo), so a score
 * on these is a training-split score.
 */
import { readFileSync } from "node:fs";
import { lastNumber, numbersClose } from "./answers.ts";
import { TaskError } from "./errors.ts";

export interface WordProblem {
  /** SVAMP's `ID` ("chal-N"), or `gsm8k-<line>` (1-based line of train.jsonl). */
  id: string;
  question: string;
  answer: number;
  /** GSM8K's worked solution ending in "#### N"; absent for SVAMP. */
  solution?: string;
}

/** Non-blank lines of a JSONL file as [1-based line, parsed object]. */
function readJsonl(path: string): [number, Record<string, unknown>][] {
  let body: string;
  try {
    body = readFileSync(path, "utf8");
  } catch (e) {
    throw new TaskError(`${path}: cannot read (${(e as Error).message}); pass the path of the dataset's .jsonl file`);
  }
  const out: [number, Record<string, unknown>][] = [];
  body.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      out.push([i + 1, JSON.parse(line)]);
    } catch (e) {
      throw new TaskError(`${path}:${i + 1}: bad JSON (${(e as Error).message}); expected one JSON object per line`);
    }
  });
  return out;
}

/**
 * SVAMP (`svamp.jsonl`): the question is Body + " " + Question. Body often lacks its final period, so
 * one is added when Body ends without punctuation ("... on each pack. How much ...").
 */
export function loadSvamp(path: string): WordProblem[] {
  return readJsonl(path).map(([line, r]) => {
    if (typeof r.ID !== "string" || typeof r.Body !== "string" || typeof r.Question !== "string" || typeof r.Answer !== "number") {
      throw new TaskError(`${path}:${line}: expected SVAMP fields {ID: string, Body: string, Question: string, Answer: number}, got keys [${Object.keys(r).join(", ")}]`);
    }
    const body = r.Body.trim();
    const question = body === "" ? r.Question : `${/[.!?]$/.test(body) ? body : `${body}.`} ${r.Question}`;
    return { id: r.ID, question, answer: r.Answer };
  });
}

/** The number after GSM8K's "#### " line, commas removed. */
export function gsm8kFinalAnswer(solution: string): number {
  const m = /^####\s*(.+?)\s*$/m.exec(solution);
  const n = m ? Number(m[1].replaceAll(",", "").replace(/^\$/, "")) : NaN;
  if (!Number.isFinite(n)) {
    throw new TaskError(`expected a GSM8K solution ending in a line "#### <number>", got ${JSON.stringify(solution.slice(-40))}`);
  }
  return n;
}

/** GSM8K (`train.jsonl`): {question, answer: solution text}; the answer is the number after "####". */
export function loadGsm8k(path: string): WordProblem[] {
  return readJsonl(path).map(([line, r]) => {
    if (typeof r.question !== "string" || typeof r.answer !== "string") {
      throw new TaskError(`${path}:${line}: expected GSM8K fields {question: string, answer: string}, got keys [${Object.keys(r).join(", ")}]`);
    }
    try {
      return { id: `gsm8k-${line}`, question: r.question, answer: gsm8kFinalAnswer(r.answer), solution: r.answer };
    } catch (e) {
      throw new TaskError(`${path}:${line}: ${(e as Error).message}`);
    }
  });
}

/**
 * The answer a model gave: the number after a "####" line when there is one (GSM8K-style output),
 * else the last number in the text. Commas are removed; signs and decimals are kept.
 */
export function extractNumber(output: string): number | null {
  const hashes = output.lastIndexOf("####");
  if (hashes >= 0) {
    const n = lastNumber(output.slice(hashes).split("\n")[0]);
    if (n !== null) return n;
  }
  return lastNumber(output);
}

/** Whether the output's answer equals the problem's within `tolerance` (relative above 1, absolute below). */
export function isWordProblemCorrect(problem: WordProblem, output: string, tolerance = 1e-6): boolean {
  const got = extractNumber(output);
  return got !== null && numbersClose(got, problem.answer, tolerance);
}
