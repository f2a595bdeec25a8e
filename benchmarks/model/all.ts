/** `bun run bench` in packages/model: training throughput, then generation throughput, in one process. */
for (const file of ["train", "generate"]) await import(`./${file}.bench.ts`);
process.exit(0); // Dawn keeps the event loop alive
export {};
