import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expandTemplate, KERNEL_DIR, kernelSource } from "./kernels.ts";

test("a `// #include NAME` line becomes kernels/NAME.wgsl, in every kernel that has it, included files too", () => {
  const read = (name: string) => readFileSync(join(KERNEL_DIR, `${name}.wgsl`), "utf8");
  const [tail, stats] = [read("kvcache.mlp.tail"), read("kvcache.rowstats")];
  // The tail includes the statistics: expanded, it is its text with that line replaced by them.
  const includeLine = "  // #include kvcache.rowstats";
  expect(tail).toContain(includeLine);
  const expandedTail = tail.replace(includeLine, stats);
  expect(kernelSource("kvcache.mlp.tail")).toBe(expandedTail);
  for (const kernel of ["kvcache.mlp", "kvcache.rows"]) {
    const src = kernelSource(kernel);
    expect(src).not.toContain("#include");
    expect(src).toContain(expandedTail);
  }
  // kvcache.rows has the statistics twice: ln_1 in a block of its own, ln_2 through the tail.
  expect(kernelSource("kvcache.rows").split(stats).length - 1).toBe(2);
});

test("an unfilled placeholder names the kernel and the define", () => {
  expect(() => expandTemplate("k", "const R = {{R}}u;", {})).toThrow("kernel 'k' needs define 'R'");
  expect(expandTemplate("k", "const R = {{R}}u;", { R: 8 })).toBe("const R = 8u;");
});
