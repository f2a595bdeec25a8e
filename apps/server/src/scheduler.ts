/**
 * Queues generation requests for one engine and batches them continuously: an `engine.generate` call starts
 * with up to `maxBatch` queued requests, and requests that arrive while it runs join it (the engine's `more`)
 * as soon as sequences finish and free their slots, so nobody waits for a whole batch to end. A completion
 * with `n` choices is n requests. The queue is bounded: `submit` throws QueueFullError when it has no room,
 * and the server answers 429.
 *
 * Cancellation is per request (its `signal`): one that aborts while queued leaves the queue; one that aborts
 * while its batch runs resolves at once with the tokens so far (finishReason "cancelled"), and the engine
 * drops its sequence after the running chunk of decode steps, freeing the slot, while the other requests of the call go on.
 */
import type { Engine, GenerateRequest, GenerateResult, TokenLogprob } from "@forno/model";
import { QueueFullError, SchedulerClosedError } from "./errors.ts";

/** What the scheduler needs of an engine (tests pass a fake). */
export type BatchEngine = Pick<Engine, "generate" | "maxBatch"> & Partial<Pick<Engine, "checkRequest">>;

export interface SchedulerOptions {
  /** Most requests (choices) waiting for a batch; more get QueueFullError. Default 64. */
  queueLimit?: number;
  /** Seconds a refused client is told to wait (Retry-After). Default 1. */
  retryAfterS?: number;
}

export interface SubmitOptions {
  /** Each token as the engine emits it; `choice` indexes the submitted requests; `top` when asked for. */
  onToken?(choice: number, tokenId: number, logprob: number, top?: readonly TokenLogprob[]): void;
}

interface Job {
  req: GenerateRequest;
  choice: number;
  opts: SubmitOptions;
  tokens: number[];
  logprobs: number[];
  /** Aborted when the job is cancelled: the engine's per-request signal. */
  engineAbort: AbortController;
  done: boolean;
  resolve(result: GenerateResult): void;
  reject(err: unknown): void;
}

/** What the engine gets for a job: logprobs always (the store keeps them) and the job's own cancel signal. */
const engineRequest = (j: Job): GenerateRequest => ({ ...j.req, logprobs: true, signal: j.engineAbort.signal });

export class Scheduler {
  readonly queueLimit: number;
  readonly maxBatch: number;
  private readonly retryAfterS: number;
  private queue: Job[] = [];
  private running: Job[] | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly engine: BatchEngine,
    opts: SchedulerOptions = {},
  ) {
    this.queueLimit = opts.queueLimit ?? 64;
    this.maxBatch = engine.maxBatch;
    this.retryAfterS = opts.retryAfterS ?? 1;
  }

  /** Requests waiting for a slot (not counting the running ones). */
  get depth(): number {
    return this.queue.length;
  }

  /** Requests in the engine that have not finished. */
  get runningCount(): number {
    return this.running?.filter((j) => !j.done).length ?? 0;
  }

  /**
   * Queues the requests (one per choice); the promise resolves with their results in order. A request's
   * `signal` cancels it alone (a client that went away, a choice whose text has stopped). Throws at once
   * (not through the promise) when closed or full, so a streaming reply can still answer with a status.
   */
  submit(requests: readonly GenerateRequest[], opts: SubmitOptions = {}): Promise<GenerateResult[]> {
    if (this.closed) throw new SchedulerClosedError("the scheduler is closed");
    if (this.queue.length + requests.length > this.queueLimit) {
      throw new QueueFullError(
        `the server is busy: ${this.queue.length} requests are queued (limit ${this.queueLimit}) and this one needs ${requests.length}; retry after ${this.retryAfterS} s`,
        this.retryAfterS,
      );
    }
    requests.forEach((req, choice) => this.engine.checkRequest?.(req, choice));
    const jobs = requests.map((req, choice) => this.enqueue(req, choice, opts));
    for (const { job } of jobs) {
      if (job.req.signal?.aborted) this.cancel(job);
      else job.req.signal?.addEventListener("abort", () => this.cancel(job), { once: true });
    }
    this.pump();
    return Promise.all(jobs.map((j) => j.result));
  }

  /** Refuses new requests and resolves once the queued and running ones have finished. */
  close(): Promise<void> {
    this.closed = true;
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(req: GenerateRequest, choice: number, opts: SubmitOptions): { job: Job; result: Promise<GenerateResult> } {
    let job!: Job;
    const result = new Promise<GenerateResult>((resolve, reject) => {
      job = { req, choice, opts, tokens: [], logprobs: [], engineAbort: new AbortController(), done: false, resolve, reject };
    });
    this.queue.push(job);
    return { job, result };
  }

  private cancel(job: Job): void {
    if (job.done) return;
    job.done = true;
    job.engineAbort.abort();
    this.queue = this.queue.filter((j) => j !== job);
    job.resolve({ tokens: job.tokens, logprobs: job.logprobs, finishReason: "cancelled" });
    this.settleIfIdle();
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return this.settleIfIdle();
    // Grows as `more` hands the engine queued requests; the engine's seqIndex indexes it.
    const batch = this.queue.splice(0, this.maxBatch);
    this.running = batch;
    const more = (free: number) => {
      const jobs = this.queue.splice(0, free);
      batch.push(...jobs);
      return jobs.map(engineRequest);
    };
    // Each request resolves as it ends: in a call kept going by `more`, that is long before the call does.
    const onFinish = (i: number, result: GenerateResult) => this.finish(batch[i]!, () => batch[i]!.resolve(result));
    const onToken = (i: number, tokenId: number, logprob: number, top?: readonly TokenLogprob[]) => {
      const job = batch[i]!;
      if (job.done) return;
      job.tokens.push(tokenId);
      job.logprobs.push(logprob);
      job.opts.onToken?.(job.choice, tokenId, logprob, top);
    };
    Promise.resolve()
      .then(() => this.engine.generate(batch.map(engineRequest), { onToken, onFinish, more }))
      .then(
        (results) => batch.forEach((job, i) => this.finish(job, () => job.resolve(results[i]!))),
        (err) => batch.forEach((job) => this.finish(job, () => job.reject(err))),
      )
      .finally(() => {
        this.running = null;
        this.pump();
      });
  }

  private finish(job: Job, settle: () => void): void {
    if (job.done) return;
    job.done = true;
    settle();
  }

  private settleIfIdle(): void {
    if (!this.closed || this.running || this.queue.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
