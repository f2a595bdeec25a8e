import { expect, test } from "bun:test";
import { ConfigError, type GenerateOptions, type GenerateRequest, type GenerateResult } from "@forno/model";
import { QueueFullError, SchedulerClosedError } from "./errors.ts";
import { Scheduler, type BatchEngine } from "./scheduler.ts";

/**
 * An engine whose generate calls stay open until the test ends requests (`end(i)`) or the whole call
 * (`release`); `offer(free)` asks the call's `more` for requests as the real engine does when slots free up.
 */
class FakeEngine implements BatchEngine {
  readonly calls: { requests: GenerateRequest[]; opts: GenerateOptions; end(i: number): void; release(): void; offer(free: number): void }[] = [];
  constructor(readonly maxBatch: number) {}
  generate(requests: readonly GenerateRequest[], opts: GenerateOptions = {}): Promise<GenerateResult[]> {
    const all = [...requests];
    const results: GenerateResult[] = [];
    const end = (i: number) => {
      if (results[i]) return;
      const r = all[i]!;
      opts.onToken?.(i, r.prompt[0]!, -1);
      results[i] = { tokens: [r.prompt[0]!], logprobs: [-1], finishReason: r.signal?.aborted ? "cancelled" : "length" };
      opts.onFinish?.(i, results[i]!);
    };
    return new Promise((resolve) => {
      const release = () => {
        all.forEach((_, i) => end(i));
        resolve(results);
      };
      this.calls.push({ requests: all, opts, end, release, offer: (free) => all.push(...(opts.more?.(free) ?? [])) });
    });
  }
}

const req = (id: number): GenerateRequest => ({ prompt: [id], maxTokens: 1 });
const tick = () => new Promise((r) => setTimeout(r, 0));
const ids = (rs: readonly GenerateRequest[]) => rs.map((r) => r.prompt[0]);

test("a call starts with up to maxBatch requests; later ones join it through `more`, and each resolves as it ends", async () => {
  const engine = new FakeEngine(2);
  const s = new Scheduler(engine);
  const first = s.submit([req(1), req(2)]);
  const second = s.submit([req(3)]);
  await tick();
  expect(engine.calls.map((c) => ids(c.requests))).toEqual([[1, 2]]);
  expect(engine.calls[0]!.requests.every((r) => r.logprobs)).toBe(true);
  expect([s.depth, s.runningCount]).toEqual([1, 2]);
  const call = engine.calls[0]!;
  call.end(0);
  expect(s.runningCount).toBe(1);
  call.offer(1); // the engine has a free slot: the queued request joins the running call
  expect(ids(call.requests)).toEqual([1, 2, 3]);
  expect([s.depth, s.runningCount]).toEqual([0, 2]);
  call.end(2);
  expect((await second)[0]!.tokens).toEqual([3]); // resolved while the call still runs
  const late = s.submit([req(4)]);
  call.offer(1);
  call.release();
  expect((await first).map((r) => r.tokens[0])).toEqual([1, 2]);
  expect((await late)[0]!.tokens).toEqual([4]);
  expect(engine.calls.length).toBe(1);
});

test("a request the engine refuses is refused alone at submit, not inside the batch it would join", async () => {
  const engine = Object.assign(new FakeEngine(2), {
    checkRequest(r: GenerateRequest) {
      if (r.prompt[0] === 99) throw new ConfigError("generate: request 0: prompt token ids must be integers in [0, 64)");
    },
  });
  const s = new Scheduler(engine);
  const running = s.submit([req(1)]);
  await tick();
  expect(() => s.submit([req(99)])).toThrow(ConfigError);
  const joined = s.submit([req(2)]);
  engine.calls[0]!.offer(1);
  engine.calls[0]!.release();
  expect((await running)[0]!.finishReason).toBe("length");
  expect((await joined)[0]!.finishReason).toBe("length");
  expect(engine.calls.flatMap((c) => ids(c.requests))).toEqual([1, 2]);
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

test("a request's signal cancels it alone: out of the queue at once, or in the engine while its batch runs", async () => {
  const engine = new FakeEngine(2);
  const s = new Scheduler(engine);
  const a = new AbortController();
  const b = new AbortController();
  const running = s.submit([{ ...req(1), signal: a.signal }, req(2)]);
  const queued = s.submit([{ ...req(3), signal: b.signal }]);
  await tick();
  expect(s.runningCount).toBe(2);
  b.abort();
  expect((await queued)[0]!.finishReason).toBe("cancelled");
  expect(s.depth).toBe(0);
  a.abort();
  const [cancelled, kept] = engine.calls[0]!.requests.map((r) => r.signal!);
  expect([cancelled!.aborted, kept!.aborted]).toEqual([true, false]);
  expect(s.runningCount).toBe(1);
  engine.calls[0]!.release();
  const [r1, r2] = await running;
  expect(r1).toEqual({ tokens: [], logprobs: [], finishReason: "cancelled" });
  expect(r2!.tokens).toEqual([2]);
  expect(engine.calls.length).toBe(1); // the cancelled queued request never reached the engine
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
