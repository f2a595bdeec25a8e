import { expect, test } from "bun:test";
import { sizeClass } from "./pool.ts";

test("size classes round up by at most 25% and are monotone", () => {
  let prev = 0;
  for (let b = 1; b < 1 << 22; b = Math.ceil(b * 1.07) + 1) {
    const c = sizeClass(b);
    expect(c).toBeGreaterThanOrEqual(b);
    expect(c).toBeGreaterThanOrEqual(prev);
    if (b > 256) expect(c / b).toBeLessThanOrEqual(1.25);
    expect(c % 4).toBe(0);
    prev = c;
  }
  expect(sizeClass(1)).toBe(256);
  expect(sizeClass(1024)).toBe(1024);
  expect(sizeClass(1025)).toBe(1280);
});
