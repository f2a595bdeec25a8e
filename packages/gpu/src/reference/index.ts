/**
 * Plain TypeScript references of every kernel, accumulating in float64: the ground truth the kernel
 * tests (and the model's reference forward/backward) compare against. Exported as `@forno/gpu/reference`.
 */
