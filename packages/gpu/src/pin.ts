/**
 * Pins llvmpipe's compute threads one per CPU (Linux).
 *
 * llvmpipe runs a dispatch's workgroups on a pool of threads (one per CPU by default) and wakes them all at
 * once for each dispatch. Left to the scheduler, two of them are often queued on the same CPU (by all
 * signs): in a C model of that handoff on the development machine (2 vCPUs; two threads woken together,
 * 300 µs of work each), the later thread started within 11 µs at the median but 347 µs late at the 90th
 * percentile, i.e. after the other had finished, so the dispatch took twice as long. With each thread
 * pinned to its own CPU the 90th percentile was 12 µs. Batch-16 decoding, whose fused blocks are two
 * workgroups, had one llvmpipe thread running alone 21% of the time.
 *
 * The pool's threads carry no name of their own (they inherit the process's), so they are recognised as
 * the threads that appeared while the device was opened with the main thread's name, as many as llvmpipe's
 * named rasterizer threads ("llvmpipe-0", …) that appeared with them. Anything else, or any failure, pins
 * nothing. `FORNO_PIN_THREADS=0` turns it off.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";

/** Thread ids of this process now (empty where /proc is missing). */
export function threadIds(): Set<number> {
  try {
    return new Set(readdirSync("/proc/self/task").map(Number));
  } catch {
    return new Set();
  }
}

function comm(tid: number): string {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

const MASK_BYTES = 128; // cpu_set_t: 1024 CPUs

/**
 * Pins the llvmpipe compute threads that started after `before` was taken, the i-th (by thread id) to the
 * i-th CPU this process may run on (round robin). Returns how many it pinned (0 when it found none or
 * gave up).
 */
export function pinLlvmpipeThreads(before: Set<number>): number {
  if (process.platform !== "linux" || process.env.FORNO_PIN_THREADS === "0" || before.size === 0) return 0;
  try {
    const fresh = [...threadIds()].filter((t) => !before.has(t)).sort((a, b) => a - b);
    const raster = fresh.filter((t) => comm(t).startsWith("llvmpipe-"));
    const mainName = comm(process.pid);
    const workers = fresh.filter((t) => comm(t) === mainName);
    if (raster.length === 0 || workers.length !== raster.length) return 0;
    const libc = dlopen("libc.so.6", {
      sched_getaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
      sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
    });
    try {
      const allowed = new Uint8Array(MASK_BYTES);
      if (libc.symbols.sched_getaffinity(0, MASK_BYTES, ptr(allowed)) !== 0) return 0;
      const cpus: number[] = [];
      for (let c = 0; c < MASK_BYTES * 8; c++) if (allowed[c >> 3]! & (1 << (c & 7))) cpus.push(c);
      if (cpus.length < 2) return 0;
      let pinned = 0;
      for (const [i, tid] of workers.entries()) {
        const cpu = cpus[i % cpus.length]!;
        const mask = new Uint8Array(MASK_BYTES);
        mask[cpu >> 3] = 1 << (cpu & 7);
        if (libc.symbols.sched_setaffinity(tid, MASK_BYTES, ptr(mask)) === 0) pinned++;
      }
      return pinned;
    } finally {
      libc.close();
    }
  } catch {
    return 0;
  }
}
