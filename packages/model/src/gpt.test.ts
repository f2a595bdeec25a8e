import { beforeAll, expect, test } from "bun:test";
import { AdamW, backward, initRuntime, runtime, scope, Tensor, zeroGrad } from "@forno/gpu";
import { expectClose, randint, randn } from "@forno/gpu/testing";
import { makeConfig, paramShapes } from "./config.ts";
import { GPT } from "./gpt.ts";
import { gptReference } from "./gpt-reference.ts";
import { initParams } from "./init.ts";

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

const config = makeConfig("tiny", { vocabSize: 37, contextLength: 8, nLayer: 2, nHead: 2, nEmbd: 16 });
const B = 2;
const T = 5;

/** Random weights larger than GPT-2's init, so every path carries signal the comparison can see. */
function randomParams(seed: number): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  paramShapes(config).forEach(({ name, shape }, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = randn(n, seed + i, 0.3);
    if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name === "ln_f.weight") data.forEach((v, j) => (data[j] = 1 + v));
    m.set(name, data);
  });
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

test("logits, loss and every parameter gradient match the float64 reference", async () => {
  const host = randomParams(10);
  const idx = randint(B * T, config.vocabSize, 1);
  const targets = randint(B * T, config.vocabSize, 2);
  const ref = gptReference(config, host, idx, targets, B, T);
  const model = new GPT(config, host);
  await scope(async () => {
    const { logits, loss } = model.forward(Tensor.from(idx, [B, T]), Tensor.from(targets, [B, T]));
    backward(loss!);
    // f32 through two transformer layers: errors grow with depth and with sums over C and T, so
    // tolerances are relative to each tensor's largest entry (1e-4 of it), plus rel 1e-3 elementwise.
    expectClose(await logits.read(), ref.logits, 1e-3, 1e-4 * maxAbs(ref.logits), "logits");
    expect(await loss!.item()).toBeCloseTo(ref.loss, 4);
    for (const [name, t] of model.params) {
      const g = ref.grads.get(name)!;
      expectClose(await t.grad!.read(), g, 1e-3, 1e-4 * maxAbs(g) + 1e-7, `grad ${name}`);
    }
  });
  zeroGrad(model.parameters());
}, 60_000);

test("loss at GPT-2 initialisation is close to ln V", async () => {
  const big = makeConfig("tiny", { vocabSize: 512, contextLength: 16 });
  const model = new GPT(big, initParams(big, 3));
  const loss = await scope(() => model.forward(Tensor.from(randint(4 * 16, 512, 4), [4, 16]), Tensor.from(randint(4 * 16, 512, 5), [4, 16])).loss!.item());
  expect(Math.abs(loss - Math.log(512))).toBeLessThan(0.1);
}, 60_000);

test("one batch overfits to a loss below 0.1", async () => {
  runtime().poison = false;
  const model = new GPT(config, initParams(config, 7));
  const idx = Tensor.from(randint(B * 8, config.vocabSize, 8), [B, 8]).keep();
  const targets = Tensor.from(randint(B * 8, config.vocabSize, 9), [B, 8]).keep();
  const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
  let loss = Infinity;
  for (let step = 0; step < 200 && loss >= 0.1; step++) {
    loss = await scope(async () => {
      const out = model.forward(idx, targets);
      backward(out.loss!);
      opt.step();
      zeroGrad(model.parameters());
      return step % 10 === 9 ? await out.loss!.item() : Infinity;
    });
  }
  runtime().poison = true;
  expect(loss).toBeLessThan(0.1);
}, 120_000);
