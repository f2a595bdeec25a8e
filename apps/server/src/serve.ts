/**
 * Serves an app with Bun.serve and shuts it down gracefully: stop accepting connections, let the schedulers
 * finish queued and running generations (their replies and store writes complete), then close the store.
 */
import type { ServerApp } from "./app.ts";

export interface ServeOptions {
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** 0 picks a free port. Default 8000. */
  port?: number;
}

export interface RunningServer {
  url: URL;
  /** Graceful: in-flight requests finish, then the store closes. */
  stop(): Promise<void>;
}

export function serve(app: ServerApp, opts: ServeOptions = {}): RunningServer {
  const server = Bun.serve({
    hostname: opts.host ?? "127.0.0.1",
    port: opts.port ?? 8000,
    fetch: app.fetch,
    // Streams of a slow model can be quiet for a while between tokens; Bun's default is 10 s.
    idleTimeout: 120,
  });
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    stop() {
      stopping ??= (async () => {
        const closed = server.stop(false); // stop listening; open requests run on
        await app.close();
        await closed;
      })();
      return stopping;
    },
  };
}
