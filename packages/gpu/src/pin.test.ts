import { expect, test } from "bun:test";
import { availableParallelism } from "node:os";
import { readdirSync, readFileSync } from "node:fs";
import { pinLlvmpipeThreads, threadIds } from "./pin.ts";
import { initRuntime, runtime } from "./runtime.ts";

const read = (tid: number, file: string) => readFileSync(`/proc/self/task/${tid}/${file}`, "utf8");
const cpusOf = (tid: number) => read(tid, "status").match(/Cpus_allowed_list:\s*(\S+)/)![1]!;

test("llvmpipe's compute threads run one per CPU", async () => {
  await initRuntime();
  const { backend, description } = runtime().info;
  if (process.platform !== "linux" || backend !== "opengles" || !/llvmpipe/i.test(description) || process.env.FORNO_PIN_THREADS === "0" || availableParallelism() < 2) {
    console.log(`skipped: needs llvmpipe through OpenGL ES on Linux with 2+ CPUs (here: ${backend}, ${description})`);
    return;
  }
  const tids = readdirSync("/proc/self/task").map(Number);
  const name = read(process.pid, "comm").trim();
  // The pool's threads carry the process's name; the rasterizer threads are named llvmpipe-N, one per pool thread.
  const workers = tids.filter((t) => t !== process.pid && read(t, "comm").trim() === name);
  const raster = tids.filter((t) => read(t, "comm").startsWith("llvmpipe-"));
  expect(workers.length).toBe(raster.length);
  const cpus = workers.map(cpusOf);
  for (const c of cpus) expect(c).toMatch(/^\d+$/); // exactly one CPU each
  expect(new Set(cpus).size).toBe(Math.min(workers.length, availableParallelism()));
  // The main thread may still run anywhere.
  expect(cpusOf(process.pid)).not.toMatch(/^\d+$/);
});

test("with no new llvmpipe threads nothing is pinned", () => {
  expect(pinLlvmpipeThreads(threadIds())).toBe(0);
  expect(pinLlvmpipeThreads(new Set())).toBe(0);
});
