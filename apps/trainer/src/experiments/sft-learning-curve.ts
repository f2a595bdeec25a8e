/**
 * How fast does SFT teach a base model held-out arithmetic? Finetunes a checkpoint on a mix of the
 * default SFT data and prints greedy accuracy on 100 held-out problems every 100 steps. The default
 * preset's SFT settings (direct-weighted mix, slot-aligned packing) came from runs of this script.
 *
 *   EGL_PLATFORM=surfaceless bun apps/trainer/src/experiments/sft-learning-curve.ts \
 *     BASE_CKPT OUT_DIR '{"direct":1,"stepByStep":0,"instructions":0}' STEPS LR [padding|packing] [T] [B] [SLOT]
 *
 * e.g. `runs/default/pretrain/ckpt-000250 /tmp/curve '{"direct":1,"stepByStep":0,"instructions":0}' 800 0.003 padding 24 84`.
 */
import { rmSync } from "node:fs";
import { initRuntime } from "@forno/gpu";
import {
  buildDefaultMix, chatPromptIds, isArithmeticCorrect, loadCheckpoint, loadConversations, pretrain, questionText, resolveCheckpoint, Rng, sampleProblem, SftBatcher,
  type BatchSource, type MixRatios, type SftMode,
} from "@forno/model";
import { ENDOFTEXT, loadTokenizer, ROLE_TOKENS } from "@forno/tokenizer";
import { generateIds } from "../generate.ts";
import { INSTRUCTION_FILES } from "../stages/sft.ts";

const [from, out, ratiosJson, stepsArg, lrArg, modeArg = "packing", TArg = "128", BArg = "16", slotArg = "1"] = process.argv.slice(2);
if (!from || !out || !ratiosJson || !stepsArg || !lrArg) {
  console.error("usage: sft-learning-curve.ts BASE_CKPT OUT_DIR RATIOS_JSON STEPS LR [padding|packing] [T] [B] [SLOT]");
  process.exit(2);
}
await initRuntime();
const ratios: MixRatios = JSON.parse(ratiosJson);
const [T, B, lr, steps] = [Number(TArg), Number(BArg), Number(lrArg), Number(stepsArg)];
const base = loadCheckpoint(resolveCheckpoint(from));
const tok = await loadTokenizer(base.tokenizerDir!);
const task = { minDigits: 1, maxDigits: 2 };
const mix = buildDefaultMix({ tokenizer: tok, T, instructions: loadConversations(INSTRUCTION_FILES), rng: Rng.fromSeed(1337), size: 40_000, ratios, arithmetic: task });
const { batcher } = SftBatcher.fromConversations(tok, mix.conversations, { T, padId: tok.specialId(ENDOFTEXT), mode: modeArg as SftMode, slot: Number(slotArg) });
const source: BatchSource = { next: (b, _t, rng) => batcher.nextBatch(b, rng), cursor: () => batcher.cursor(), seek: (c) => batcher.seek(c as never) };
const rng = Rng.fromSeed(77);
const problems = Array.from({ length: 100 }, () => sampleProblem(rng, task, "eval"));
const end = tok.specialId(ROLE_TOKENS.assistant.end);
rmSync(out, { recursive: true, force: true });
const t0 = performance.now();
await pretrain({
  runDir: out,
  config: base.config,
  settings: { steps, batchSize: B, seqLen: T, gradAccum: 1, lr, minLr: lr / 10, warmupSteps: 10, weightDecay: 0.1, gradClip: 1, evalEvery: 100, evalBatches: 2, checkpointEvery: 1e9, seed: 1337 },
  data: { train: source, val: source },
  initialWeights: new Map([...base.params].map(([k, v]) => [k, v.data as Float32Array])),
  resume: false,
  tokenizerDir: base.tokenizerDir!,
  onEval: async (model, r) => {
    const right: Record<string, number> = {};
    for (const style of ["direct", "step-by-step"] as const) {
      if (!(style === "direct" ? ratios.direct : ratios.stepByStep)) continue;
      const outs = await generateIds(model, problems.map((p) => chatPromptIds(tok, questionText(p), style)), { maxTokens: style === "direct" ? 8 : 80, stopIds: [end] });
      right[style] = outs.filter((o, i) => isArithmeticCorrect(problems[i]!, tok.decode(o))).length;
    }
    console.log(`step ${r.step}: loss ${r.loss.toFixed(3)}, right of 100 held out ${JSON.stringify(right)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  },
});
