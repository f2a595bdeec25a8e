/** A dependency-free SVG line chart of training and validation loss against step. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

export function lossPlotSvg(series: Series[], title: string, baseline?: { name: string; value: number }): string {
  const W = 720, H = 420, L = 60, R = 20, T = 40, Bm = 50;
  const all = series.flatMap((s) => s.points);
  const values = all.map((p) => p[1]).concat(baseline ? [baseline.value] : []);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMin = Math.min(...values), yMax = Math.max(...values);
  const pad = (yMax - yMin) * 0.05 || 0.5;
  const [y0, y1] = [Math.max(0, yMin - pad), yMax + pad];
  const x = (v: number) => L + ((W - L - R) * v) / xMax;
  const y = (v: number) => T + ((H - T - Bm) * (y1 - v)) / (y1 - y0);
  const ticks = Array.from({ length: 6 }, (_, i) => y0 + ((y1 - y0) * i) / 5);
  const lines = series
    .filter((s) => s.points.length > 0)
    .map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ")}"/>`);
  const legend = series.map((s, i) => `<text x="${W - R - 150}" y="${T + 16 + i * 16}" fill="${s.color}" font-size="12">— ${s.name}</text>`);
  const base = baseline
    ? [`<line x1="${L}" x2="${W - R}" y1="${y(baseline.value)}" y2="${y(baseline.value)}" stroke="#999" stroke-dasharray="4 3"/>`,
       `<text x="${L + 6}" y="${y(baseline.value) - 4}" fill="#777" font-size="11">${baseline.name} ${baseline.value.toFixed(3)}</text>`]
    : [];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`,
    `<line x1="${L}" y1="${H - Bm}" x2="${W - R}" y2="${H - Bm}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - Bm}" stroke="#333"/>`,
    ...ticks.map((v) => `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(2)}</text><line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`),
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle" font-size="12">step (of ${xMax})</text>`,
    `<text x="16" y="${(T + H - Bm) / 2}" font-size="12" transform="rotate(-90 16 ${(T + H - Bm) / 2})" text-anchor="middle">loss (nats/token)</text>`,
    ...base,
    ...lines,
    ...legend,
    `</svg>`,
  ].join("\n");
}
