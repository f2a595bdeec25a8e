/**
 * Typed errors of the GPU runtime. Each message says what was expected, what arrived and a likely fix,
 * so a failure deep inside a training step still points at the op, the kernel and the step.
 */

export class GpuError extends Error {
  override name = "GpuError";
}

/** Two tensors whose shapes do not fit the op; names the op and both shapes. */
export class ShapeError extends GpuError {
  override name = "ShapeError";
  constructor(
    readonly op: string,
    readonly expected: string,
    readonly got: readonly (readonly number[])[],
  ) {
    super(`${op}: shapes do not fit: expected ${expected}, got ${got.map((s) => `[${s.join(", ")}]`).join(" and ")}`);
  }
}

export class DtypeError extends GpuError {
  override name = "DtypeError";
}

/** No WebGPU adapter at all: the message names the Debian packages and the environment variable. */
export class NoAdapterError extends GpuError {
  override name = "NoAdapterError";
  constructor(tried: string[]) {
    super(
      `no WebGPU adapter found (tried: ${tried.join(", ")}).\n` +
        "  For the CPU path install Mesa's EGL/GLES drivers:\n" +
        "    apt-get install -y libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri\n" +
        "  and start the process with EGL_PLATFORM=surfaceless in its environment\n" +
        "  (the package scripts do this; `bash scripts/setup.sh` installs the packages).\n" +
        "  For a real GPU, install its Vulkan driver (libvulkan1 + the vendor ICD).\n" +
        "  FORNO_BACKEND=vulkan|opengles forces a backend.",
    );
  }
}

/** A validation, out-of-memory or internal error reported by WebGPU, with the kernel and step it belongs to. */
export class KernelError extends GpuError {
  override name = "KernelError";
  constructor(
    readonly kernel: string,
    readonly step: string,
    detail: string,
  ) {
    super(`kernel '${kernel}' failed during step '${step}': ${detail}`);
  }
}

export class DeviceLostError extends GpuError {
  override name = "DeviceLostError";
  constructor(reason: string, message: string, step: string) {
    super(`the GPU device was lost (${reason}) during step '${step}': ${message}. Restart the process; ` +
      "on llvmpipe this usually means a kernel ran for too long or ran out of memory.");
  }
}
