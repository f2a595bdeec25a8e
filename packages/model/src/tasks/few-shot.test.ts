import { expect, test } from "bun:test";
import { trainTokenizer } from "@forno/tokenizer";
import { Rng } from "../rng.ts";
import { TaskError } from "./errors.ts";
import { baseModelAnswer, chatPromptIds, chatQuestion, fewShotPrompt, pickShots, zeroShotPrompt } from "./few-shot.ts";

test("zero-shot and k-shot prompt shapes", () => {
  expect(zeroShotPrompt("What is 47 + 85?")).toBe("Q: What is 47 + 85?\nA:");
  expect(fewShotPrompt([], "What is 1 + 2?")).toBe("Q: What is 1 + 2?\nA:");
  expect(
    fewShotPrompt(
      [
        { question: "What is 10 + 5?", answer: "15" },
        { question: "What is 9 - 4?", answer: "5" },
      ],
      "What is 47 + 85?",
    ),
  ).toBe("Q: What is 10 + 5?\nA: 15\n\nQ: What is 9 - 4?\nA: 5\n\nQ: What is 47 + 85?\nA:");
});

test("pickShots draws k distinct items, deterministically, skipping excluded ones", () => {
  const pool = Array.from({ length: 20 }, (_, i) => i);
  const a = pickShots(pool, 5, Rng.fromSeed(1), (x) => x === 3);
  expect(a).toHaveLength(5);
  expect(new Set(a).size).toBe(5);
  expect(a).not.toContain(3);
  expect(pickShots(pool, 5, Rng.fromSeed(1), (x) => x === 3)).toEqual(a);
  expect(pool).toEqual(Array.from({ length: 20 }, (_, i) => i)); // the pool is not reordered
  expect(() => pickShots(pool, 21, Rng.fromSeed(1))).toThrow(TaskError);
});

test("a base model's completion is cut at the next question", () => {
  expect(baseModelAnswer(" 132\n\nQ: What is 1 + 1?\nA: 2")).toBe("132");
  expect(baseModelAnswer(" 132\nQ: What")).toBe("132");
  expect(baseModelAnswer(" 7+5=12, write 2\n3 more")).toBe("7+5=12, write 2\n3 more");
});

test("chat prompts: direct vs step-by-step, ending in <|assistant_start|>", () => {
  expect(chatQuestion("What is 47 + 85?", "direct")).toEqual({ messages: [{ role: "user", content: "What is 47 + 85?" }] });
  expect(chatQuestion("What is 47 + 85?", "step-by-step").messages[0].content).toBe("What is 47 + 85? Think step by step.");
  const tok = trainTokenizer(["What is 47 + 85? Think step by step."], { vocabSize: 280, minFrequency: 1, progress: false }).tokenizer;
  const ids = chatPromptIds(tok, "What is 47 + 85?", "direct");
  expect(ids.at(-1)).toBe(tok.specialId("<|assistant_start|>"));
  expect(ids.slice(0, 2)).toEqual([tok.specialId("<|endoftext|>"), tok.specialId("<|user_start|>")]);
  expect(tok.decode(ids.slice(2, -2))).toBe("What is 47 + 85?");
});
