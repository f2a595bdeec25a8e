/**
 * Preference pairs from disk and their token ids. The line formats read: `{"prompt","chosen","rejected"}`
 * with the prompt either text (a user message) or chat messages `[{role, content}, …]` (what the
 * server's `GET /v1/feedback/export` writes; extra keys such as "source" are ignored), the export's
 * ratings `{"prompt","response","rating"}` (paired up per prompt: every liked response over every
 * disliked one), HH-RLHF dialogues `{"chosen","rejected"}` (whole "\n\nHuman: … \n\nAssistant: …"
 * transcripts; the prompt is their common prefix cut back to the last "\n\nAssistant:"), and the rasbt
 * instruction format `{"instruction","input","chosen","rejected"}`. Pairs are rendered through the chat
 * template, so the reward model, DPO and the policy see the same layout as SFT. Splitting into train /
 * held-out is left to the caller.
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

/** A rated response (the export's `?kind=ratings` line): +1 liked, -1 disliked. */
export interface RatedResponse {
  prompt: ChatMessage[];
  response: string;
  rating: 1 | -1;
}

const ROLES = new Set(["system", "user", "assistant"]);

/**
 * A prompt as text (one user message) or chat messages. A trailing assistant message is dropped, as
 * `renderPrompt` (and so the server) drops it when it asks for the next reply.
 */
function parsePrompt(v: unknown, where: string): ChatMessage[] {
  if (typeof v === "string") return [{ role: "user", content: v }];
  const ok = Array.isArray(v) && v.every((m) => m && typeof m === "object" && ROLES.has(m.role) && typeof m.content === "string");
  if (!ok) throw new PreferenceDataError(`${where}: expected "prompt" to be a string or [{ role: "system" | "user" | "assistant", content: string }, …], got ${JSON.stringify(v)?.slice(0, 80)}`);
  const messages = (v as ChatMessage[]).map((m) => ({ role: m.role, content: m.content }));
  if (messages.at(-1)?.role === "assistant") messages.pop();
  if (messages.length === 0) throw new PreferenceDataError(`${where}: the prompt has no message before the reply; expected at least one user message`);
  return messages;
}

function parseRecord(line: string, where: string): Record<string, unknown> {
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch (e) {
    throw new PreferenceDataError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (!r || typeof r !== "object" || Array.isArray(r)) throw new PreferenceDataError(`${where}: expected a JSON object, got ${line.slice(0, 60)}`);
  return r as Record<string, unknown>;
}

/** One record in any of the pair formats (not ratings); `where` (e.g. "file.jsonl:12") names it in errors. */
export function parsePreferenceRecord(r: Record<string, unknown>, where = "record"): PreferencePair {
  const str = (k: string): string => {
    const v = r[k];
    if (typeof v !== "string") throw new PreferenceDataError(`${where}: expected "${k}" to be a string, got ${JSON.stringify(v)?.slice(0, 60)}`);
    return v;
  };
  if (r.prompt !== undefined) return { prompt: parsePrompt(r.prompt, where), chosen: str("chosen"), rejected: str("rejected") };
  if (typeof r.instruction === "string") {
    const input = typeof r.input === "string" && r.input.length > 0 ? `\n\n${r.input}` : "";
    return { prompt: [{ role: "user", content: str("instruction") + input }], chosen: str("chosen"), rejected: str("rejected") };
  }
  if (typeof r.chosen === "string" && typeof r.rejected === "string") return hhPair(r.chosen, r.rejected, where);
  throw new PreferenceDataError(`${where}: expected {"prompt","chosen","rejected"}, {"instruction","input","chosen","rejected"} or HH-RLHF {"chosen","rejected"}, got keys ${Object.keys(r).join(", ")}`);
}

/** One JSONL line in any of the pair formats. */
export function parsePreferenceLine(line: string, where = "line"): PreferencePair {
  return parsePreferenceRecord(parseRecord(line, where), where);
}

function parseRating(r: Record<string, unknown>, where: string): RatedResponse {
  if (typeof r.response !== "string") throw new PreferenceDataError(`${where}: expected "response" to be a string, got ${JSON.stringify(r.response)?.slice(0, 60)}`);
  if (r.rating !== 1 && r.rating !== -1) throw new PreferenceDataError(`${where}: expected "rating" to be 1 or -1, got ${JSON.stringify(r.rating)}`);
  return { prompt: parsePrompt(r.prompt, where), response: r.response, rating: r.rating };
}

/** Per prompt (same messages), every liked response over every disliked one, in first-seen order. */
export function pairsFromRatings(rows: readonly RatedResponse[]): PreferencePair[] {
  const groups = new Map<string, RatedResponse[]>();
  for (const r of rows) {
    const k = JSON.stringify(r.prompt.map((m) => [m.role, m.content]));
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].flatMap((g) =>
    g.filter((r) => r.rating > 0).flatMap((good) => g.filter((r) => r.rating < 0).map((bad) => ({ prompt: good.prompt, chosen: good.response, rejected: bad.response }))),
  );
}

/**
 * Every pair of a JSONL file, plus the pairs its rating lines make (`pairsFromRatings`). Records that
 * cannot be parsed are counted in `skipped` (with the first error) rather than thrown, since real dumps
 * hold a few (e.g. HH-RLHF dialogues that differ early); pairs whose two responses are identical carry
 * no preference and are skipped too.
 */
export function loadPreferences(path: string): { pairs: PreferencePair[]; skipped: number; firstError: string | null } {
  const parsed: PreferencePair[] = [];
  const rated: RatedResponse[] = [];
  let skipped = 0;
  let firstError: string | null = null;
  readFileSync(path, "utf8").split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${path}:${i + 1}`;
    try {
      const r = parseRecord(line, where);
      if (r.rating !== undefined) rated.push(parseRating(r, where));
      else parsed.push(parsePreferenceRecord(r, where));
    } catch (e) {
      if (!(e instanceof PreferenceDataError)) throw e;
      skipped++;
      firstError ??= e.message;
    }
  });
  const all = [...parsed, ...pairsFromRatings(rated)];
  const pairs = all.filter((p) => p.chosen !== p.rejected);
  return { pairs, skipped: skipped + all.length - pairs.length, firstError };
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
