/**
 * Validates store inputs and completes them into full rows (ids, timestamps, defaults), the same way for
 * both backends. Backends only do I/O: existence checks that need the database (unknown response → 
 * NotFoundError) happen there.
 */
import { ValidationError } from "./errors.ts";
import type {
  Comparison,
  Conversation,
  Dataset,
  Feedback,
  NewComparison,
  NewConversation,
  NewDataset,
  NewFeedback,
  NewResponse,
  NewReward,
  Response,
  ResponseRef,
  Reward,
} from "./types.ts";

/** Time-ordered (UUIDv7), so sorting by id sorts by insertion within one process. */
const newId = () => Bun.randomUUIDv7();

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new ValidationError(message);
}

function checkRef(what: string, ref: ResponseRef): void {
  check(
    typeof ref?.responseId === "string" && ref.responseId.length > 0 && Number.isInteger(ref.choiceIndex) && ref.choiceIndex >= 0,
    `${what}: expected { responseId: non-empty string, choiceIndex: integer ≥ 0 }, got ${JSON.stringify(ref)}`,
  );
}

export function conversationRow(c: NewConversation): Conversation {
  const hasPrompt = typeof c.prompt === "string";
  const hasMessages = Array.isArray(c.messages);
  check(
    hasPrompt !== hasMessages,
    `conversation: expected exactly one of prompt (text) or messages (array), got ${hasPrompt ? "both" : "neither"}`,
  );
  return {
    id: c.id ?? newId(),
    createdAt: c.createdAt ?? new Date(),
    prompt: c.prompt ?? null,
    messages: c.messages ?? null,
    source: c.source ?? "api",
  };
}

export function responseRows(conversationId: string, rs: NewResponse[]): Response[] {
  check(rs.length > 0, "saveResponses: expected at least one response, got none");
  const seen = new Set<string>();
  return rs.map((r) => {
    checkRef("response", { responseId: r.id, choiceIndex: r.choiceIndex });
    const key = `${r.id}#${r.choiceIndex}`;
    check(!seen.has(key), `saveResponses: choice ${key} appears twice in one call; give each choice its own index`);
    seen.add(key);
    return {
      ...r,
      conversationId,
      checkpoint: r.checkpoint ?? null,
      logprobs: r.logprobs ?? null,
      createdAt: r.createdAt ?? new Date(),
    };
  });
}

export function feedbackRow(f: NewFeedback): Feedback {
  checkRef("feedback", f);
  const rating = f.rating ?? null;
  const score = f.score ?? null;
  check(rating !== null || score !== null, "feedback: expected a rating (-1 or +1) or a score, got neither");
  check(rating === null || rating === 1 || rating === -1, `feedback: rating must be -1 or +1, got ${rating}`);
  check(score === null || Number.isFinite(score), `feedback: score must be a finite number, got ${score}`);
  return {
    id: f.id ?? newId(),
    responseId: f.responseId,
    choiceIndex: f.choiceIndex,
    rating,
    score,
    comment: f.comment ?? null,
    userId: f.userId ?? null,
    source: f.source ?? "api",
    createdAt: f.createdAt ?? new Date(),
  };
}

/** `conversationId` is the chosen response's, checked by the backend to match the rejected one's. */
export function comparisonRow(c: NewComparison, conversationId: string): Comparison {
  const tie = c.tie ?? false;
  const same = c.chosen.responseId === c.rejected.responseId && c.chosen.choiceIndex === c.rejected.choiceIndex;
  check(tie || !same, "comparison: chosen and rejected are the same response; compare two different ones (or mark a tie)");
  return {
    id: newId(),
    conversationId,
    chosenResponseId: c.chosen.responseId,
    chosenChoiceIndex: c.chosen.choiceIndex,
    rejectedResponseId: c.rejected.responseId,
    rejectedChoiceIndex: c.rejected.choiceIndex,
    tie,
    who: c.who ?? null,
    createdAt: c.createdAt ?? new Date(),
  };
}

export function checkComparisonRefs(c: NewComparison): void {
  checkRef("comparison.chosen", c.chosen);
  checkRef("comparison.rejected", c.rejected);
}

export function rewardRow(r: NewReward): Reward {
  checkRef("reward", r);
  check(Number.isFinite(r.score), `reward: score must be a finite number, got ${r.score}`);
  check(r.rewardModel.length > 0, "reward: rewardModel must name the reward model, got an empty string");
  return { ...r, id: r.id ?? newId(), checkpoint: r.checkpoint ?? null, createdAt: r.createdAt ?? new Date() };
}

export function datasetRow(d: NewDataset): Dataset {
  check(Number.isInteger(d.rowCount) && d.rowCount >= 0, `dataset: rowCount must be an integer ≥ 0, got ${d.rowCount}`);
  check(/^[0-9a-f]{64}$/.test(d.contentHash), "dataset: contentHash must be a sha256 hex digest (use sha256Hex)");
  return { ...d, id: d.id ?? newId(), path: d.path ?? null, createdAt: d.createdAt ?? new Date() };
}
