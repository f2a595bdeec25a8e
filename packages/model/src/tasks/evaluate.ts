/**
 * Scores a model on a task: builds a prompt per problem, asks an injected `generate` for the outputs
 * (the caller wires it to the generation engine, greedy or sampled), checks each output and reports
 * accuracy with the first few cases for a human to read. No model or GPU code lives here.
 */
import { TaskError } from "./errors.ts";

export interface EvaluateTaskOptions<P, Prompt> {
  problems: readonly P[];
  buildPrompt: (problem: P) => Prompt;
  /** Outputs for a list of prompts, one per prompt, in the same order. */
  generate: (prompts: Prompt[]) => Promise<string[]>;
  check: (problem: P, output: string) => boolean;
  /** Prompts per `generate` call. Default: all at once. */
  batchSize?: number;
  /** How many leading cases to keep in `examples`. Default 5. */
  keepExamples?: number;
}

export interface EvaluatedExample<Prompt> {
  prompt: Prompt;
  output: string;
  ok: boolean;
}

export interface TaskResult<Prompt> {
  n: number;
  correct: number;
  /** correct / n; 0 when there are no problems. */
  accuracy: number;
  examples: EvaluatedExample<Prompt>[];
}

export async function evaluateTask<P, Prompt>(options: EvaluateTaskOptions<P, Prompt>): Promise<TaskResult<Prompt>> {
  const { problems, buildPrompt, generate, check, keepExamples = 5 } = options;
  const batchSize = options.batchSize ?? Math.max(1, problems.length);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TaskError(`batchSize must be a positive integer, got ${batchSize}`);
  let correct = 0;
  const examples: EvaluatedExample<Prompt>[] = [];
  for (let start = 0; start < problems.length; start += batchSize) {
    const batch = problems.slice(start, start + batchSize);
    const prompts = batch.map(buildPrompt);
    const outputs = await generate(prompts);
    if (!Array.isArray(outputs) || outputs.length !== prompts.length) {
      throw new TaskError(`generate: expected ${prompts.length} outputs (one per prompt), got ${Array.isArray(outputs) ? outputs.length : typeof outputs}; return one string per prompt, in order`);
    }
    batch.forEach((problem, i) => {
      const ok = check(problem, outputs[i]);
      if (ok) correct++;
      if (examples.length < keepExamples) examples.push({ prompt: prompts[i], output: outputs[i], ok });
    });
  }
  return { n: problems.length, correct, accuracy: problems.length === 0 ? 0 : correct / problems.length, examples };
}
