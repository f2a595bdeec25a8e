import { describe, expect, test } from "bun:test";
import { ConfigError } from "./errors.ts";
import { Rng, type RngState } from "./rng.ts";

const draw = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.normal());

describe("Rng", () => {
  test("same seed gives the same numbers; different seeds differ", () => {
    expect(draw(Rng.fromSeed(42), 10)).toEqual(draw(Rng.fromSeed(42), 10));
    expect(draw(Rng.fromSeed(42), 10)).not.toEqual(draw(Rng.fromSeed(43), 10));
    expect(Rng.fromSeed(2 ** 40).uint32()).not.toBe(Rng.fromSeed(0).uint32());
  });

  test("a JSON round trip of state() resumes exactly, including the spare Box–Muller normal", () => {
    const rng = Rng.fromSeed(7);
    rng.normal(); // leaves a spare
    const saved = JSON.parse(JSON.stringify(rng.state())) as RngState;
    expect(saved.spare).not.toBeNull();
    const expected = [...draw(rng, 5), rng.int(1000), rng.float()];
    const resumed = Rng.fromState(saved);
    expect([...draw(resumed, 5), resumed.int(1000), resumed.float()]).toEqual(expected);
  });

  test("int(n) stays in [0, n) and hits every value; float in [0, 1)", () => {
    const rng = Rng.fromSeed(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const k = rng.int(7);
      expect(k >= 0 && k < 7 && Number.isInteger(k)).toBe(true);
      seen.add(k);
      const f = rng.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(seen.size).toBe(7);
    expect(() => rng.int(0)).toThrow("Rng.int(n) needs an integer 1 ≤ n ≤ 2^32, got 0");
  });

  test("normal() has mean ≈ 0 and std ≈ 1", () => {
    const xs = draw(Rng.fromSeed(3), 100_000);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
  });

  test("fromState rejects a malformed state", () => {
    const bad = { algorithm: "sfc32", s: [1, 2, 3], spare: null } as unknown as RngState;
    expect(() => Rng.fromState(bad)).toThrow(ConfigError);
    expect(() => Rng.fromState(bad)).toThrow('invalid RNG state: expected { algorithm: "sfc32", s: [4 uint32], spare: number | null }, got {"algorithm":"sfc32","s":[1,2,3],"spare":null}; pass a value from Rng.state()');
  });
});
