/**
 * The Bun + Dawn lifetime bug: Dawn's instance must outlive every device, yet adapters and devices hold only
 * a raw pointer to it, so if Bun's GC collects the object `create()` returned, the next event tick touches
 * freed memory. device.ts pins it on globalThis; this stress test would crash the process otherwise.
 */
import { expect, test } from "bun:test";
import { axpyInPlace } from "./autograd.ts";
import { initRuntime, runtime } from "./runtime.ts";
import { Tensor } from "./tensor.ts";

test("20,000 dispatch + wait iterations with readbacks, garbage and forced GC", async () => {
  await initRuntime();
  const rt = runtime();
  const x = Tensor.full([64], 1);
  const y = Tensor.zeros([64]);
  let garbage: unknown[] = [];
  for (let i = 1; i <= 20_000; i++) {
    axpyInPlace(y, x);
    if (i % 10 === 0) {
      const v = await y.read();
      expect(v[63]).toBe(i);
    } else await rt.sync();
    garbage.push({ i, data: new Array(32).fill(i) });
    if (i % 100 === 0) {
      garbage = [];
      Bun.gc(true);
    }
  }
}, 120_000);
