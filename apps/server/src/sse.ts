/**
 * Streams a generation as server-sent events in OpenAI's framing: one `data: <json>` event per chunk and a
 * final `data: [DONE]`. The generation is queued before the reply starts (so a full queue is still a 429),
 * and chunks produced before the stream opens are buffered. Chunks go straight into the response body's
 * queue, with no stream stages between, and the closing chunks (finish reasons, usage, [DONE]) go out as
 * one write, so the client wakes once for them: at one client the server's per-request work is on the
 * critical path with the engine's (benchmarks/server/load.bench.ts). An error after the stream has started
 * can no longer change the status: it is sent as an error event. A client that closes the stream cancels
 * the request (`cancel`), as one that drops the connection does. The stream tells the metrics when it has
 * ended (`streamEnded`).
 */
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
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

const encoder = new TextEncoder();

/** SSE events of payloads that hold no line breaks (JSON.stringify writes none), as one write. */
const events = (payloads: readonly string[]) => encoder.encode(payloads.map((p) => `data: ${p}\n\n`).join(""));

export function streamReply(c: Context<AppEnv>, sink: ChunkSink, plan: StreamPlan): Response {
  const ended = c.get("streamEnded");
  let open = true;
  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      // The body can be torn down under us (the client went away; its signal cancels the request): the
      // stream then throws on use, and there is nobody left to write to.
      const use = (step: () => void) => {
        if (!open) return;
        try {
          step();
        } catch {
          open = false;
        }
      };
      const write = (payloads: readonly string[]) => use(() => ctl.enqueue(events(payloads)));
      sink.open((chunk) => write([JSON.stringify(chunk)]));
      const end = async () => {
        try {
          const outcome = await plan.done;
          if (outcome.cancelled) return;
          const last: string[] = [];
          plan.finish(outcome, (chunk) => last.push(JSON.stringify(chunk)));
          write([...last, "[DONE]"]);
        } catch (err) {
          write([JSON.stringify(toApiError(err).body())]);
        } finally {
          use(() => ctl.close());
          open = false;
          ended?.();
        }
      };
      void end();
    },
    cancel() {
      open = false;
      plan.cancel();
      ended?.();
    },
  });
  return c.body(body, 200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
}
