/** The `selfcheck` stage: every GPU op against its float64 reference; fails loudly if any op is off. */
import { runtime, selfCheck } from "@forno/gpu";

export async function selfcheck(): Promise<void> {
  const t0 = performance.now();
  const rows = await selfCheck();
  for (const r of rows) console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.op.padEnd(26)} max error ${r.error.toExponential(2)}`);
  const bad = rows.filter((r) => !r.ok);
  console.log(`selfcheck: ${rows.length - bad.length}/${rows.length} ops match their float64 references on ${runtime().info.description} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  if (bad.length > 0) throw new Error(`selfcheck failed for: ${bad.map((r) => r.op).join(", ")}`);
}
