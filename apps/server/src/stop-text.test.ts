import { expect, test } from "bun:test";
import { StopText } from "./stop-text.ts";

test("cuts at the earliest stop string, even when it spans pushes", () => {
  const s = new StopText(["\n\n", "END"]);
  expect(s.push("hello E")).toBe("hello ");
  expect(s.push("N")).toBe("");
  expect(s.push("Dless")).toBe("");
  expect(s.stopped).toBe(true);
  expect(s.push("more")).toBe("");
  expect(s.flush()).toBe("");
});

test("releases held text once it cannot become a stop string, and at the end", () => {
  const s = new StopText(["END"]);
  expect(s.push("abcE")).toBe("abc");
  expect(s.push("x")).toBe("Ex");
  expect(s.push("EN")).toBe("");
  expect(s.flush()).toBe("EN");
  expect(s.stopped).toBe(false);
});

test("without stop strings everything passes through", () => {
  const s = new StopText([]);
  expect(s.push("a")).toBe("a");
  expect(s.flush()).toBe("");
});
