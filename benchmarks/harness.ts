/**
 * Shared benchmark plumbing: machine facts, median timing, and output as a table for people or, with
 * `--json`, the same figures as JSON for scripts. Every benchmark prints the device it ran on.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  runtime: string;
  device?: string;
  backend?: string;
}

export function machine(device?: { description: string; backend: string }): Machine {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {}
  return { cpu, cores: cpus().length, runtime: `bun ${Bun.version}`, device: device?.description, backend: device?.backend };
}

/** Median wall time in ms of `reps` runs of `fn` after `warmup` runs. */
export async function timeMs(fn: () => unknown | Promise<unknown>, reps = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export type Row = Record<string, string | number>;

function fmt(v: string | number): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

export function table(rows: Row[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = [cols, ...rows.map((r) => cols.map((c) => (r[c] === undefined ? "" : fmt(r[c]!))))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => "| " + row.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(cells[0]!), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...cells.slice(1).map(line)].join("\n");
}

/** Prints a report: a markdown table with the machine, or JSON with `--json`. */
export function report(title: string, m: Machine, rows: Row[]): void {
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ benchmark: title, machine: m, date: new Date().toISOString(), rows }));
    return;
  }
  console.log(`\n## ${title}`);
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.runtime}${m.device ? `; device: ${m.device} (${m.backend})` : ""}\n`);
  console.log(table(rows));
}
