/**
 * Finds a WebGPU adapter and opens the device every kernel runs on.
 *
 * Order: a real GPU through Vulkan; else Mesa's llvmpipe through Dawn's OpenGL ES backend (the CPU path,
 * faster here than lavapipe, see README); else any Vulkan CPU adapter. `FORNO_BACKEND=vulkan|opengles`
 * forces one. Dawn's instance (the object `create()` returns) is created once per process and pinned on
 * `globalThis`: adapters and devices hold a raw pointer to it, and Bun's GC would otherwise free it.
 */
import { dlopen } from "bun:ffi";
import { create, globals } from "webgpu";
import { NoAdapterError } from "./errors.ts";
import { pinLlvmpipeThreads, threadIds } from "./pin.ts";

export type Backend = "vulkan" | "opengles";

export interface GpuInfo {
  backend: Backend;
  /** Adapter description, e.g. "NVIDIA H100" or "llvmpipe (LLVM 15.0.6, 256 bits)". */
  description: string;
  /** True for software adapters (llvmpipe, lavapipe, SwiftShader). */
  isCpu: boolean;
  featureLevel: "core" | "compatibility";
}

export interface OpenedDevice {
  device: GPUDevice;
  info: GpuInfo;
}

interface Pinned {
  instances: Partial<Record<Backend, GPU>>;
}

// GPUBufferUsage, GPUMapMode and friends, which the runtime uses as values.
Object.assign(globalThis, globals);

const PIN = "__fornoDawnInstances";

function instance(backend: Backend): GPU {
  const g = globalThis as unknown as Record<string, Pinned | undefined>;
  const pinned = (g[PIN] ??= { instances: {} });
  const existing = pinned.instances[backend];
  if (existing) return existing;
  const made = create([`backend=${backend}`]);
  pinned.instances[backend] = made;
  return made;
}

function hasVulkanLoader(): boolean {
  try {
    dlopen("libvulkan.so.1", { vkGetInstanceProcAddr: { args: ["ptr", "cstring"], returns: "ptr" } }).close();
    return true;
  } catch {
    return false;
  }
}

const CPU_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe/i;

function describe(adapter: GPUAdapter): string {
  const i = adapter.info;
  return [i.description, i.device, i.vendor, i.architecture].filter((s) => s && s.length > 0).join(" ") || "unknown";
}

async function tryAdapter(backend: Backend): Promise<{ adapter: GPUAdapter; info: GpuInfo } | null> {
  if (backend === "vulkan" && !hasVulkanLoader()) return null;
  if (backend === "opengles" && process.env.EGL_PLATFORM !== "surfaceless" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    // Without a display EGL needs the surfaceless platform, and it must be in the environment at start.
    return null;
  }
  const featureLevel = backend === "opengles" ? "compatibility" : "core";
  const adapter = await instance(backend).requestAdapter({ featureLevel, powerPreference: "high-performance" } as GPURequestAdapterOptions);
  if (!adapter) return null;
  const description = describe(adapter);
  return { adapter, info: { backend, description, isCpu: CPU_ADAPTER.test(description), featureLevel } };
}

/** Limits the kernels rely on: as much as the adapter offers of each. */
function wantedLimits(adapter: GPUAdapter): Record<string, number> {
  const l = adapter.limits;
  return {
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxStorageTexturesPerShaderStage: l.maxStorageTexturesPerShaderStage,
  };
}

function requestedBackend(): Backend | "auto" {
  const v = (process.env.FORNO_BACKEND ?? "auto").toLowerCase();
  if (v === "auto" || v === "vulkan" || v === "opengles") return v;
  throw new Error(`FORNO_BACKEND must be one of auto, vulkan, opengles; got '${v}'`);
}

export async function openDevice(): Promise<OpenedDevice> {
  const wanted = requestedBackend();
  // llvmpipe starts its threads while the adapter is found; see pin.ts.
  const threadsBefore = threadIds();
  const tried: string[] = [];
  let found: { adapter: GPUAdapter; info: GpuInfo } | null = null;
  if (wanted !== "auto") {
    found = await tryAdapter(wanted);
    tried.push(wanted);
  } else {
    const vk = await tryAdapter("vulkan");
    tried.push("vulkan");
    if (vk && !vk.info.isCpu) found = vk;
    else {
      found = await tryAdapter("opengles");
      tried.push("opengles (EGL_PLATFORM=surfaceless)");
      found ??= vk;
    }
  }
  if (!found) throw new NoAdapterError(tried);
  const device = await found.adapter.requestDevice({ requiredLimits: wantedLimits(found.adapter), label: "forno" });
  if (found.info.backend === "opengles" && found.info.isCpu) pinLlvmpipeThreads(threadsBefore);
  return { device, info: found.info };
}
