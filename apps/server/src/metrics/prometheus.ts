/**
 * A small Prometheus registry: counters and histograms with labels, gauges read at scrape time, and the
 * text exposition format (version 0.0.4) that `GET /metrics` serves. Which metrics the server keeps is
 * server-metrics.ts's business; this file only knows the format.
 */

export type Labels = Record<string, string>;

/** Keys of a label set in a fixed order, so the same labels always land on the same series. */
const seriesKey = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

const escapeLabel = (v: string) => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");

function formatLabels(labels: Labels, extra: Labels = {}): string {
  const all = { ...labels, ...extra };
  const parts = Object.keys(all)
    .sort()
    .map((k) => `${k}="${escapeLabel(all[k]!)}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

const formatValue = (v: number) => (v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : Number.isNaN(v) ? "NaN" : String(v));

interface Metric {
  render(): string[];
}

function header(name: string, help: string, type: string): string[] {
  return [`# HELP ${name} ${help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`, `# TYPE ${name} ${type}`];
}

export class Counter implements Metric {
  private readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new RangeError(`counter ${this.name} can only go up, got ${by}`);
    const key = seriesKey(labels);
    const s = this.series.get(key) ?? { labels, value: 0 };
    s.value += by;
    this.series.set(key, s);
  }

  /** The current value of one series (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.series.get(seriesKey(labels))?.value ?? 0;
  }

  render(): string[] {
    return [...header(this.name, this.help, "counter"), ...[...this.series.values()].map((s) => `${this.name}${formatLabels(s.labels)} ${formatValue(s.value)}`)];
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  /** Upper bounds, ascending; +Inf is implied. */
  readonly buckets: readonly number[];

  constructor(
    readonly name: string,
    private readonly help: string,
    buckets: readonly number[],
  ) {
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new RangeError(`histogram ${name}: buckets must ascend, got ${buckets.join(", ")}`);
    this.buckets = buckets;
  }

  observe(labels: Labels, value: number): void {
    const key = seriesKey(labels);
    const s = this.series.get(key) ?? { labels, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
    this.series.set(key, s);
  }

  render(): string[] {
    const lines = header(this.name, this.help, "histogram");
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i]!;
        lines.push(`${this.name}_bucket${formatLabels(s.labels, { le: formatValue(b) })} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${formatLabels(s.labels, { le: "+Inf" })} ${s.count}`);
      lines.push(`${this.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

/** A gauge whose series are read when scraped (queue depths and the like live elsewhere). */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly collect: () => [Labels, number][],
  ) {}

  render(): string[] {
    return [...header(this.name, this.help, "gauge"), ...this.collect().map(([labels, v]) => `${this.name}${formatLabels(labels)} ${formatValue(v)}`)];
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  /** The exposition text; serve it as `text/plain; version=0.0.4`. */
  render(): string {
    return this.metrics.flatMap((m) => m.render()).join("\n") + "\n";
  }
}

/** Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
