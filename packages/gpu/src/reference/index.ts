/**
 * Plain TypeScript references of every kernel, accumulating in float64: the ground truth the kernel
 * tests (and the model's reference forward/backward) compare against. Exported as `@forno/gpu/reference`,
 * one namespace per op family (e.g. `layernorm.layerNormForward`).
 */
export * as elementwise from "./elementwise.ts";
export * as gelu from "./gelu.ts";
export * as layernorm from "./layernorm.ts";
export * as softmax from "./softmax.ts";
export * as reduce from "./reduce.ts";
export * as attention from "./attention.ts";
export * as crossentropy from "./crossentropy.ts";
export * as embedding from "./embedding.ts";
export * as adamw from "./adamw.ts";
export * as matmul from "./matmul.ts";
export * as logprob from "./logprob.ts";
