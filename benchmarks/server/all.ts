/** `bun run bench` in apps/server: the load benchmark, in one process. */
await import("./load.bench.ts");
process.exit(0); // Dawn keeps the event loop alive
export {};
