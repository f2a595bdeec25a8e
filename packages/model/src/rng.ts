/**
 * A small seeded PRNG whose whole state is four uint32 words plus the spare Box–Muller normal, so it can
 * be saved in a checkpoint as JSON and resumed to produce exactly the numbers it would have produced.
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting RNG, PractRand-clean at 2^32 state
 * words), seeded through splitmix32 so nearby seeds give unrelated streams. Not for cryptography.
 */
import { ConfigError } from "./errors.ts";

/** The JSON-serialisable state of an Rng. */
export interface RngState {
  algorithm: "sfc32";
  /** The four uint32 state words a, b, c, d. */
  s: [number, number, number, number];
  /** The second normal of the last Box–Muller pair, not yet returned. */
  spare: number | null;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null;

  private constructor(state: RngState) {
    [this.a, this.b, this.c, this.d] = state.s;
    this.spare = state.spare;
  }

  /** A generator from an integer seed (any safe integer; the low 32 bits and the high bits are both used). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new ConfigError(`RNG seed must be a safe integer, got ${seed}`);
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    const splitmix32 = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    const rng = new Rng({ algorithm: "sfc32", s: [splitmix32(), splitmix32(), splitmix32(), 1], spare: null });
    for (let i = 0; i < 12; i++) rng.uint32(); // sfc32's recommended warm-up
    return rng;
  }

  /** A generator continuing from a saved `state()`; validates the JSON. */
  static fromState(state: RngState): Rng {
    const ok =
      state?.algorithm === "sfc32" &&
      Array.isArray(state.s) &&
      state.s.length === 4 &&
      state.s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) &&
      (state.spare === null || typeof state.spare === "number");
    if (!ok) throw new ConfigError(`invalid RNG state: expected { algorithm: "sfc32", s: [4 uint32], spare: number | null }, got ${JSON.stringify(state)}; pass a value from Rng.state()`);
    return new Rng({ algorithm: "sfc32", s: [...state.s], spare: state.spare });
  }

  state(): RngState {
    return { algorithm: "sfc32", s: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0], spare: this.spare };
  }

  /** Uniform integer in [0, 2^32). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 32 random bits. */
  float(): number {
    return this.uint32() / 2 ** 32;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling), for 1 ≤ n ≤ 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new ConfigError(`Rng.int(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n); // largest multiple of n that fits
    let x = this.uint32();
    while (x >= limit) x = this.uint32();
    return x % n;
  }

  /** Standard normal N(0, 1) by Box–Muller; pairs are generated together and the spare is kept in the state. */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.float(); // (0, 1]: log(u1) is finite
    const u2 = this.float();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
}
