import { expect, test } from "bun:test";
import { initRuntime } from "./runtime.ts";
import { selfCheck } from "./selfcheck.ts";

test("the self-check passes every op on this adapter", async () => {
  await initRuntime();
  const rows = await selfCheck();
  expect(rows.length).toBeGreaterThanOrEqual(8);
  for (const r of rows) expect({ op: r.op, ok: r.ok }).toEqual({ op: r.op, ok: true });
}, 60_000);
