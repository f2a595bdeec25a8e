/**
 * Preference pairs from disk and their token ids. Three line formats are read: `{"prompt","chosen",
 * "rejected"}` (prompt a user message), HH-RLHF dialogues `{"chosen","rejected"}` (whole
 * "\n\nHuman: … \n\nAssistant: …" transcripts; the prompt is their common prefix cut back to the last
 * "\n\nAssistant:"), and the rasbt instruction format `{"instruction","input","chosen","rejected"}`.
 * Pairs are rendered through the chat template, so the reward model, DPO and the policy see the same
 * layout as SFT. Splitting into train / held-out is left to the caller.
 */
import { readFileSync } from "node:fs";
import { renderConversation, renderPrompt, type ChatMessage, type Tokenizer } from "@forno/tokenizer";
import { PreferenceDataError } from "./errors.ts";
import type { Sequence } from "./sequences.ts";

export interface PreferencePair {
  /** The conversation so far, ending with a user message. */
  prompt: ChatMessage[];
  chosen: string;
  rejected: string;
}

const ASSISTANT = "\n\nAssistant:";

/** "\n\nHuman: a\n\nAssistant: b\n\nHuman: c" → user/assistant messages. */
function parseDialogue(text: string): ChatMessage[] {
  const parts = text.split(/\n\n(Human|Assistant):/);
  const messages: ChatMessage[] = [];
  for (let i = 1; i + 1 < parts.length; i += 2) {
    messages.push({ role: parts[i] === "Human" ? "user" : "assistant", content: parts[i + 1]!.trim() });
  }
  return messages;
}

function hhPair(chosen: string, rejected: string, where: string): PreferencePair {
  let common = 0;
  while (common < chosen.length && chosen[common] === rejected[common]) common++;
  const cut = chosen.lastIndexOf(ASSISTANT, common - ASSISTANT.length);
  if (cut < 0) throw new PreferenceDataError(`${where}: chosen and rejected share no prefix ending in "${ASSISTANT.trim()}"; expected two HH-RLHF dialogues that differ only in the last reply`);
  const prompt = parseDialogue(chosen.slice(0, cut));
  if (prompt.length === 0 || prompt[prompt.length - 1]!.role !== "user") throw new PreferenceDataError(`${where}: the shared dialogue does not end with a Human turn`);
  return { prompt, chosen: chosen.slice(cut + ASSISTANT.length).trim(), rejected: rejected.slice(cut + ASSISTANT.length).trim() };
}

/** One JSONL line in any of the three formats; `where` (e.g. "file.jsonl:12") names it in errors. */
export function parsePreferenceLine(line: string, where = "line"): PreferencePair {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch (e) {
    throw new PreferenceDataError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const str = (k: string): string => {
    const v = r[k];
    if (typeof v !== "string") throw new PreferenceDataError(`${where}: expected "${k}" to be a string, got ${JSON.stringify(v)?.slice(0, 60)}`);
    return v;
  };
  if (typeof r.prompt === "string") return { prompt: [{ role: "user", content: str("prompt") }], chosen: str("chosen"), rejected: str("rejected") };
  if (typeof r.instruction === "string") {
    const input = typeof r.input === "string" && r.input.length > 0 ? `\n\n${r.input}` : "";
    return { prompt: [{ role: "user", content: str("instruction") + input }], chosen: str("chosen"), rejected: str("rejected") };
  }
  if (typeof r.chosen === "string" && typeof r.rejected === "string") return hhPair(r.chosen, r.rejected, where);
  throw new PreferenceDataError(`${where}: expected {"prompt","chosen","rejected"}, {"instruction","input","chosen","rejected"} or HH-RLHF {"chosen","rejected"}, got keys ${Object.keys(r).join(", ")}`);
}

/**
 * Every pair of a JSONL file. Records that cannot be parsed are counted in `skipped` (with the first
 * error) rather than thrown, since real dumps hold a few (e.g. HH-RLHF dialogues that differ early);
 * pairs whose two responses are identical carry no preference and are skipped too.
 */
export function loadPreferences(path: string): { pairs: PreferencePair[]; skipped: number; firstError: string | null } {
  const pairs: PreferencePair[] = [];
  let skipped = 0;
  let firstError: string | null = null;
  readFileSync(path, "utf8").split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const pair = parsePreferenceLine(line, `${path}:${i + 1}`);
      if (pair.chosen === pair.rejected) skipped++;
      else pairs.push(pair);
    } catch (e) {
      if (!(e instanceof PreferenceDataError)) throw e;
      skipped++;
      firstError ??= e.message;
    }
  });
  return { pairs, skipped, firstError };
}

/**
 * Chosen and rejected as prompt + response token sequences within `contextLength` tokens. The response
 * (its text and <|assistant_end|>) keeps at most half the context when the prompt needs the rest; the
 * prompt loses its oldest tokens first, so the question nearest the reply survives.
 */
export function encodePair(tokenizer: Tokenizer, pair: PreferencePair, contextLength: number): { chosen: Sequence; rejected: Sequence } {
  const prompt = renderPrompt(tokenizer, { messages: pair.prompt });
  const side = (text: string): Sequence => {
    const full = renderConversation(tokenizer, { messages: [...pair.prompt, { role: "assistant", content: text }] }).ids;
    let response = full.slice(prompt.length);
    response = response.slice(0, Math.max(1, contextLength - Math.min(prompt.length, Math.floor(contextLength / 2))));
    return { prompt: prompt.slice(-(contextLength - response.length)), response };
  };
  return { chosen: side(pair.chosen), rejected: side(pair.rejected) };
}
