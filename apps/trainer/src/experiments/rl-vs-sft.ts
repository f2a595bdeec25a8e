/**
 * Does an RL checkpoint answer held-out arithmetic better than the SFT model it started from? Greedy
 * accuracy of each checkpoint in each prompting format on the eval stage's distinct held-out problems,
 * with the paired difference to the first checkpoint (`compareAccuracy`: clear beyond two standard
 * errors). The default preset's GRPO settings came from runs of this script on copies of a run's
 * directory (`bun run train grpo --run COPY --steps N --grpoKl ...`, then this on COPY/grpo/ckpt-*).
 *
 *   EGL_PLATFORM=surfaceless bun apps/trainer/src/experiments/rl-vs-sft.ts PROBLEMS FORMATS SFT_CKPT RL_CKPT...
 *
 * e.g. `600 step-by-step,direct runs/default/sft/ckpt-000600 /tmp/copy/grpo/ckpt-000040`.
 */
import { initRuntime } from "@forno/gpu";
import { chatPromptIds, GPT, isArithmeticCorrect, loadCheckpoint, questionText, resolveCheckpoint, type ChatPromptStyle } from "@forno/model";
import { compareAccuracy } from "@forno/rl";
import { loadTokenizer, ROLE_TOKENS } from "@forno/tokenizer";
import { generateIds } from "../generate.ts";
import { RUN_PRESETS } from "../presets.ts";
import { heldOutProblems } from "../stages/eval.ts";

const [count, formats, ...args] = process.argv.slice(2);
if (!count || !formats || args.length < 1) {
  console.error("usage: rl-vs-sft.ts PROBLEMS FORMATS(direct,step-by-step) SFT_CKPT [RL_CKPT...]");
  process.exit(2);
}
// A stage's directory means its newest checkpoint.
const dirs = args.map(resolveCheckpoint);
await initRuntime();
const problems = heldOutProblems(Number(count), 2024, RUN_PRESETS.tiny!.task);
const tok = await loadTokenizer(loadCheckpoint(dirs[0]!).tokenizerDir!);
const end = tok.specialId(ROLE_TOKENS.assistant.end);
const first = new Map<string, boolean[]>();
for (const dir of dirs) {
  const ck = loadCheckpoint(dir);
  const model = new GPT(ck.config, new Map([...ck.params].map(([k, v]) => [k, v.data])));
  for (const style of formats.split(",") as ChatPromptStyle[]) {
    const outs = await generateIds(model, problems.map((p) => chatPromptIds(tok, questionText(p), style)), { maxTokens: style === "direct" ? 8 : 80, stopIds: [end] });
    const right = outs.map((ids, i) => isArithmeticCorrect(problems[i]!, tok.decode(ids)));
    if (!first.has(style)) first.set(style, right);
    const c = compareAccuracy(right, first.get(style)!);
    const pct = (x: number) => (100 * x).toFixed(1);
    console.log(`${dir} ${style}: ${pct(right.filter(Boolean).length / right.length)}% of ${right.length}; vs ${dirs[0]} ${c.difference >= 0 ? "+" : ""}${pct(c.difference)} ± ${pct(c.stderr)} points (${c.verdict})`);
  }
}
