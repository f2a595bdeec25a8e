/**
 * The runtime every op records into: one device, a buffer pool, a pipeline cache and a command recorder.
 *
 * Ops record dispatches into one shared command encoder (inside one open compute pass where possible);
 * nothing is submitted until a readback or an explicit `flush()`, so a whole training step is a handful of
 * submits. Each dispatch's small uniform block goes into a CPU-side arena that is written to the GPU once,
 * just before its submit. WebGPU reports errors asynchronously: they are collected and thrown at the next
 * readback or `sync()`, as a KernelError naming the kernel and the step that was being recorded.
 */
import { BindGroupCache } from "./bindcache.ts";
import { openDevice, type GpuInfo } from "./device.ts";
import { DeviceLostError, GpuError, KernelError } from "./errors.ts";
import { PipelineCache, type KernelSpec } from "./kernels.ts";
import { BufferPool } from "./pool.ts";

/** A byte range of a GPU buffer; Tensor implements it. */
export interface BufferView {
  readonly buffer: GPUBuffer;
  readonly byteOffset?: number;
  readonly byteLength: number;
}

export type Binding = BufferView | GPUTextureView;

export interface Dispatch extends KernelSpec {
  /** Storage buffers and textures at @binding(1), @binding(2), ... of group 0, in this order. */
  bindings: Binding[];
  /** The uniform block at @binding(0): u32 words first, then f32 words (see `params`). */
  params?: Uint32Array;
  workgroups: number | readonly [number, number?, number?];
  /**
   * The same kernel, params and bindings will be dispatched again (e.g. every decode step): keep the bind
   * group (bindcache.ts) instead of building it per call. Leave unset for one-off dispatches.
   */
  reuse?: boolean;
}

/** Packs a uniform block: the u32 fields first, then the f32 fields, in declaration order. */
export function params(u32s: readonly number[], f32s: readonly number[] = []): Uint32Array {
  const words = new Uint32Array(u32s.length + f32s.length);
  words.set(u32s.map((v) => v >>> 0));
  new Float32Array(words.buffer, u32s.length * 4).set(f32s);
  return words;
}

const ARENA_SLOT = 256;
const ARENA_SLOTS = 4096;
export const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const READ_USAGE = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;

/** Time spent in one kernel while profiling (each dispatch submitted and awaited alone). */
export interface KernelTime {
  kernel: string;
  ms: number;
  dispatches: number;
}

export interface RuntimeStats {
  dispatches: number;
  submits: number;
  readbacks: number;
  /** Bind groups built: one per dispatch, except dispatches with `reuse` that found theirs kept. */
  bindGroups: number;
}

function isTextureView(b: Binding): b is GPUTextureView {
  return !("buffer" in b);
}

/** Bind group entries for storage buffers and textures at @binding(1), @binding(2), ... */
function bindingEntries(bindings: readonly Binding[]): GPUBindGroupEntry[] {
  return bindings.map((b, i) => ({
    binding: i + 1,
    resource: isTextureView(b) ? b : { buffer: b.buffer, offset: b.byteOffset ?? 0, size: b.byteLength },
  }));
}

export class Runtime {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  private readonly bindGroups: BindGroupCache;
  readonly stats: RuntimeStats = { dispatches: 0, submits: 0, readbacks: 0, bindGroups: 0 };
  /** Named in errors: set it to what is being recorded, e.g. "pretrain step 12 backward". */
  step = "setup";
  /** When true, every new tensor is filled with NaN first, so an element a kernel forgets to write fails tests. */
  poison = false;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly arena: GPUBuffer;
  private readonly arenaCpu = new Uint8Array(ARENA_SLOT * ARENA_SLOTS);
  private arenaUsed = 0;
  private staging: GPUBuffer[] = [];
  private pending: Promise<GpuError | null>[] = [];
  private errors: GpuError[] = [];
  private lost: GpuError | null = null;
  private lastKernel = "none";
  private profile: Map<string, KernelTime> | null = null;
  private profiled: { kernel: string; commands: GPUCommandBuffer }[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly info: GpuInfo,
  ) {
    this.pool = new BufferPool(device);
    this.pipelines = new PipelineCache(device);
    this.bindGroups = new BindGroupCache(device);
    this.arena = device.createBuffer({ size: this.arenaCpu.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: "uniform arena" });
    device.onuncapturederror = (e: GPUUncapturedErrorEvent) => {
      this.errors.push(new KernelError(this.lastKernel, this.step, e.error.message));
    };
    void device.lost.then((l) => {
      if (l.reason !== "destroyed") this.lost = new DeviceLostError(l.reason, l.message, this.step);
    });
  }

  /** Records one compute dispatch. */
  dispatch(d: Dispatch): void {
    if (this.lost) throw this.lost;
    const compiled = this.pipelines.get(d);
    this.lastKernel = compiled.label;
    if (!compiled.reported) {
      compiled.reported = true;
      this.pending.push(compiled.check.then((m) => (m ? new KernelError(compiled.label, this.step, m) : null)));
    }
    const built = this.bindGroups.created;
    const bindGroup = d.reuse
      ? this.bindGroups.get(compiled.key, compiled.layout, compiled.label, d.params, d.bindings, () => bindingEntries(d.bindings), (b) => this.staging.push(b))
      : this.newBindGroup(compiled, d);
    this.stats.bindGroups += this.bindGroups.created - built;
    const pass = this.computePass();
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = typeof d.workgroups === "number" ? [d.workgroups] : d.workgroups;
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new GpuError(`kernel '${compiled.label}': dispatch of ${x}×${y}×${z} workgroups exceeds the limit of ${maxDim} per dimension; split the work`);
    }
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
    this.stats.dispatches++;
    if (this.profile) {
      this.endPass();
      this.profiled.push({ kernel: compiled.label, commands: this.encoder!.finish() });
      this.encoder = null;
    }
  }

  /** A bind group for one dispatch, its params in this submit's uniform arena. */
  private newBindGroup(compiled: { layout: GPUBindGroupLayout; label: string }, d: Dispatch): GPUBindGroup {
    const entries = bindingEntries(d.bindings);
    if (d.params) {
      if (this.arenaUsed === ARENA_SLOTS * ARENA_SLOT) this.flush();
      const offset = this.arenaUsed;
      const bytes = new Uint8Array(d.params.buffer, d.params.byteOffset, d.params.byteLength);
      this.arenaCpu.set(bytes, offset);
      this.arenaUsed += ARENA_SLOT;
      entries.unshift({ binding: 0, resource: { buffer: this.arena, offset, size: Math.max(16, Math.ceil(bytes.length / 16) * 16) } });
    }
    this.stats.bindGroups++;
    return this.device.createBindGroup({ layout: compiled.layout, entries, label: compiled.label });
  }

  /**
   * Starts timing kernels: from now on each dispatch is its own command buffer, submitted and awaited
   * alone at the next readback or sync(). Slower than normal running; for benchmarks only.
   */
  startProfile(): void {
    this.profile = new Map();
  }

  /** Stops profiling and returns the time per kernel, largest first. */
  async stopProfile(): Promise<KernelTime[]> {
    await this.sync();
    const rows = [...(this.profile?.values() ?? [])].sort((a, b) => b.ms - a.ms);
    this.profile = null;
    return rows;
  }

  private async drainProfiled(): Promise<void> {
    if (!this.profile || (this.profiled.length === 0 && !this.encoder)) return;
    this.endPass();
    if (this.encoder) this.profiled.push({ kernel: "copies", commands: this.encoder.finish() });
    this.encoder = null;
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaCpu, 0, this.arenaUsed);
    this.arenaUsed = 0;
    const queued = this.profiled;
    this.profiled = [];
    for (const { kernel, commands } of queued) {
      const t0 = performance.now();
      this.device.queue.submit([commands]);
      await this.device.queue.onSubmittedWorkDone();
      const row = this.profile.get(kernel) ?? { kernel, ms: 0, dispatches: 0 };
      row.ms += performance.now() - t0;
      row.dispatches++;
      this.profile.set(kernel, row);
      this.stats.submits++;
    }
    for (const st of this.staging) st.destroy();
    this.staging = [];
  }

  /** Copies bytes between buffers, in order with the recorded dispatches. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /**
   * Copies `rows` rows of `width` rgba32float texels from a buffer (rows `width`·16 bytes apart, a multiple
   * of 256) into the top-left of a texture, in order with the recorded dispatches.
   */
  copyToTexture(src: BufferView, texture: GPUTexture, width: number, rows: number): void {
    this.endPass();
    this.commandEncoder().copyBufferToTexture({ buffer: src.buffer, offset: src.byteOffset ?? 0, bytesPerRow: width * 16, rowsPerImage: rows }, { texture }, [width, rows]);
    if (this.profile) {
      this.profiled.push({ kernel: "copyToTexture", commands: this.encoder!.finish() });
      this.encoder = null;
    }
  }

  /** Uploads CPU data into a buffer, ordered after everything recorded so far (unlike queue.writeBuffer). */
  upload(data: ArrayBufferView, dst: GPUBuffer, dstOffset = 0): void {
    const bytes = Math.ceil(data.byteLength / 4) * 4;
    const staging = this.device.createBuffer({ size: Math.max(4, bytes), usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.MAP_WRITE, mappedAtCreation: true });
    new Uint8Array(staging.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    staging.unmap();
    this.staging.push(staging);
    this.copy(staging, 0, dst, dstOffset, bytes);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder && this.profiled.length === 0) return;
    this.endPass();
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaCpu, 0, this.arenaUsed);
    this.arenaUsed = 0;
    const step = this.step;
    this.device.pushErrorScope("out-of-memory");
    this.device.pushErrorScope("validation");
    const commands = this.profiled.map((p) => p.commands);
    this.profiled = [];
    if (this.encoder) commands.push(this.encoder.finish());
    this.device.queue.submit(commands);
    const last = this.lastKernel;
    for (const scope of ["validation", "out-of-memory"]) {
      this.pending.push(this.device.popErrorScope().then((e) => (e ? new KernelError(last, step, `${scope}: ${e.message}`) : null)));
    }
    this.encoder = null;
    this.stats.submits++;
    for (const s of this.staging) s.destroy();
    this.staging = [];
  }

  /** Reads `bytes` bytes of a buffer back to the CPU: flushes, waits, and throws any pending GPU error. */
  async read(src: GPUBuffer, srcOffset: number, bytes: number): Promise<ArrayBuffer> {
    await this.drainProfiled();
    const padded = Math.ceil(bytes / 4) * 4;
    const dst = this.pool.acquire(padded, READ_USAGE, "readback");
    this.copy(src, srcOffset, dst, 0, padded);
    this.flush();
    this.stats.readbacks++;
    try {
      await dst.mapAsync(GPUMapMode.READ, 0, padded);
      const out = dst.getMappedRange(0, padded).slice(0, bytes);
      dst.unmap();
      return out;
    } catch (e) {
      await this.check();
      throw e;
    } finally {
      this.pool.release(dst);
      await this.check();
    }
  }

  /** Submits and waits for the GPU to finish; throws any pending GPU error. */
  async sync(): Promise<void> {
    await this.drainProfiled();
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.check();
  }

  private async check(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    const found = (await Promise.all(pending)).find((e) => e !== null);
    if (found) this.errors.unshift(found);
    if (this.lost) throw this.lost;
    const first = this.errors[0];
    this.errors = [];
    if (first) throw first;
  }

  private commandEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder({ label: this.step }));
  }

  private computePass(): GPUComputePassEncoder {
    return (this.pass ??= this.commandEncoder().beginComputePass());
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}

/**
 * Splits `rows` rows of `rowBytes` bytes each into runs that fit one storage binding and start at a
 * legal binding offset, so tensors over the adapter's binding limit (128 MiB on llvmpipe: logits
 * (1024, 50257) are 206 MB) are processed in a few dispatches. Shared with the embedding and optimizer
 * ops; it belongs in runtime.ts.
 */
export function bindingChunks(rows: number, rowBytes: number): { start: number; count: number }[] {
  const limits = runtime().device.limits;
  const align = limits.minStorageBufferOffsetAlignment;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const rowAlign = align / gcd(align, rowBytes); // rows per chunk must make start · rowBytes a multiple of align
  const perChunk = Math.max(rowAlign, Math.floor(Math.floor(limits.maxStorageBufferBindingSize / rowBytes) / rowAlign) * rowAlign);
  const chunks: { start: number; count: number }[] = [];
  for (let start = 0; start < rows; start += perChunk) chunks.push({ start, count: Math.min(perChunk, rows - start) });
  return chunks;
}

let current: Runtime | null = null;
let opening: Promise<Runtime> | null = null;

/** Opens the device once per process and returns the runtime. */
export function initRuntime(): Promise<Runtime> {
  opening ??= openDevice().then(({ device, info }) => (current = new Runtime(device, info)));
  return opening;
}

/** The runtime, for ops; `await initRuntime()` must have run. */
export function runtime(): Runtime {
  if (!current) throw new GpuError("the GPU runtime is not initialised: call `await initRuntime()` once before using tensors or ops");
  return current;
}
