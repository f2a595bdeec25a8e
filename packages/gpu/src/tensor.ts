/**
 * Tensor: a shape, a dtype and GPU storage from the buffer pool. Data reaches the CPU only through the
 * explicit, async `read()`; nothing else in the runtime reads back. Memory is returned to the pool by
 * `dispose()`, or in bulk by `scope()`, which disposes every tensor created inside it that was not
 * returned or kept (training steps run inside one).
 */
import { DtypeError, GpuError, ShapeError } from "./errors.ts";
import { bindingChunks, runtime, STORAGE_USAGE, type BufferView } from "./runtime.ts";

export type Dtype = "f32" | "i32" | "u32";
export type TypedArrayOf<D extends Dtype> = D extends "f32" ? Float32Array : D extends "i32" ? Int32Array : Uint32Array;

/** The autograd record of the op that made a tensor. */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  /** Given d(loss)/d(output), returns d(loss)/d(input) for each input (null where none is needed). */
  backward: (gradOut: Tensor) => (Tensor | null)[];
}

const scopes: Set<Tensor>[] = [];

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(shape: readonly number[]): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new GpuError(`invalid shape [${shape.join(", ")}]: dimensions must be integers ≥ 0`);
}

/**
 * How an elementwise kernel (E = its element type) covers n f32s: as n / 4 vec4s when n and every other
 * size it indexes by (a broadcast operand's) are multiples of 4, else as n f32s. llvmpipe pays per load and
 * store instruction, not per byte, so a vec4 costs about what an f32 does: GELU at (2048, 512) took 2.4
 * CPU-ms as vec4s against 5.0 as f32s.
 */
export function elementwiseGrid(n: number, ...sizes: number[]): { defines: { E: "vec4f" | "f32" }; units: number; scale: number; workgroups: [number, number] } {
  const vec4 = [n, ...sizes].every((s) => s % 4 === 0);
  const scale = vec4 ? 4 : 1;
  return { defines: { E: vec4 ? "vec4f" : "f32" }, units: n / scale, scale, workgroups: linearGrid(n / scale) };
}

/** A 1-D launch of `n` threads in workgroups of `wg`, wrapped into y beyond 65,535 workgroups. */
export function linearGrid(n: number, wg = 256): [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  return groups <= 65535 ? [groups, 1] : [65535, Math.ceil(groups / 65535)];
}

export class Tensor implements BufferView {
  readonly size: number;
  requiresGrad = false;
  grad: Tensor | null = null;
  node: GradNode | null = null;
  /** Optional name, used in error messages and checkpoints. */
  name = "";
  private disposed = false;

  private constructor(
    readonly shape: readonly number[],
    readonly dtype: Dtype,
    private readonly storage: GPUBuffer,
    /** Views share their base's storage and never return it to the pool. */
    private readonly base: Tensor | null,
  ) {
    this.size = numel(shape);
    scopes.at(-1)?.add(this);
  }

  get buffer(): GPUBuffer {
    if (this.disposed || this.base?.disposed) throw new GpuError(`tensor${this.name ? ` '${this.name}'` : ""} [${this.shape.join(", ")}] was used after dispose()`);
    return this.storage;
  }

  get byteLength(): number {
    return Math.max(4, this.size * 4);
  }

  /** True for a reshape view, which shares its base's storage. */
  get isView(): boolean {
    return this.base !== null;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** An uninitialised tensor (NaN-filled when the runtime's poison mode is on). */
  static empty(shape: readonly number[], dtype: Dtype = "f32"): Tensor {
    checkShape(shape);
    const rt = runtime();
    const t = new Tensor([...shape], dtype, rt.pool.acquire(Math.max(4, numel(shape) * 4), STORAGE_USAGE), null);
    if (rt.poison) t.fillBits(0x7fc00000);
    return t;
  }

  static full(shape: readonly number[], value: number, dtype: Dtype = "f32"): Tensor {
    const t = Tensor.empty(shape, dtype);
    const bits = new Uint32Array(1);
    if (dtype === "f32") new Float32Array(bits.buffer)[0] = value;
    else if (dtype === "i32") new Int32Array(bits.buffer)[0] = value;
    else bits[0] = value;
    t.fillBits(bits[0]);
    return t;
  }

  static zeros(shape: readonly number[], dtype: Dtype = "f32"): Tensor {
    return Tensor.full(shape, 0, dtype);
  }

  /** A tensor holding a copy of `data`; the dtype follows the array type (plain arrays are f32). */
  static from(data: Float32Array | Int32Array | Uint32Array | readonly number[], shape?: readonly number[]): Tensor {
    const arr = Array.isArray(data) ? new Float32Array(data) : (data as Float32Array | Int32Array | Uint32Array);
    const dtype: Dtype = arr instanceof Int32Array ? "i32" : arr instanceof Uint32Array ? "u32" : "f32";
    const s = shape ?? [arr.length];
    if (numel(s) !== arr.length) throw new ShapeError("Tensor.from", `${arr.length} elements`, [s]);
    const t = Tensor.empty(s, dtype);
    if (arr.length > 0) runtime().upload(arr, t.buffer);
    return t;
  }

  /** The same storage under another shape with as many elements (no copy). */
  reshape(shape: readonly number[]): Tensor {
    const s = [...shape];
    const infer = s.indexOf(-1);
    if (infer >= 0) s[infer] = this.size / numel(s.filter((_, i) => i !== infer));
    if (numel(s) !== this.size) throw new ShapeError("reshape", `${this.size} elements`, [this.shape, s]);
    const v = new Tensor(s, this.dtype, this.buffer, this.base ?? this);
    v.requiresGrad = this.requiresGrad;
    if (this.requiresGrad) {
      v.node = { op: "reshape", inputs: [this], backward: (g) => [g.reshape(this.shape)] };
      recordHook?.(v);
    }
    return v;
  }

  /** Copies the data back to the CPU. The only way data leaves the GPU. */
  async read(): Promise<TypedArrayOf<Dtype>> {
    const bytes = await runtime().read(this.buffer, 0, this.size * 4);
    if (this.dtype === "f32") return new Float32Array(bytes);
    if (this.dtype === "i32") return new Int32Array(bytes);
    return new Uint32Array(bytes);
  }

  /** Reads a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new ShapeError("item", "one element", [this.shape]);
    return (await this.read())[0]!;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.base) runtime().pool.release(this.storage);
    this.grad?.dispose();
    this.grad = null;
    this.node = null;
  }

  /** Keeps this tensor alive past the enclosing scope. */
  keep(): this {
    for (const s of scopes) s.delete(this);
    return this;
  }

  assertDtype(op: string, dtype: Dtype): void {
    if (this.dtype !== dtype) throw new DtypeError(`${op}: expected a ${dtype} tensor, got ${this.dtype} [${this.shape.join(", ")}]`);
  }

  private fillBits(bits: number): void {
    for (const { start, count } of bindingChunks(this.size, 4)) {
      const view = { buffer: this.buffer, byteOffset: start * 4, byteLength: count * 4 };
      runtime().dispatch({ kernel: "fill", bindings: [view], params: new Uint32Array([count, bits]), workgroups: linearGrid(count) });
    }
  }
}

/** Set by the autograd module so views join the tape (kept here to avoid an import cycle). */
let recordHook: ((t: Tensor) => void) | null = null;
export function setRecordHook(hook: (t: Tensor) => void): void {
  recordHook = hook;
}

function disposeAllBut(created: Set<Tensor>, result: unknown): void {
  const keep = new Set<Tensor>();
  const visit = (v: unknown): void => {
    if (v instanceof Tensor) keep.add(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(visit);
  };
  visit(result);
  for (const t of created) {
    if (keep.has(t)) scopes.at(-1)?.add(t);
    else t.dispose();
  }
}

/**
 * Runs `fn` and disposes every tensor it created, except those in its result (tensors, arrays or plain
 * objects of them) and those marked with `keep()`. Works with async functions run one at a time.
 */
export function scope<T>(fn: () => T): T {
  const created = new Set<Tensor>();
  scopes.push(created);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    disposeAllBut(created, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        scopes.splice(scopes.lastIndexOf(created), 1);
        disposeAllBut(created, v);
        return v;
      },
      (e) => {
        scopes.splice(scopes.lastIndexOf(created), 1);
        disposeAllBut(created, undefined);
        throw e;
      },
    ) as T;
  }
  scopes.pop();
  disposeAllBut(created, result);
  return result;
}
