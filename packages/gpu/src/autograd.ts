/**
 * Reverse-mode autograd. Ops that read a tensor requiring gradients append their output to a tape with a
 * backward closure; `backward(loss)` walks the tape in reverse, calling each closure once. Gradients of
 * leaves (parameters) accumulate into `.grad` across calls until `zeroGrad`, which is how micro-batches
 * accumulate. Backward closures run with recording off, so they never extend the tape.
 */
import { GpuError } from "./errors.ts";
import { bindingChunks, params, runtime } from "./runtime.ts";
import { elementwiseGrid, setRecordHook, Tensor, type GradNode } from "./tensor.ts";

let recording = true;
let tape: Tensor[] = [];

export function isGradEnabled(): boolean {
  return recording;
}

/** Runs `fn` with gradient recording off (inference, evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const was = recording;
  recording = false;
  try {
    const r = fn();
    if (r instanceof Promise) return r.finally(() => (recording = was)) as T;
    recording = was;
    return r;
  } catch (e) {
    recording = was;
    throw e;
  }
}

/**
 * Records `out = op(inputs)` for backward when recording is on and an input needs gradients.
 * `backward` gets d(loss)/d(out) and returns one gradient (or null) per input.
 */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: GradNode["backward"]): Tensor {
  if (!recording || !inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out.node = { op, inputs, backward };
  tape.push(out);
  return out;
}

setRecordHook((t) => {
  if (recording) tape.push(t);
  else {
    t.node = null;
    t.requiresGrad = false;
  }
});

/** y += alpha * x, elementwise, in place. */
export function axpyInPlace(y: Tensor, x: Tensor, alpha = 1): void {
  if (x.size !== y.size) throw new GpuError(`axpy: sizes differ (${x.size} vs ${y.size})`);
  for (const { start, count } of bindingChunks(x.size, 4)) {
    const view = (t: Tensor) => ({ buffer: t.buffer, byteOffset: start * 4, byteLength: count * 4 });
    const g = elementwiseGrid(count);
    runtime().dispatch({ kernel: "axpy", defines: g.defines, bindings: [view(x), view(y)], params: params([g.units], [alpha]), workgroups: g.workgroups });
  }
}

/**
 * Adds `g` into a leaf's `.grad`, which is kept across scopes. The first gradient is adopted as it is when
 * nothing else shares its storage (`owned`), saving a fill and an add per parameter per step.
 */
function accumulateLeaf(leaf: Tensor, g: Tensor, owned: boolean): void {
  if (leaf.grad) return axpyInPlace(leaf.grad, g);
  leaf.grad = (owned ? g : copyOf(g)).keep();
  leaf.grad.name = leaf.name ? `${leaf.name}.grad` : "";
}

/**
 * Backpropagates from `loss` (d loss / d loss = 1, or `gradient` for a non-scalar output) through the
 * tape, then clears the tape.
 */
export function backward(loss: Tensor, gradient?: Tensor): void {
  if (!loss.requiresGrad) throw new GpuError("backward: the loss does not depend on any tensor with requiresGrad = true");
  const grads = new Map<Tensor, Tensor>();
  grads.set(loss, gradient ?? Tensor.full(loss.shape, 1));
  const was = recording;
  recording = false;
  try {
    for (let i = tape.length - 1; i >= 0; i--) {
      const out = tape[i]!;
      const g = grads.get(out);
      if (!g || !out.node || out.isDisposed) continue;
      grads.delete(out);
      const node = out.node;
      const inGrads = node.backward(g);
      let gReused = false;
      const shared = (gi: Tensor) =>
        gi.isView || gi.buffer === g.buffer || inGrads.filter((x) => x?.buffer === gi.buffer).length > 1 || [...grads.values()].some((v) => v.buffer === gi.buffer);
      node.inputs.forEach((input, k) => {
        const gi = inGrads[k];
        if (!gi || !input.requiresGrad) return;
        if (gi.buffer === g.buffer) gReused = true;
        if (!input.node) return accumulateLeaf(input, gi, !shared(gi));
        const prev = grads.get(input);
        if (prev) axpyInPlace(prev, gi.buffer === prev.buffer ? copyOf(gi) : gi); // e.g. add(t, t) hands back gradOut twice
        else grads.set(input, [...grads.values()].some((v) => v.buffer === gi.buffer) ? copyOf(gi) : gi);
      });
      if (!gReused) g.dispose();
    }
  } finally {
    recording = was;
    clearTape();
  }
}

function copyOf(t: Tensor): Tensor {
  const c = Tensor.empty(t.shape);
  runtime().copy(t.buffer, 0, c.buffer, 0, t.byteLength);
  return c;
}

/** Forgets recorded ops (backward does this itself; call it after a forward you will not backprop). */
export function clearTape(): void {
  for (const t of tape) t.node = null;
  tape = [];
}

/** Zeroes (drops) the accumulated gradients of the given parameters. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}
