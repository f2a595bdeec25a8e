/**
 * `bun run bench` in packages/gpu: every GPU benchmark in one process, one after another (the runtime's
 * fixed costs, matmul, attention, norms and elementwise ops, losses and the optimizer).
 */
for (const file of ["runtime", "matmul", "attention", "norm", "loss"]) await import(`./${file}.bench.ts`);
process.exit(0); // Dawn keeps the event loop alive
export {};
