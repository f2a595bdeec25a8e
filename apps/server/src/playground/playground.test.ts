import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { serve, type RunningServer } from "../serve.ts";
import { testApp, type TestServer } from "../testing/tiny-model.ts";

// Chromium starts slowly on two shared cores.
setDefaultTimeout(90_000);

/** Debian's chromium package, which scripts/setup.sh installs; no browser is downloaded. */
const CHROMIUM = "/usr/bin/chromium";

let s: TestServer;
let server: RunningServer;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`the playground test needs Chromium at ${CHROMIUM}; install it with bash scripts/setup.sh (apt-get install chromium)`);
  s = await testApp({ apiKey: "sk-play" });
  server = serve(s.app, { port: 0 });
  // --no-sandbox: CI and this machine run as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  page = await browser.newPage();
  await page.goto(server.url.href);
  await page.fill("#api_key", "sk-play");
  await page.dispatchEvent("#api_key", "change");
  await page.reload(); // the key is kept in localStorage, and the model list loads with it
  await page.waitForSelector('#model[data-loaded="true"]');
  await page.fill("#temperature", "0");
  await page.fill("#max_tokens", "12");
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const lastAnswer = () => page.locator(".message.assistant").last();

test("the playground streams a chat answer, rates it, regenerates it, and records a comparison, all in the store", async () => {
  expect(await page.locator("#model option").allTextContents()).toEqual(["forno-sft"]);

  // Send a prompt: the answer streams into the page in several pieces, then gets its response id.
  await page.fill("#prompt", "hello world");
  await page.click("#send");
  await page.waitForSelector(".message.assistant[data-response-id]");
  const answer = lastAnswer();
  const text = await answer.locator(".text").textContent();
  expect(text!.length).toBeGreaterThan(0);
  expect(Number(await answer.getAttribute("data-chunks"))).toBeGreaterThan(1);
  const responseId = (await answer.getAttribute("data-response-id"))!;
  const row = await s.store.getResponse({ responseId, choiceIndex: 0 });
  expect(row!.text).toBe(text!);
  expect(row!.sampling).toMatchObject({ temperature: 0, maxTokens: 12 });

  // Thumbs up: a feedback row with the playground as source.
  await answer.locator("button.thumb-up").click();
  await page.waitForSelector('.message.assistant button.thumb-up[aria-pressed="true"]');
  const feedback = await s.store.listFeedback({ responseId, choiceIndex: 0 });
  expect(feedback.map((f) => [f.rating, f.source])).toEqual([[1, "playground"]]);

  // Regenerate replaces the last answer with a new response.
  await page.click("#regenerate");
  await page.waitForSelector(`.message.assistant[data-response-id]:not([data-response-id='${responseId}'])`);
  expect(await page.locator(".message.assistant").count()).toBe(1);

  // A second turn overflows the tiny model's 64-token context: the error shows and nothing half-done stays.
  await page.fill("#prompt", "and then?");
  await page.click("#send");
  await page.waitForSelector("#status.error");
  expect(await page.locator("#status").textContent()).toContain("maximum context length");
  expect(await page.inputValue("#prompt")).toBe("and then?");
  expect(await page.locator(".message").count()).toBe(2);

  // In a new chat, compare two answers and pick B.
  await page.click("#new-chat");
  await page.fill("#temperature", "1.2");
  await page.fill("#prompt", "2+2=");
  await page.click("#compare");
  await page.waitForSelector(".compare[data-response-id] button[data-winner='b']");
  const compared = (await page.locator(".compare").getAttribute("data-response-id"))!;
  const answerB = await page.locator(".compare .message").nth(1).locator(".text").textContent();
  await page.click("button[data-winner='b']");
  await page.waitForSelector(`.message.assistant[data-response-id='${compared}']`);
  expect(await lastAnswer().locator(".text").textContent()).toBe(answerB);
  const conversation = (await s.store.getResponse({ responseId: compared, choiceIndex: 0 }))!.conversationId;
  const comparisons = await s.store.listComparisons(conversation);
  expect(comparisons.length).toBe(1);
  expect(comparisons[0]).toMatchObject({ chosenResponseId: compared, chosenChoiceIndex: 1, rejectedChoiceIndex: 0, tie: false, who: "playground" });
  expect(await page.locator("#status").textContent()).toContain("B is better");
});
