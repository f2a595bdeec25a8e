import { beforeAll, expect, test } from "bun:test";
import { BindGroupCache } from "./bindcache.ts";
import { initRuntime, params, runtime } from "./runtime.ts";
import { Tensor } from "./tensor.ts";

beforeAll(async () => {
  await initRuntime();
});

test("dispatches with `reuse` build their bind group once per kernel, params and bindings, with the same results", async () => {
  const rt = runtime();
  const [a, b] = [Tensor.zeros([300], "u32"), Tensor.zeros([300], "u32")];
  const fill = (t: Tensor, bits: number) => rt.dispatch({ kernel: "fill", bindings: [t], params: params([300, bits]), workgroups: 2, reuse: true });
  const built = () => rt.stats.bindGroups;
  fill(a, 7);
  const first = built();
  fill(a, 7);
  fill(a, 7);
  expect(built()).toBe(first); // kept
  fill(b, 7); // other binding
  fill(a, 9); // other params
  expect(built()).toBe(first + 2);
  fill(b, 5); // a kept bind group after one that wrote another value: results follow the recorded order
  fill(b, 7);
  expect(Array.from(await a.read())).toEqual(new Array(300).fill(9));
  expect(Array.from(await b.read())).toEqual(new Array(300).fill(7));
  // Without `reuse` every dispatch builds its own.
  const n = built();
  rt.dispatch({ kernel: "fill", bindings: [a], params: params([300, 1]), workgroups: 2 });
  rt.dispatch({ kernel: "fill", bindings: [a], params: params([300, 1]), workgroups: 2 });
  expect(built()).toBe(n + 2);
  expect(Array.from(await a.read())).toEqual(new Array(300).fill(1));
});

test("past its capacity the cache drops the least recently used bind group and retires its params buffer", async () => {
  const rt = runtime();
  const cache = new BindGroupCache(rt.device, 2);
  const t = Tensor.zeros([4], "u32");
  const layout = rt.pipelines.get({ kernel: "fill" }).layout;
  const retired: GPUBuffer[] = [];
  const get = (bits: number) => cache.get("fill", layout, "fill", params([4, bits]), [t], () => [{ binding: 1, resource: { buffer: t.buffer } }], (u) => retired.push(u));
  const g1 = get(1);
  get(2);
  expect(get(1)).toBe(g1); // a hit, and now the most recent
  get(3); // evicts params 2
  expect([cache.size, cache.created, retired.length]).toEqual([2, 3, 1]);
  expect(get(1)).toBe(g1);
  get(2); // rebuilt; evicts 3
  expect([cache.created, retired.length]).toEqual([4, 2]);
  for (const u of retired) u.destroy();
});
