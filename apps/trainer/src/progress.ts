/**
 * A one-line progress bar on stderr: done/total, a bar, rate, ETA and caller-supplied fields (loss,
 * tokens/s). On a terminal it redraws in place; elsewhere (CI logs, pipes) it prints a line at most every
 * `logEveryMs`, so logs stay readable.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  logEveryMs?: number;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export class Progress {
  private readonly start = performance.now();
  private lastLog = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly o: ProgressOptions) {}

  update(done: number, fields: Record<string, string | number> = {}): void {
    const now = performance.now();
    const final = done >= this.o.total;
    if (!this.tty && !final && now - this.lastLog < (this.o.logEveryMs ?? 5000)) return;
    this.lastLog = now;
    const elapsed = (now - this.start) / 1000;
    const frac = Math.min(1, done / Math.max(1, this.o.total));
    const width = 24;
    const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "░");
    const eta = done > 0 ? (elapsed / done) * (this.o.total - done) : Infinity;
    const extra = Object.entries(fields)
      .filter(([, v]) => typeof v !== "number" || Number.isFinite(v))
      .map(([k, v]) => `${k} ${typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(4)) : v}`)
      .join(" · ");
    const line = `${this.o.label} ${bar} ${done}/${this.o.total} ${this.o.unit ?? ""}${extra ? " · " + extra : ""} · ${duration(elapsed)} elapsed, ETA ${duration(eta)}`;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    else process.stderr.write(line + "\n");
  }
}
