import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { useTempDirs } from "../test-dir.ts";
import { SftDataError } from "./errors.ts";
import { loadConversations, parseConversationLine } from "./formats.ts";

const tempDir = useTempDirs();

test("reads the three formats into conversations", () => {
  expect(parseConversationLine('{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."}]}', "x:1")).toEqual({
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello." },
    ],
  });
  expect(parseConversationLine('{"instruction":"Add.","input":"2 and 3","output":"5"}', "x:1").messages).toEqual([
    { role: "user", content: "Add.\n\n2 and 3" },
    { role: "assistant", content: "5" },
  ]);
  // An empty (or missing) input leaves the instruction alone.
  for (const line of ['{"instruction":"Say hi.","input":"","output":"Hi."}', '{"instruction":"Say hi.","output":"Hi.","id":7}']) {
    expect(parseConversationLine(line, "x:1").messages[0]).toEqual({ role: "user", content: "Say hi." });
  }
  expect(parseConversationLine('{"prompt":"2+2?","completion":"4"}', "x:1").messages).toEqual([
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "4" },
  ]);
});

test("malformed lines name the place, the expectation and what arrived", () => {
  const bad = (line: string) => {
    try {
      parseConversationLine(line, "data.jsonl:7");
    } catch (e) {
      expect(e).toBeInstanceOf(SftDataError);
      return (e as Error).message;
    }
    throw new Error(`no error for ${line}`);
  };
  expect(bad('{"prompt": "x", ')).toMatch(/^data\.jsonl:7: bad JSON \(.+\); expected one JSON object per line$/);
  expect(bad("[1, 2]")).toBe("data.jsonl:7: expected a JSON object, got [1,2]; write one conversation object per line");
  expect(bad('{"question":"q","answer":"a"}')).toBe(
    'data.jsonl:7: unknown format: expected {"messages": [{"role", "content"}, ...]}, {"instruction", "input", "output"} or {"prompt", "completion"}, got keys [question, answer]; rename the fields to one of these',
  );
  expect(bad('{"messages":[{"role":"user","content":"hi"},{"role":"bot","content":"yo"}]}')).toBe(
    'data.jsonl:7: messages[1].role: expected "system", "user" or "assistant", got "bot"; map it to one of these roles',
  );
  expect(bad('{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"  "}]}')).toBe(
    'data.jsonl:7: messages[1].content: expected non-empty text, got "  "; fill it in or drop the line',
  );
  expect(bad('{"instruction":"Do it.","input":"","output":""}')).toBe('data.jsonl:7: output: expected non-empty text, got ""; fill it in or drop the line');
  expect(bad('{"prompt":42,"completion":"x"}')).toBe("data.jsonl:7: prompt: expected non-empty text, got 42; fill it in or drop the line");
  expect(bad('{"messages":[]}')).toBe('data.jsonl:7: messages: expected a non-empty array of {"role", "content"}, got []');
  expect(bad('{"messages":[{"role":"user","content":"hi"}]}')).toBe(
    'data.jsonl:7: messages: expected at least one "assistant" message, got roles [user]; SFT learns only from assistant replies',
  );
  expect(bad('{"messages":[{"role":"user","content":"a"},{"role":"system","content":"b"},{"role":"assistant","content":"c"}]}')).toBe(
    'data.jsonl:7: messages[1].role: expected "system" only as the first message, got it at position 1; merge it into messages[0]',
  );
});

test("loadConversations reads files in order, skips blank lines and reports file:line", () => {
  const dir = tempDir();
  const a = join(dir, "a.jsonl");
  const b = join(dir, "b.jsonl");
  writeFileSync(a, '{"prompt":"p1","completion":"c1"}\r\n\n{"prompt":"p2","completion":"c2"}\n');
  writeFileSync(b, '{"instruction":"i3","output":"o3"}\n');
  expect(loadConversations([a, b]).map((c) => c.messages[0].content)).toEqual(["p1", "p2", "i3"]);
  expect(loadConversations(b)).toHaveLength(1);
  writeFileSync(b, '{"prompt":"p","completion":"c"}\n\n{"prompt":"p","completion":""}\n');
  expect(() => loadConversations([a, b])).toThrow(`${b}:3: completion: expected non-empty text, got ""`);
  expect(() => loadConversations(join(dir, "missing.jsonl"))).toThrow(`${join(dir, "missing.jsonl")}: cannot read (`);
});
