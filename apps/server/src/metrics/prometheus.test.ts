import { expect, test } from "bun:test";
import { Counter, Gauge, Histogram, Registry } from "./prometheus.ts";

test("counters, histograms and gauges render in the text exposition format", () => {
  const r = new Registry();
  const c = r.register(new Counter("x_total", "Things.\nCounted."));
  c.inc({ route: "/a", status: "200" });
  c.inc({ status: "200", route: "/a" }, 2); // label order does not make a new series
  c.inc({ route: 'q"\\\n', status: "500" });
  const h = r.register(new Histogram("t_seconds", "Time.", [0.1, 1]));
  h.observe({ model: "m" }, 0.05);
  h.observe({ model: "m" }, 0.5);
  h.observe({ model: "m" }, 7);
  r.register(new Gauge("depth", "Queue.", () => [[{ model: "m" }, 3]]));
  expect(r.render()).toBe(
    [
      "# HELP x_total Things.\\nCounted.",
      "# TYPE x_total counter",
      'x_total{route="/a",status="200"} 3',
      'x_total{route="q\\"\\\\\\n",status="500"} 1',
      "# HELP t_seconds Time.",
      "# TYPE t_seconds histogram",
      't_seconds_bucket{le="0.1",model="m"} 1',
      't_seconds_bucket{le="1",model="m"} 2',
      't_seconds_bucket{le="+Inf",model="m"} 3',
      't_seconds_sum{model="m"} 7.55',
      't_seconds_count{model="m"} 3',
      "# HELP depth Queue.",
      "# TYPE depth gauge",
      'depth{model="m"} 3',
      "",
    ].join("\n"),
  );
  expect(c.get({ status: "200", route: "/a" })).toBe(3);
  expect(() => c.inc({}, -1)).toThrow(RangeError);
  expect(() => new Histogram("bad", "", [1, 1])).toThrow(RangeError);
});
