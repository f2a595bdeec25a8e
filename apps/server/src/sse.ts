/**
 * Streams a generation as server-sent events in OpenAI's framing: one `data: <json>` event per chunk and a
 * final `data: [DONE]`. The generation is queued before the reply starts (so a full queue is still a 429),
 * chunks produced before the stream opens are buffered, and writes are chained so they keep their order.
 * An error after the stream has started can no longer change the status: it is sent as an error event.
 * A client that closes the stream cancels the request (`cancel`), as one that drops the connection does.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { toApiError } from "./error-handler.ts";
import type { Outcome } from "./run.ts";

export interface StreamPlan {
  /** The running request (started with the sink's `send` for its chunks), stored when it resolves. */
  done: Promise<Outcome>;
  /** Chunks after the generation: the final chunk per choice, usage; sent before [DONE]. */
  finish(outcome: Outcome, send: (chunk: object) => void): void;
  /** Called when the client closes the stream before the end. */
  cancel(): void;
}

/** A controller that aborts when the client's request does (it went away) or when a route aborts it. */
export function clientSignal(c: Context): AbortController {
  const ctl = new AbortController();
  const req = c.req.raw.signal;
  if (req.aborted) ctl.abort();
  else req.addEventListener("abort", () => ctl.abort(), { once: true });
  return ctl;
}

export class ChunkSink {
  private buffered: object[] = [];
  private write: ((chunk: object) => void) | null = null;

  readonly send = (chunk: object): void => {
    if (this.write) this.write(chunk);
    else this.buffered.push(chunk);
  };

  open(write: (chunk: object) => void): void {
    this.write = write;
    for (const chunk of this.buffered.splice(0)) write(chunk);
  }
}

export function streamReply(c: Context, sink: ChunkSink, plan: StreamPlan): Response {
  plan.done.catch(() => undefined); // awaited inside the stream; this only marks the rejection as handled
  return streamSSE(
    c,
    async (stream) => {
      stream.onAbort(plan.cancel);
      let chain = Promise.resolve();
      const write = (data: string) => {
        chain = chain.then(() => stream.writeSSE({ data }));
      };
      sink.open((chunk) => write(JSON.stringify(chunk)));
      const outcome = await plan.done;
      if (outcome.cancelled) return;
      plan.finish(outcome, sink.send);
      write("[DONE]");
      await chain;
    },
    async (err, stream) => {
      await stream.writeSSE({ data: JSON.stringify(toApiError(err).body()) });
    },
  );
}
