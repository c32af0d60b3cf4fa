import { describe, expect, it } from "vitest";
import type { Sample } from "../../../server/query/buckets";
import { type RangeQueryInput, rangeQuerySchema, requiredLabels, runRangeQuery } from "../../../server/query/range-query";
import { MemorySampleSource } from "../../../server/query/sample-source";

const S = 1_000;

/** A counter sampled every 10 s from 10 s to `until`, `perSecond` per second, reset to 0 at `resetAt`. */
function counter(perSecond: number, until: number, resetAt?: number): Sample[] {
  const out: Sample[] = [];
  for (let t = 10 * S; t <= until; t += 10 * S) {
    const since = resetAt !== undefined && t >= resetAt ? t - resetAt : t;
    out.push({ t, v: (since / S) * perSecond });
  }
  return out;
}

function query(input: RangeQueryInput) {
  return rangeQuerySchema.parse(input);
}

function valuesAt(points: [number, number][]): Map<number, number> {
  return new Map(points);
}

describe("range queries (in-memory source)", () => {
  const source = new MemorySampleSource();
  source.add("reconcile_total", { controller: "a" }, counter(1, 600 * S, 300 * S), "counter");
  source.add("reconcile_total", { controller: "b" }, counter(2, 600 * S), "counter");
  for (const [le, a, b] of [
    ["0.1", 1, 0],
    ["0.5", 3, 1],
    ["+Inf", 4, 4],
  ] as const) {
    source.add("lat_bucket", { controller: "a", le }, counter(a, 600 * S), "histogram");
    source.add("lat_bucket", { controller: "b", le }, counter(b, 600 * S), "histogram");
  }

  it("rate follows extrapolatedRate, including a counter reset", async () => {
    const result = await runRangeQuery(
      source,
      query({ metric: "reconcile_total", matchers: [{ name: "controller", op: "=", value: "a" }], start: 60 * S, end: 600 * S, stepMs: 60 * S, windowMs: 60 * S, fn: "rate" }),
    );
    expect(result.step).toBe(60 * S);
    expect(result.windowMs).toBe(60 * S);
    expect(result.series).toHaveLength(1);
    expect(result.series[0].labels).toEqual({ controller: "a" });
    const at = valuesAt(result.series[0].points);
    expect(at.get(240 * S)).toBeCloseTo(1, 12);
    // (240, 300]: 250…290 then 0 at the reset: increase 40 over 50 s, extrapolated × 60/50, / 60 s.
    expect(at.get(300 * S)).toBeCloseTo(0.8, 12);
    expect(at.get(360 * S)).toBeCloseTo(1, 12);
    expect(result.series[0].points).toHaveLength(10);
  });

  it("increase over the same windows", async () => {
    const result = await runRangeQuery(
      source,
      query({ metric: "reconcile_total", matchers: [{ name: "controller", op: "=", value: "a" }], start: 60 * S, end: 600 * S, stepMs: 60 * S, windowMs: 60 * S, fn: "increase" }),
    );
    const at = valuesAt(result.series[0].points);
    expect(at.get(300 * S)).toBeCloseTo(48, 10);
    expect(at.get(600 * S)).toBeCloseTo(60, 10);
  });

  it("aggregates rates with sum/avg/max/min by labels", async () => {
    const base = { metric: "reconcile_total", start: 360 * S, end: 600 * S, stepMs: 60 * S, windowMs: 60 * S, fn: "rate" } as const;
    const sum = await runRangeQuery(source, query({ ...base, aggregate: { op: "sum" } }));
    expect(sum.series).toHaveLength(1);
    expect(sum.series[0].labels).toEqual({});
    for (const [, v] of sum.series[0].points) expect(v).toBeCloseTo(3, 12);
    const avg = await runRangeQuery(source, query({ ...base, aggregate: { op: "avg" } }));
    for (const [, v] of avg.series[0].points) expect(v).toBeCloseTo(1.5, 12);
    const max = await runRangeQuery(source, query({ ...base, aggregate: { op: "max" } }));
    for (const [, v] of max.series[0].points) expect(v).toBeCloseTo(2, 12);
    const byController = await runRangeQuery(source, query({ ...base, aggregate: { op: "min", by: ["controller"] } }));
    expect(byController.series.map((s) => s.labels)).toEqual([{ controller: "a" }, { controller: "b" }]);
  });

  it("histogram_quantile over bucket rates, per series and summed by le", async () => {
    const base = { metric: "lat", start: 120 * S, end: 600 * S, stepMs: 60 * S, windowMs: 60 * S, fn: "histogram_quantile", quantile: 0.5 } as const;
    const perSeries = await runRangeQuery(source, query(base));
    expect(perSeries.series.map((s) => s.labels)).toEqual([{ controller: "a" }, { controller: "b" }]);
    // a: rates 1, 3, 4 per s → rank 2 → 0.1 + 0.4 × (2 − 1) / 2.
    for (const [, v] of perSeries.series[0].points) expect(v).toBeCloseTo(0.3, 12);
    // b: rates 0, 1, 4 → rank 2 falls in +Inf → the second-highest bound.
    for (const [, v] of perSeries.series[1].points) expect(v).toBe(0.5);
    const summed = await runRangeQuery(source, query({ ...base, aggregate: { op: "sum", by: [] } }));
    expect(summed.series).toHaveLength(1);
    // Sum: 1, 4, 8 → rank 4 → 0.1 + 0.4 × (4 − 1) / 3.
    for (const [, v] of summed.series[0].points) expect(v).toBeCloseTo(0.5, 12);
  });

  it("raw values keep their labels and metric name; aggregated raw values follow the lookback", async () => {
    const raw = await runRangeQuery(source, query({ metric: "reconcile_total", start: 0, end: 100 * S, maxPoints: 1_000 }));
    expect(raw.series[1].labels).toEqual({ __name__: "reconcile_total", controller: "b" });
    expect(raw.series[1].points).toEqual(counter(2, 100 * S).map((s) => [s.t, s.v]));
    const summed = await runRangeQuery(source, query({ metric: "reconcile_total", start: 20 * S, end: 100 * S, stepMs: 20 * S, aggregate: { op: "sum" } }));
    // At 20, 40, … s: a = t, b = 2t (latest samples), before the reset.
    expect(summed.series[0].points).toEqual([20, 40, 60, 80, 100].map((t) => [t * S, 3 * t]));
  });

  it("keeps every spike of a long raw series at ≤ maxPoints", async () => {
    const spiky = new MemorySampleSource();
    const samples: Sample[] = [];
    for (let i = 0; i < 200_000; i += 1) samples.push({ t: i * S, v: 10 + ((i * 7919) % 97) / 97 });
    const spikes = [3, 77_777, 77_778, 150_001, 199_999];
    spikes.forEach((i, k) => {
      samples[i] = { t: i * S, v: k % 2 === 0 ? 1_000 : -1_000 };
    });
    spiky.add("g", {}, samples, "gauge");
    const result = await runRangeQuery(spiky, query({ metric: "g", start: 0, end: 200_000 * S, maxPoints: 400 }));
    const points = result.series[0].points;
    expect(points.length).toBeLessThanOrEqual(400);
    for (const i of spikes) expect(points).toContainEqual([i * S, samples[i].v]);
    const lttbResult = await runRangeQuery(spiky, query({ metric: "g", start: 0, end: 200_000 * S, maxPoints: 400, downsample: "lttb" }));
    expect(lttbResult.series[0].points.length).toBeLessThanOrEqual(400);
    expect(lttbResult.series[0].points).toContainEqual([3 * S, 1_000]);
  });

  it("validates queries with clear messages", () => {
    expect(() => query({ metric: "x", start: 10, end: 5 })).toThrow(/end must not be before start/);
    expect(() => query({ metric: "x", start: 0, end: 5, fn: "histogram_quantile" })).toThrow(/needs a quantile/);
    expect(() => query({ metric: "x", start: 0, end: 5, maxPoints: 20_000 })).toThrow();
    expect(() => query({ metric: "x y", start: 0, end: 5 })).toThrow(/metric name/);
  });
});

describe("requiredLabels", () => {
  it("takes the = matchers with a value, the first of each name, never __name__", () => {
    expect(
      requiredLabels([
        { name: "controller", op: "=", value: "pods" },
        { name: "result", op: "=~", value: "error|success" },
        { name: "pod", op: "!=", value: "a" },
        { name: "zone", op: "=", value: "" },
        { name: "controller", op: "=", value: "other" },
        { name: "__name__", op: "=", value: "x" },
        { name: "__proto__", op: "=", value: "p" },
      ]),
    ).toEqual({ controller: "pods", ["__proto__"]: "p" });
    expect(JSON.stringify(requiredLabels([{ name: "__proto__", op: "=", value: "p" }]))).toBe('{"__proto__":"p"}');
    expect(requiredLabels([])).toEqual({});
  });
});
