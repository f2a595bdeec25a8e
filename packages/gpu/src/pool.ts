/**
 * Reuses GPU buffers by size class and usage, so a training step allocates nothing after its first run.
 * Size classes are four per octave (≤ 25% slack). A released buffer may still be read by commands recorded
 * but not yet submitted: that is safe because one queue runs everything in order, so whatever is written
 * into the buffer by its next owner is written after those reads.
 */

const MIN_BYTES = 256;

/** Bytes rounded up to the pool's size class: 2^k × {1, 1.25, 1.5, 1.75}. */
export function sizeClass(bytes: number): number {
  const b = Math.max(MIN_BYTES, bytes);
  const octave = 2 ** Math.floor(Math.log2(b));
  const step = octave / 4;
  return Math.ceil(b / step) * step;
}

export interface PoolStats {
  /** Bytes held by the pool, in use or free. */
  allocatedBytes: number;
  inUseBytes: number;
  hits: number;
  misses: number;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  readonly stats: PoolStats = { allocatedBytes: 0, inUseBytes: 0, hits: 0, misses: 0 };

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, usage: GPUBufferUsageFlags, label?: string): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(`${usage}:${size}`);
    const reused = list?.pop();
    this.stats.inUseBytes += size;
    if (reused) {
      this.stats.hits++;
      return reused;
    }
    this.stats.misses++;
    this.stats.allocatedBytes += size;
    return this.device.createBuffer({ size, usage, label });
  }

  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.stats.inUseBytes -= buffer.size;
  }

  /** Destroys every free buffer (buffers in use stay). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.stats.allocatedBytes -= b.size;
        b.destroy();
      }
    }
    this.free.clear();
  }
}
