/**
 * Runs one completion request (its n choices) through the scheduler and turns tokens into text: a UTF-8
 * stream decoder per choice, stop strings cut from the text, and a callback per piece of text for streaming.
 * A choice's tokens are those up to the one where its text stopped (what usage counts and the store keeps).
 * A choice whose text has stopped is cancelled in the engine at once, so its slot frees up; the client's
 * signal cancels every choice. The engine hands over tokens in bursts (several decode steps per readback):
 * the text of one burst goes out as one piece per choice, which spares the stream an event per token. Formatting replies in the OpenAI shapes is left to completions.ts and chat.ts.
 */
import type { GenerateRequest, TokenLogprob } from "@forno/model";
import { StreamDecoder } from "@forno/tokenizer";
import type { ServedModel } from "./models.ts";
import type { Scheduler } from "./scheduler.ts";
import { StopText } from "./stop-text.ts";

/** A generated token with its logprob and, when asked for, the most likely tokens at its position. */
export interface GeneratedToken extends TokenLogprob {
  top?: readonly TokenLogprob[];
}

export interface GenerationInput {
  model: ServedModel;
  scheduler: Scheduler;
  promptIds: number[];
  n: number;
  /** Sampling for every choice; choice i gets seed + i so choices differ but repeat. */
  sampling: Omit<GenerateRequest, "prompt" | "logprobs" | "signal">;
  stopStrings: string[];
  /** The client's signal: aborting cancels the generation and nothing is returned to store. */
  signal: AbortSignal;
  /** Text as it may be shown, with the tokens that produced it since the last call (streaming). */
  onText?(choice: number, text: string, tokens: GeneratedToken[]): void;
}

export type ChoiceFinish = "stop" | "length";

export interface ChoiceResult {
  index: number;
  text: string;
  tokens: number[];
  logprobs: number[];
  /** Per token, the most likely tokens at its position (empty lists unless `sampling.topLogprobs`). */
  topLogprobs: (readonly TokenLogprob[])[];
  finishReason: ChoiceFinish;
}

export interface Generation {
  /** Empty when the client went away. */
  choices: ChoiceResult[];
  cancelled: boolean;
  latencyMs: number;
  /** From queueing to the first token of any choice; null when none came. */
  firstTokenMs: number | null;
  /** Tokens the engine produced for every choice, also when cancelled (what the metrics count). */
  generatedTokens: number;
}

interface ChoiceState {
  decoder: StreamDecoder;
  stop: StopText;
  /** Aborted when the choice's text has stopped: the engine drops the sequence. */
  stopped: AbortController;
  text: string;
  tokens: number[];
  logprobs: number[];
  top: (readonly TokenLogprob[])[];
  /** Tokens not yet handed to onText (their text may still be held back). */
  pending: GeneratedToken[];
  /** Text ready for onText, and whether a piece is due (also an empty one that carries held-back tokens). */
  unsent: string;
  due: boolean;
}

/** Queues the choices and resolves when they finish; throws at once if the queue is full or closed. */
export function startGeneration(input: GenerationInput): Promise<Generation> {
  const started = performance.now();
  const { model, n, sampling } = input;
  const states: ChoiceState[] = Array.from({ length: n }, () => ({
    decoder: new StreamDecoder(model.tokenizer),
    stop: new StopText(input.stopStrings),
    stopped: new AbortController(),
    text: "",
    tokens: [],
    logprobs: [],
    top: [],
    pending: [],
    unsent: "",
    due: false,
  }));
  let firstTokenMs: number | null = null;
  let generatedTokens = 0;
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    states.forEach((st, choice) => {
      if (!st.due) return;
      st.due = false;
      const text = st.unsent;
      st.unsent = "";
      input.onText?.(choice, text, st.pending.splice(0));
    });
  };
  /** `last`: the choice's final text, sent even when empty so its held-back tokens go out too. */
  const emit = (choice: number, text: string, last = false) => {
    const st = states[choice]!;
    if (text === "" && !st.stop.stopped && !(last && st.pending.length > 0)) return;
    st.text += text;
    st.unsent += text;
    st.due = true;
    // The engine calls onToken for a whole burst synchronously: flush once it is done.
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  };
  const requests: GenerateRequest[] = states.map((st, i) => ({
    ...sampling,
    prompt: input.promptIds,
    seed: sampling.seed === undefined ? undefined : (sampling.seed + i) >>> 0,
    signal: AbortSignal.any([input.signal, st.stopped.signal]),
  }));
  const running = input.scheduler.submit(requests, {
    onToken(choice, id, logprob, top) {
      firstTokenMs ??= performance.now() - started;
      generatedTokens++;
      const st = states[choice]!;
      if (st.stop.stopped) return;
      st.tokens.push(id);
      st.logprobs.push(logprob);
      st.top.push(top ?? []);
      st.pending.push(top ? { id, logprob, top } : { id, logprob });
      emit(choice, st.stop.push(st.decoder.push(id)));
      if (st.stop.stopped) st.stopped.abort();
    },
  });
  return running.then((results) => {
    const latencyMs = performance.now() - started;
    if (input.signal.aborted) return { choices: [], cancelled: true, latencyMs, firstTokenMs, generatedTokens };
    const choices = results.map((r, index): ChoiceResult => {
      const st = states[index]!;
      if (!st.stop.stopped) emit(index, st.stop.push(st.decoder.flush()) + st.stop.flush(), true);
      flush();
      const finishReason: ChoiceFinish = st.stop.stopped || r.finishReason !== "length" ? "stop" : "length";
      return { index, text: st.text, tokens: st.tokens, logprobs: st.logprobs, topLogprobs: st.top, finishReason };
    });
    return { choices, cancelled: false, latencyMs, firstTokenMs, generatedTokens };
  });
}

/** An echo with max_tokens 0 scores the prompt and generates nothing: n empty choices. */
export function emptyGeneration(n: number): Generation {
  const choices = Array.from({ length: n }, (_, index): ChoiceResult => ({ index, text: "", tokens: [], logprobs: [], topLogprobs: [], finishReason: "length" }));
  return { choices, cancelled: false, latencyMs: 0, firstTokenMs: null, generatedTokens: 0 };
}
