/** @forno/gpu — the WGSL kernel runtime: device, tensors, ops, autograd, optimizers. */
export { openDevice, type Backend, type GpuInfo } from "./device.ts";
export { GpuError, ShapeError, DtypeError, NoAdapterError, KernelError, DeviceLostError } from "./errors.ts";
export { initRuntime, runtime, params, Runtime, type Dispatch, type Binding, type BufferView, type RuntimeStats } from "./runtime.ts";
export { randn, randint, rng } from "./random.ts";
export { Tensor, scope, numel, linearGrid, type Dtype, type GradNode } from "./tensor.ts";
export { backward, noGrad, record, zeroGrad, clearTape, isGradEnabled, axpyInPlace } from "./autograd.ts";
export { add, mul, scale, addForward, addBackward, mulForward, mulBackward, scaleForward, scaleBackward } from "./ops/elementwise.ts";
export { gelu, geluForward, geluBackward } from "./ops/gelu.ts";
export { layerNorm, layerNormForward, layerNormBackward, type LayerNormSaved } from "./ops/layernorm.ts";
export { softmax, softmaxForward, softmaxBackward } from "./ops/softmax.ts";
export { sum, mean, sumForward, sumBackward, meanForward, meanBackward, sumRows } from "./ops/reduce.ts";
export { attention, attentionForward, attentionBackward, type AttentionForward } from "./ops/attention.ts";
export { crossEntropy, crossEntropyForward, crossEntropyBackward, crossEntropyPerToken, type CrossEntropySaved } from "./ops/crossentropy.ts";
export { embedding, embeddingForward, embeddingBackward } from "./ops/embedding.ts";
export { AdamW, type AdamWOptions, type AdamWStepOptions, type AdamWState } from "./optim/adamw.ts";
export { clipGradNorm, type GradNorm } from "./optim/clip.ts";
export { matmul, matmulForward, matmulBackward, matmulDispatch, defaultVariant, columnSum, type MatmulVariant, type MatmulOptions, type MatmulProblem } from "./ops/matmul.ts";
export { linear, linearForward, linearBackward } from "./ops/linear.ts";
