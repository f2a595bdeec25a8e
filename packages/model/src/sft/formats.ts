/**
 * Reads SFT conversations from JSONL in the three common shapes, one object per line:
 *   {"messages": [{"role", "content"}, ...]}         (OpenAI / nanochat chat format)
 *   {"instruction", "input"?, "output"}              (Alpaca: the user turn is instruction, then a blank
 *                                                      line and the input when the input is non-empty)
 *   {"prompt", "completion"}                         (one user turn, one assistant turn)
 * Extra keys are ignored, so files may carry ids or sources. Every line is checked at the edge: a bad
 * line throws SftDataError naming the file, the line, what was expected and what arrived. Blank lines
 * are skipped. Rendering to token ids is left to the chat template (@forno/tokenizer).
 */
import { readFileSync } from "node:fs";
import type { ChatMessage, ChatRole, Conversation } from "@forno/tokenizer";
import { SftDataError } from "./errors.ts";

const ROLES: readonly ChatRole[] = ["system", "user", "assistant"];
const FORMATS = `{"messages": [{"role", "content"}, ...]}, {"instruction", "input", "output"} or {"prompt", "completion"}`;

/** A short JSON rendering of a bad value for error messages. */
function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** `value` if it is a string with non-whitespace text, else a typed error for `field`. */
function text(value: unknown, field: string, where: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new SftDataError(`${where}: ${field}: expected non-empty text, got ${show(value)}; fill it in or drop the line`);
  }
  return value;
}

function fromMessages(messages: unknown, where: string): Conversation {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new SftDataError(`${where}: messages: expected a non-empty array of {"role", "content"}, got ${show(messages)}`);
  }
  const out: ChatMessage[] = messages.map((m: { role?: unknown; content?: unknown } | null, i) => {
    const role = m?.role;
    if (typeof role !== "string" || !ROLES.includes(role as ChatRole)) {
      throw new SftDataError(`${where}: messages[${i}].role: expected "system", "user" or "assistant", got ${show(role)}; map it to one of these roles`);
    }
    if (role === "system" && i !== 0) {
      throw new SftDataError(`${where}: messages[${i}].role: expected "system" only as the first message, got it at position ${i}; merge it into messages[0]`);
    }
    return { role: role as ChatRole, content: text(m?.content, `messages[${i}].content`, where) };
  });
  if (!out.some((m) => m.role === "assistant")) {
    throw new SftDataError(`${where}: messages: expected at least one "assistant" message, got roles [${out.map((m) => m.role).join(", ")}]; SFT learns only from assistant replies`);
  }
  return { messages: out };
}

function fromAlpaca(row: Record<string, unknown>, where: string): Conversation {
  const instruction = text(row.instruction, "instruction", where);
  const output = text(row.output, "output", where);
  const input = row.input ?? "";
  if (typeof input !== "string") throw new SftDataError(`${where}: input: expected a string (may be ""), got ${show(input)}`);
  const user = input.trim() === "" ? instruction : `${instruction}\n\n${input}`;
  return { messages: [{ role: "user", content: user }, { role: "assistant", content: output }] };
}

/**
 * One JSONL line as a Conversation. `where` locates the line in errors, conventionally `file:line`
 * (1-based line).
 */
export function parseConversationLine(line: string, where: string): Conversation {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch (e) {
    throw new SftDataError(`${where}: bad JSON (${(e as Error).message}); expected one JSON object per line`);
  }
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new SftDataError(`${where}: expected a JSON object, got ${show(row)}; write one conversation object per line`);
  }
  const r = row as Record<string, unknown>;
  if ("messages" in r) return fromMessages(r.messages, where);
  if ("instruction" in r && "output" in r) return fromAlpaca(r, where);
  if ("prompt" in r && "completion" in r) {
    return { messages: [{ role: "user", content: text(r.prompt, "prompt", where) }, { role: "assistant", content: text(r.completion, "completion", where) }] };
  }
  throw new SftDataError(`${where}: unknown format: expected ${FORMATS}, got keys [${Object.keys(r).join(", ")}]; rename the fields to one of these`);
}

/** Every conversation in one or more JSONL files, in file then line order. */
export function loadConversations(paths: string | readonly string[]): Conversation[] {
  const out: Conversation[] = [];
  for (const path of typeof paths === "string" ? [paths] : paths) {
    let body: string;
    try {
      body = readFileSync(path, "utf8");
    } catch (e) {
      throw new SftDataError(`${path}: cannot read (${(e as Error).message}); expected a JSONL file of conversations`);
    }
    const lines = body.split("\n");
    lines.forEach((raw, i) => {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line.trim() !== "") out.push(parseConversationLine(line, `${path}:${i + 1}`));
    });
  }
  return out;
}
