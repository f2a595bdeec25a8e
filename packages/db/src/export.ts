/**
 * Turns stored feedback into training rows for the reward-model and RL stages, and writes them as JSONL.
 *
 * Preference pairs come from two places: every comparison that is not a tie, and, per prompt, every
 * (positively rated, negatively rated) pair of the responses to it. A prompt is its completion text or its
 * chat messages (role and content), so answers from different conversations with the same prompt (a
 * regenerated reply is a new request) pair up too. A response's rating is the sign of the sum of its
 * ratings (several users may rate it); a net zero counts as unrated. Scores are not turned into pairs.
 * The order is deterministic so the same store always exports the same bytes: comparisons by (createdAt, id),
 * then prompts in the order of their first conversation by (createdAt, id), with the responses of each
 * prompt by conversation, then (createdAt, id, choiceIndex).
 * Loading the rows is the backends' job (`ExportSource`); this module never touches the database.
 */
import type { ChatMessage } from "./json-types.ts";
import type { Comparison, Conversation, Response } from "./types.ts";

/** What a conversation was prompted with: completion text, or chat messages. */
export type ExportPrompt = string | ChatMessage[];

export interface PreferencePair {
  prompt: ExportPrompt;
  chosen: string;
  rejected: string;
  source: "comparison" | "rating";
}

export interface RatingRow {
  prompt: ExportPrompt;
  response: string;
  rating: 1 | -1;
}

export interface FeedbackExport {
  pairs: PreferencePair[];
  ratings: RatingRow[];
}

export type ExportResponse = Pick<Response, "id" | "choiceIndex" | "conversationId" | "text" | "createdAt">;

/** The rows an export needs, as loaded by a backend (order does not matter). */
export interface ExportSource {
  conversations: Conversation[];
  /** Every response that is rated or appears in a non-tie comparison. */
  responses: ExportResponse[];
  ratings: { responseId: string; choiceIndex: number; rating: number }[];
  /** Non-tie comparisons only. */
  comparisons: Comparison[];
}

const key = (id: string, choiceIndex: number) => `${choiceIndex}:${id}`;
const byTime = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }) =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** The same prompt gives the same key whichever backend returned it (jsonb reorders object keys). */
const promptKey = (p: ExportPrompt) => (typeof p === "string" ? `text:${p}` : `chat:${JSON.stringify(p.map((m) => [m.role, m.content]))}`);
const byResponse = (a: ExportResponse, b: ExportResponse) => byTime(a, b) || a.choiceIndex - b.choiceIndex;

export function buildFeedbackExport(src: ExportSource): FeedbackExport {
  const prompts = new Map(src.conversations.map((c) => [c.id, (c.prompt ?? c.messages) as ExportPrompt]));
  const responses = new Map(src.responses.map((r) => [key(r.id, r.choiceIndex), r]));
  const text = (id: string, choiceIndex: number) => responses.get(key(id, choiceIndex))!.text;

  const pairs: PreferencePair[] = [...src.comparisons].sort(byTime).map((c) => ({
    prompt: prompts.get(c.conversationId)!,
    chosen: text(c.chosenResponseId, c.chosenChoiceIndex),
    rejected: text(c.rejectedResponseId, c.rejectedChoiceIndex),
    source: "comparison",
  }));

  const net = new Map<string, number>();
  for (const r of src.ratings) net.set(key(r.responseId, r.choiceIndex), (net.get(key(r.responseId, r.choiceIndex)) ?? 0) + r.rating);
  const rated = new Map<string, ExportResponse[]>();
  for (const r of [...responses.values()].sort(byResponse)) {
    if (!net.get(key(r.id, r.choiceIndex))) continue;
    rated.set(r.conversationId, [...(rated.get(r.conversationId) ?? []), r]);
  }

  // Map keeps insertion order: prompts in the order of their first conversation.
  const byPrompt = new Map<string, { prompt: ExportPrompt; responses: ExportResponse[] }>();
  for (const c of [...src.conversations].sort(byTime)) {
    const prompt = prompts.get(c.id)!;
    const group = byPrompt.get(promptKey(prompt)) ?? { prompt, responses: [] };
    group.responses.push(...(rated.get(c.id) ?? []));
    byPrompt.set(promptKey(prompt), group);
  }

  const ratings: RatingRow[] = [];
  const sign = (r: ExportResponse) => Math.sign(net.get(key(r.id, r.choiceIndex))!) as 1 | -1;
  for (const { prompt, responses: rs } of byPrompt.values()) {
    for (const good of rs.filter((r) => sign(r) > 0)) {
      for (const bad of rs.filter((r) => sign(r) < 0)) {
        pairs.push({ prompt, chosen: good.text, rejected: bad.text, source: "rating" });
      }
    }
    for (const r of rs) ratings.push({ prompt, response: r.text, rating: sign(r) });
  }
  return { pairs, ratings };
}

/** One JSON object per line, each line ending in "\n" (an empty list is the empty string). */
export function toJsonl(rows: readonly object[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join("");
}

/** sha256 of a text as lowercase hex, for `recordDataset({ contentHash })`. */
export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}
