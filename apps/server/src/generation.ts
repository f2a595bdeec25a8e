/**
 * Runs one completion request (its n choices) through the scheduler and turns tokens into text: a UTF-8
 * stream decoder per choice, stop strings cut from the text, and a callback per piece of text for streaming.
 * A choice's tokens are those up to the one where its text stopped (what usage counts and the store keeps).
 * When every choice has stopped on text, the request is cancelled in the engine so its slots free up.
 * Formatting replies in the OpenAI shapes is left to completions.ts and chat.ts.
 */
import type { GenerateRequest } from "@forno/model";
import { StreamDecoder } from "@forno/tokenizer";
import type { ServedModel } from "./models.ts";
import type { Scheduler } from "./scheduler.ts";
import { StopText } from "./stop-text.ts";

export interface TokenLogprob {
  id: number;
  logprob: number;
}

export interface GenerationInput {
  model: ServedModel;
  scheduler: Scheduler;
  promptIds: number[];
  n: number;
  /** Sampling for every choice; choice i gets seed + i so choices differ but repeat. */
  sampling: Omit<GenerateRequest, "prompt" | "logprobs">;
  stopStrings: string[];
  /** The client's signal: aborting cancels the generation and nothing is returned to store. */
  signal: AbortSignal;
  /** Text as it may be shown, with the tokens that produced it since the last call (streaming). */
  onText?(choice: number, text: string, tokens: TokenLogprob[]): void;
}

export type ChoiceFinish = "stop" | "length";

export interface ChoiceResult {
  index: number;
  text: string;
  tokens: number[];
  logprobs: number[];
  finishReason: ChoiceFinish;
}

export interface Generation {
  /** Empty when the client went away. */
  choices: ChoiceResult[];
  cancelled: boolean;
  latencyMs: number;
}

interface ChoiceState {
  decoder: StreamDecoder;
  stop: StopText;
  text: string;
  tokens: number[];
  logprobs: number[];
  pending: TokenLogprob[];
}

/** Queues the choices and resolves when they finish; throws at once if the queue is full or closed. */
export function startGeneration(input: GenerationInput): Promise<Generation> {
  const started = performance.now();
  const { model, n, sampling } = input;
  const states: ChoiceState[] = Array.from({ length: n }, () => ({
    decoder: new StreamDecoder(model.tokenizer),
    stop: new StopText(input.stopStrings),
    text: "",
    tokens: [],
    logprobs: [],
    pending: [],
  }));
  /** `last`: the choice's final text, sent even when empty so its held-back tokens go out too. */
  const emit = (choice: number, text: string, last = false) => {
    const st = states[choice]!;
    if (text === "" && !st.stop.stopped && !(last && st.pending.length > 0)) return;
    st.text += text;
    input.onText?.(choice, text, st.pending.splice(0));
  };
  const allStopped = new AbortController();
  const requests: GenerateRequest[] = states.map((_, i) => ({
    ...sampling,
    prompt: input.promptIds,
    seed: sampling.seed === undefined ? undefined : (sampling.seed + i) >>> 0,
  }));
  const running = input.scheduler.submit(requests, {
    signal: AbortSignal.any([input.signal, allStopped.signal]),
    onToken(choice, id, logprob) {
      const st = states[choice]!;
      if (st.stop.stopped) return;
      st.tokens.push(id);
      st.logprobs.push(logprob);
      st.pending.push({ id, logprob });
      emit(choice, st.stop.push(st.decoder.push(id)));
      if (states.every((s) => s.stop.stopped)) allStopped.abort();
    },
  });
  return running.then((results) => {
    const latencyMs = performance.now() - started;
    if (input.signal.aborted) return { choices: [], cancelled: true, latencyMs };
    const choices = results.map((r, index): ChoiceResult => {
      const st = states[index]!;
      if (!st.stop.stopped) emit(index, st.stop.push(st.decoder.flush()) + st.stop.flush(), true);
      const finishReason: ChoiceFinish = st.stop.stopped || r.finishReason !== "length" ? "stop" : "length";
      return { index, text: st.text, tokens: st.tokens, logprobs: st.logprobs, finishReason };
    });
    return { choices, cancelled: false, latencyMs };
  });
}
