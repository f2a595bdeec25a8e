/**
 * Bind groups kept for dispatches that recur with the same kernel, params and bindings: a decode step
 * records the same dispatches for every token, and on Dawn building a bind group costs more than recording
 * the dispatch itself (tens of µs for a kernel with ten bindings on the OpenGL ES backend). The params of a
 * kept bind group live in a small uniform buffer of their own, since the runtime's per-submit arena would
 * give every call another binding. Past `capacity` entries the least recently used goes; its uniform
 * buffer is handed to `retire`, for the runtime to destroy once the commands that may use it are submitted.
 * Which dispatches recur is the caller's knowledge (Dispatch.reuse); this module only remembers.
 */
import type { Binding } from "./runtime.ts";

interface Kept {
  group: GPUBindGroup;
  uniform: GPUBuffer | null;
}

export class BindGroupCache {
  private readonly kept = new Map<string, Kept>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  /** Bind groups built so far (hits build none). */
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly capacity = 512,
  ) {}

  /**
   * The bind group for `kernelKey` with these params at @binding(0) and `entries` from @binding(1) on,
   * built on first use from `entries` (the bindings' entries); `retire` receives evicted uniform buffers.
   */
  get(kernelKey: string, layout: GPUBindGroupLayout, label: string, params: Uint32Array | undefined, bindings: readonly Binding[], entries: () => GPUBindGroupEntry[], retire: (b: GPUBuffer) => void): GPUBindGroup {
    const key = `${kernelKey}|${params ? params.join(",") : ""}|${bindings.map((b) => this.bindingKey(b)).join(";")}`;
    const hit = this.kept.get(key);
    if (hit) {
      // Re-inserting moves the entry to the back: the Map's order is the recency order.
      this.kept.delete(key);
      this.kept.set(key, hit);
      return hit.group;
    }
    let uniform: GPUBuffer | null = null;
    const all = entries();
    if (params) {
      uniform = this.device.createBuffer({ size: Math.max(16, Math.ceil(params.byteLength / 16) * 16), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: `${label} params` });
      this.device.queue.writeBuffer(uniform, 0, params);
      all.unshift({ binding: 0, resource: { buffer: uniform } });
    }
    const group = this.device.createBindGroup({ layout, entries: all, label });
    this.created++;
    this.kept.set(key, { group, uniform });
    if (this.kept.size > this.capacity) {
      const [oldest, entry] = this.kept.entries().next().value as [string, Kept];
      this.kept.delete(oldest);
      if (entry.uniform) retire(entry.uniform);
    }
    return group;
  }

  get size(): number {
    return this.kept.size;
  }

  private bindingKey(b: Binding): string {
    if (!("buffer" in b)) return `t${this.id(b)}`;
    return `${this.id(b.buffer)}:${b.byteOffset ?? 0}:${b.byteLength}`;
  }

  private id(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, (id = this.nextId++));
    return id;
  }
}
