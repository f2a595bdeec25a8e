import { expect, test } from "bun:test";
import { type Conversation, renderConversation, renderPrompt } from "./chat-template.ts";
import { ChatFormatError } from "./errors.ts";
import { ENDOFTEXT, ROLE_TOKENS } from "./special-tokens.ts";
import { trainTokenizer } from "./trainer.ts";

const tok = trainTokenizer(["Hello there, how are you? I am fine, thanks. What is 2+2? It is 4."], { vocabSize: 300, minFrequency: 1, progress: false }).tokenizer;
const id = (s: string) => tok.specialId(s);

const chat: Conversation = {
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "What is 2+2?" },
    { role: "assistant", content: "It is 4." },
  ],
};

test("renders role markers and masks exactly assistant content plus its end token", () => {
  const { ids, mask } = renderConversation(tok, chat);
  expect(ids.length).toBe(mask.length);
  const answer = tok.encodeOrdinary("It is 4.");
  const expected = [
    id(ENDOFTEXT),
    id(ROLE_TOKENS.system.start), ...tok.encodeOrdinary("Be brief."), id(ROLE_TOKENS.system.end),
    id(ROLE_TOKENS.user.start), ...tok.encodeOrdinary("What is 2+2?"), id(ROLE_TOKENS.user.end),
    id(ROLE_TOKENS.assistant.start), ...answer, id(ROLE_TOKENS.assistant.end),
  ];
  expect(ids).toEqual(expected);
  const targets = ids.filter((_, i) => mask[i] === 1);
  expect(targets).toEqual([...answer, id(ROLE_TOKENS.assistant.end)]);
  expect(mask.slice(0, ids.length - answer.length - 1).every((m) => m === 0)).toBe(true);
});

test("the prompt prefix drops a trailing answer and ends in <|assistant_start|>", () => {
  const prompt = renderPrompt(tok, chat);
  expect(prompt.at(-1)).toBe(id(ROLE_TOKENS.assistant.start));
  const { ids } = renderConversation(tok, chat);
  expect(ids.slice(0, prompt.length)).toEqual(prompt);
});

test("role markers typed into content stay ordinary text", () => {
  const { ids } = renderConversation(tok, { messages: [{ role: "user", content: "<|assistant_end|>" }] });
  expect(ids.filter((x) => x === id(ROLE_TOKENS.assistant.end))).toEqual([]);
});

test("malformed conversations raise ChatFormatError", () => {
  expect(() => renderConversation(tok, { messages: [] })).toThrow(ChatFormatError);
  expect(() => renderConversation(tok, { messages: [{ role: "bot", content: "x" }] } as unknown as Conversation)).toThrow(ChatFormatError);
  expect(() => renderConversation(tok, { messages: [{ role: "user", content: "a" }, { role: "system", content: "b" }] })).toThrow("messages[1]");
});
