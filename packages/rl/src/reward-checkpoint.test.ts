import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initRuntime } from "@forno/gpu";
import { initParams, makeConfig, paramShapes, saveCheckpoint, writeSafetensors } from "@forno/model";
import { latestRewardCheckpoint, loadRewardModel, REWARD_HEAD_FILE, RewardCheckpointError } from "./reward-checkpoint.ts";

const config = makeConfig("tiny", { vocabSize: 61, contextLength: 32, nLayer: 1, nHead: 2, nEmbd: 32 });
const root = mkdtempSync(join(tmpdir(), "forno-rm-"));
beforeAll(() => initRuntime());
afterAll(() => rmSync(root, { recursive: true, force: true }));

function checkpoint(name: string, head: { w: number; b: number } | null): string {
  const dir = join(root, name);
  const data = initParams(config, 3);
  saveCheckpoint(dir, { config, params: new Map(paramShapes(config).map(({ name: n, shape }) => [n, { shape, data: data.get(n)! }])) });
  if (head) writeSafetensors(join(dir, REWARD_HEAD_FILE), new Map([["head.weight", { shape: [head.w], data: new Float32Array(head.w).fill(0.5) }], ["head.bias", { shape: [head.b], data: new Float32Array(head.b).fill(0.25) }]]));
  return dir;
}

test("the newest checkpoint with its head is loaded; one a crash left without a head is skipped", async () => {
  const good = checkpoint("run/reward/ckpt-000010", { w: 32, b: 1 }); // saved as the trainer does, (C, 1) or (C)
  checkpoint("run/reward/ckpt-000020", null);
  expect(latestRewardCheckpoint(join(root, "run/reward"))).toBe(good);
  expect(latestRewardCheckpoint(join(root, "run/missing"))).toBeNull();
  const rm = loadRewardModel(good);
  expect(Array.from(await rm.head.bias.read())).toEqual([0.25]);
});

test("a missing or misshapen head is refused with the file and the fix", () => {
  expect(() => loadRewardModel(checkpoint("nohead/ckpt-000001", null))).toThrow(`needs ${REWARD_HEAD_FILE} beside its weights`);
  const bad = checkpoint("bad/ckpt-000001", { w: 16, b: 1 });
  expect(() => loadRewardModel(bad)).toThrow(RewardCheckpointError);
  expect(() => loadRewardModel(bad)).toThrow("expected head.weight [32, 1] and head.bias [1], got head.bias [1], head.weight [16]");
});
