/**
 * Streams a generation as server-sent events in OpenAI's framing: one `data: <json>` event per chunk and a
 * final `data: [DONE]`. The generation is queued before the reply starts (so a full queue is still a 429),
 * chunks produced before the stream opens are buffered, and writes are chained so they keep their order.
 * An error after the stream has started can no longer change the status: it is sent as an error event.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { toApiError } from "./error-handler.ts";
import type { Generation } from "./generation.ts";

export interface StreamPlan {
  /** The running generation (started with `send` as its chunk sink). */
  done: Promise<Generation>;
  /** Chunks after the generation: the final chunk per choice, usage; runs before [DONE]. */
  finish(gen: Generation, send: (chunk: object) => void): Promise<void>;
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
      let chain = Promise.resolve();
      const write = (data: string) => {
        chain = chain.then(() => stream.writeSSE({ data }));
      };
      sink.open((chunk) => write(JSON.stringify(chunk)));
      const gen = await plan.done;
      if (gen.cancelled) return;
      await plan.finish(gen, sink.send);
      write("[DONE]");
      await chain;
    },
    async (err, stream) => {
      await stream.writeSSE({ data: JSON.stringify(toApiError(err).body()) });
    },
  );
}
