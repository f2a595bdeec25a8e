/**
 * The runtime's fixed costs: one dispatch (recorded in a batch, and alone with a submit and wait), one
 * submit, and one small readback. These set the budget a training step must live within.
 */
import { axpyInPlace, initRuntime, runtime, Tensor } from "@forno/gpu";
import { machine, report, timeMs } from "../harness.ts";

const rt = await initRuntime();
const x = Tensor.full([256], 1);
const y = Tensor.zeros([256]);
const N = 500;

const batched = await timeMs(async () => {
  for (let i = 0; i < N; i++) axpyInPlace(y, x);
  await rt.sync();
}, 5);
const alone = await timeMs(async () => {
  for (let i = 0; i < 50; i++) {
    axpyInPlace(y, x);
    await rt.sync();
  }
}, 5);
const readback = await timeMs(async () => {
  for (let i = 0; i < 50; i++) await y.read();
}, 5);
const bigBytes = 16 << 20;
const big = Tensor.zeros([bigBytes / 4]);
const bigRead = await timeMs(() => big.read(), 5);

report("gpu runtime fixed costs", machine(runtime().info), [
  { what: "dispatch, batched in one submit", "µs each": (batched * 1000) / N },
  { what: "dispatch + submit + wait", "µs each": (alone * 1000) / 50 },
  { what: "readback of 1 KiB (submit + map)", "µs each": (readback * 1000) / 50 },
  { what: "readback of 16 MiB", "µs each": bigRead * 1000, "GB/s": bigBytes / (bigRead * 1e6) },
]);
