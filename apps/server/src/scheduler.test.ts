import { expect, test } from "bun:test";
import type { GenerateOptions, GenerateRequest, GenerateResult } from "@forno/model";
import { QueueFullError, SchedulerClosedError } from "./errors.ts";
import { Scheduler, type BatchEngine } from "./scheduler.ts";

/** An engine whose generate calls stay open until the test releases them. */
class FakeEngine implements BatchEngine {
  readonly calls: { requests: readonly GenerateRequest[]; opts: GenerateOptions; release(): void }[] = [];
  constructor(readonly maxBatch: number) {}
  generate(requests: readonly GenerateRequest[], opts: GenerateOptions = {}): Promise<GenerateResult[]> {
    return new Promise((resolve) => {
      const release = () => {
        requests.forEach((r, i) => opts.onToken?.(i, r.prompt[0]!, -1));
        resolve(requests.map((r) => ({ tokens: [r.prompt[0]!], logprobs: [-1], finishReason: opts.signal?.aborted ? "cancelled" : "length" })));
      };
      this.calls.push({ requests, opts, release });
    });
  }
}

const req = (id: number): GenerateRequest => ({ prompt: [id], maxTokens: 1 });
const tick = () => new Promise((r) => setTimeout(r, 0));

test("batches up to maxBatch requests per call; requests arriving meanwhile go into the next call", async () => {
  const engine = new FakeEngine(2);
  const s = new Scheduler(engine);
  const first = s.submit([req(1), req(2), req(3)]);
  await tick();
  const late = s.submit([req(4)]);
  await tick();
  expect(engine.calls.map((c) => c.requests.map((r) => r.prompt[0]))).toEqual([[1, 2]]);
  expect(engine.calls[0]!.requests.every((r) => r.logprobs)).toBe(true);
  engine.calls[0]!.release();
  await tick();
  expect(engine.calls[1]!.requests.map((r) => r.prompt[0])).toEqual([3, 4]);
  engine.calls[1]!.release();
  expect((await first).map((r) => r.tokens[0])).toEqual([1, 2, 3]);
  expect((await late)[0]!.tokens).toEqual([4]);
});

test("a full queue refuses with QueueFullError and a retry hint", async () => {
  const engine = new FakeEngine(1);
  const s = new Scheduler(engine, { queueLimit: 2, retryAfterS: 3 });
  const running = s.submit([req(1)]);
  await tick(); // req 1 runs, the queue is empty again
  const queued = s.submit([req(2), req(3)]);
  let refused: unknown;
  try {
    s.submit([req(4)]);
  } catch (err) {
    refused = err;
  }
  expect(refused).toBeInstanceOf(QueueFullError);
  expect((refused as QueueFullError).retryAfterS).toBe(3);
  expect(s.depth).toBe(2);
  for (let i = 0; i < 3; i++) {
    engine.calls[i]!.release();
    await tick();
  }
  expect((await running).length + (await queued).length).toBe(3);
});

test("aborting cancels queued requests at once and aborts a batch whose requests are all cancelled", async () => {
  const engine = new FakeEngine(1);
  const s = new Scheduler(engine);
  const a = new AbortController();
  const b = new AbortController();
  const running = s.submit([req(1)], { signal: a.signal });
  const queued = s.submit([req(2)], { signal: b.signal });
  await tick();
  b.abort();
  expect((await queued)[0]!.finishReason).toBe("cancelled");
  expect(s.depth).toBe(0);
  a.abort();
  expect((await running)[0]).toEqual({ tokens: [], logprobs: [], finishReason: "cancelled" });
  expect(engine.calls[0]!.opts.signal!.aborted).toBe(true);
  engine.calls[0]!.release();
});

test("onToken reports each token with its choice index", async () => {
  const engine = new FakeEngine(4);
  const s = new Scheduler(engine);
  const seen: [number, number][] = [];
  const done = s.submit([req(7), req(8)], { onToken: (choice, id) => seen.push([choice, id]) });
  await tick();
  engine.calls[0]!.release();
  await done;
  expect(seen).toEqual([[0, 7], [1, 8]]);
});

test("close finishes in-flight work, then refuses new requests", async () => {
  const engine = new FakeEngine(1);
  const s = new Scheduler(engine);
  const work = s.submit([req(1), req(2)]);
  await tick();
  let closed = false;
  const closing = s.close().then(() => (closed = true));
  expect(() => s.submit([req(3)])).toThrow(SchedulerClosedError);
  engine.calls[0]!.release();
  await tick();
  expect(closed).toBe(false);
  engine.calls[1]!.release();
  await closing;
  expect((await work).length).toBe(2);
});
