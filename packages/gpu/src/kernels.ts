/**
 * WGSL sources and compiled pipelines. Kernels live in the repo's `kernels/` folder, one file per op and
 * pass. A line `// #include NAME` is replaced by kernels/NAME.wgsl, so kernels can share statements that
 * must stay inside their entry points (llvmpipe does not synchronise barriers in helper functions). A
 * source may hold `{{NAME}}` placeholders that the caller fills (`defines`), and `override`
 * constants (tile and workgroup sizes) set at pipeline creation. Pipelines are cached by kernel, entry
 * point, defines and overrides, so each specialisation compiles once per process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GpuError } from "./errors.ts";

export const KERNEL_DIR = join(import.meta.dir, "..", "..", "..", "kernels");

export interface KernelSpec {
  /** File name in kernels/ without `.wgsl`, e.g. "matmul" or "layernorm.backward". */
  kernel: string;
  entry?: string;
  defines?: Record<string, string | number>;
  overrides?: Record<string, number>;
}

const sources = new Map<string, string>();

export function kernelSource(kernel: string): string {
  let src = sources.get(kernel);
  if (src === undefined) {
    const path = join(KERNEL_DIR, `${kernel}.wgsl`);
    try {
      src = readFileSync(path, "utf8");
    } catch {
      throw new GpuError(`kernel '${kernel}' not found: expected the file ${path}`);
    }
    src = src.replace(/^[ \t]*\/\/ #include ([\w.]+)[ \t]*$/gm, (_, name: string) => kernelSource(name));
    sources.set(kernel, src);
  }
  return src;
}

/** Fills `{{NAME}}` placeholders; an unfilled one is an error naming it. */
export function expandTemplate(kernel: string, src: string, defines: Record<string, string | number> = {}): string {
  const out = src.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const v = defines[name];
    if (v === undefined) throw new GpuError(`kernel '${kernel}' needs define '${name}', which the caller did not give`);
    return String(v);
  });
  return out;
}

export function specKey(spec: KernelSpec): string {
  return `${spec.kernel}#${spec.entry ?? "main"}#${JSON.stringify(spec.defines ?? {})}#${JSON.stringify(spec.overrides ?? {})}`;
}

export interface CompiledKernel {
  /** The cache key: kernel, entry point, defines and overrides. */
  key: string;
  pipeline: GPUComputePipeline;
  /** The pipeline's group-0 layout, fetched once: getBindGroupLayout costs microseconds per call. */
  layout: GPUBindGroupLayout;
  label: string;
  /** Resolves to a compile or pipeline error message, or null when the pipeline is valid. */
  check: Promise<string | null>;
  /** Set once the runtime has queued `check` for reporting. */
  reported: boolean;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, CompiledKernel>();
  private readonly modules = new Map<string, GPUShaderModule>();

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(spec: KernelSpec): CompiledKernel {
    const key = specKey(spec);
    const hit = this.pipelines.get(key);
    if (hit) return hit;
    const label = spec.kernel + (spec.entry && spec.entry !== "main" ? `:${spec.entry}` : "");
    const code = expandTemplate(spec.kernel, kernelSource(spec.kernel), spec.defines);
    const moduleKey = `${spec.kernel}#${JSON.stringify(spec.defines ?? {})}`;
    this.device.pushErrorScope("validation");
    let module = this.modules.get(moduleKey);
    if (!module) {
      module = this.device.createShaderModule({ code, label });
      this.modules.set(moduleKey, module);
    }
    const pipeline = this.device.createComputePipeline({
      label,
      layout: "auto",
      compute: { module, entryPoint: spec.entry ?? "main", constants: spec.overrides },
    });
    const layout = pipeline.getBindGroupLayout(0);
    const check = this.device.popErrorScope().then((e) => (e ? e.message : null));
    const compiled = { key, pipeline, layout, label, check, reported: false };
    this.pipelines.set(key, compiled);
    return compiled;
  }
}
