/**
 * The runtime demo: a 2-layer MLP (2 → H → H → K, GELU) learns to classify points of a generated K-arm
 * spiral with the runtime's autograd and AdamW. It reads the loss back only when it logs.
 */
import { AdamW, backward, crossEntropy, gelu, linear, noGrad, randn, rng, scope, Tensor, zeroGrad } from "@forno/gpu";
import { numberOption, type Options } from "../args.ts";
import { Progress } from "../progress.ts";

/** N points (x, y) on K interleaved spiral arms with noise; labels are the arm index. */
export function spiral(N: number, K: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = rng(seed);
  const x = new Float32Array(N * 2);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const k = i % K;
    const t = r();
    const angle = (k * 2 * Math.PI) / K + t * 3.5 + (r() - 0.5) * 0.3;
    x[2 * i] = t * Math.cos(angle);
    x[2 * i + 1] = t * Math.sin(angle);
    y[i] = k;
  }
  return { x, y };
}

function param(shape: number[], std: number, seed: number): Tensor {
  const t = Tensor.from(randn(shape.reduce((a, b) => a * b, 1), seed, std), shape).keep();
  t.requiresGrad = true;
  return t;
}

export async function demo(opts: Options): Promise<{ first: number; last: number; accuracy: number }> {
  const steps = numberOption(opts, "steps", 300, { integer: true });
  const H = numberOption(opts, "hidden", 64, { min: 1, integer: true });
  const K = 3;
  const N = 1536;
  const { x, y } = spiral(N, K, 1);
  const X = Tensor.from(x, [N, 2]).keep();
  const Y = Tensor.from(y, [N]).keep();
  const w1 = param([2, H], 1, 2), b1 = param([H], 0, 3);
  const w2 = param([H, H], 1 / Math.sqrt(H), 4), b2 = param([H], 0, 5);
  const w3 = param([H, K], 1 / Math.sqrt(H), 6), b3 = param([K], 0, 7);
  const params = [w1, b1, w2, b2, w3, b3];
  const opt = new AdamW(params, { lr: 1e-2, weightDecay: 0 });
  const forward = () => linear(gelu(linear(gelu(linear(X, w1, b1)), w2, b2)), w3, b3);

  console.log(`demo: 2-layer MLP (2 → ${H} → ${H} → ${K}, GELU) on a ${K}-arm spiral of ${N} points, AdamW, ${steps} steps`);
  const bar = new Progress({ label: "demo", total: steps, unit: "steps", logEveryMs: 2000 });
  let first = NaN;
  let last = NaN;
  for (let step = 1; step <= steps; step++) {
    const log = step === 1 || step % 25 === 0 || step === steps;
    const loss = await scope(async () => {
      const l = crossEntropy(forward(), Y);
      backward(l);
      opt.step();
      zeroGrad(params);
      return log ? await l.item() : NaN;
    });
    if (log) {
      if (step === 1) first = loss;
      last = loss;
      console.log(`  step ${String(step).padStart(4)}  loss ${loss.toFixed(4)}`);
    }
    bar.update(step, Number.isNaN(loss) ? {} : { loss });
  }
  const accuracy = await noGrad(() =>
    scope(async () => {
      const logits = (await forward().read()) as Float32Array;
      let right = 0;
      for (let i = 0; i < N; i++) {
        let best = 0;
        for (let k = 1; k < K; k++) if (logits[i * K + k]! > logits[i * K + best]!) best = k;
        if (best === y[i]) right++;
      }
      return right / N;
    }),
  );
  console.log(`demo: loss ${first.toFixed(4)} → ${last.toFixed(4)}; training accuracy ${(accuracy * 100).toFixed(1)}% (chance ${(100 / K).toFixed(1)}%)`);
  return { first, last, accuracy };
}
