import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expandTemplate, KERNEL_DIR, kernelSource } from "./kernels.ts";

test("a `// #include NAME` line becomes kernels/NAME.wgsl, in every kernel that has it", () => {
  const tail = readFileSync(join(KERNEL_DIR, "kvcache.mlp.tail.wgsl"), "utf8");
  for (const kernel of ["kvcache.mlp", "kvcache.rows"]) {
    const src = kernelSource(kernel);
    expect(src).not.toContain("#include");
    expect(src).toContain(tail);
  }
});

test("an unfilled placeholder names the kernel and the define", () => {
  expect(() => expandTemplate("k", "const R = {{R}}u;", {})).toThrow("kernel 'k' needs define 'R'");
  expect(expandTemplate("k", "const R = {{R}}u;", { R: 8 })).toBe("const R = 8u;");
});
