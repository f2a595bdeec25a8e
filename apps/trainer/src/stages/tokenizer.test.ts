import { expect, test } from "bun:test";
import { preTokenize } from "@forno/tokenizer";
import { DIGIT_PATTERN } from "./tokenizer.ts";

test("the trained vocabulary's pattern splits every digit and otherwise chunks as cl100k does", () => {
  expect([...preTokenize("What is 147 + 85? It's 232.", DIGIT_PATTERN)]).toEqual(["What", " is", " ", "1", "4", "7", " +", " ", "8", "5", "?", " It", "'s", " ", "2", "3", "2", "."]);
  const text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\tSpeak, speak!";
  expect([...preTokenize(text, DIGIT_PATTERN)]).toEqual([...preTokenize(text, "cl100k")]);
});
