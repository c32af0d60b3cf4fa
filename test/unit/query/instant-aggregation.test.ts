import { describe, expect, it } from "vitest";
import { rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { MemorySampleSource } from "../../../server/query/sample-source";

const S = 1_000;

describe("PromQL aggregation of instant values at every step", () => {
  it("max by takes each series' instant value at the step, not the maximum between steps", async () => {
    // A stuck reconcile that ran for 79.2 s and ended 3 s before the step: at the step the
    // gauge is 0 again, so max by (name) is 0 there (as Prometheus answers), not 79.2.
    const source = new MemorySampleSource();
    const samples = [];
    for (let t = 1 * S; t <= 120 * S; t += S) samples.push({ t, v: t <= 80 * S ? (t - S) / S : 0 });
    samples[79].v = 79.2;
    source.add("workqueue_longest_running_processor_seconds", { name: "pods" }, samples, "gauge");
    const result = await runRangeQuery(
      source,
      rangeQuerySchema.parse({ metric: "workqueue_longest_running_processor_seconds", start: 60 * S, end: 120 * S, stepMs: 60 * S, fn: "raw", aggregate: { op: "max", by: ["name"] } }),
    );
    expect(result.series[0].points).toEqual([
      [60 * S, 59],
      [120 * S, 0],
    ]);
    const min = await runRangeQuery(
      source,
      rangeQuerySchema.parse({ metric: "workqueue_longest_running_processor_seconds", start: 60 * S, end: 120 * S, stepMs: 60 * S, fn: "raw", aggregate: { op: "min", by: ["name"] } }),
    );
    expect(min.series[0].points).toEqual([
      [60 * S, 59],
      [120 * S, 0],
    ]);
  });

  it("evaluates at exactly start + k·step when start is not a multiple of the step", async () => {
    const source = new MemorySampleSource();
    source.add("g", {}, [{ t: 1_000, v: 1 }], "gauge");
    const result = await runRangeQuery(source, rangeQuerySchema.parse({ metric: "g", start: 12_345, end: 72_345, stepMs: 15_000, fn: "raw", aggregate: { op: "sum" } }));
    expect(result.series[0].points.map(([t]) => t)).toEqual([12_345, 27_345, 42_345, 57_345, 72_345]);
  });

  it("count by counts the series with a value at each step", async () => {
    const source = new MemorySampleSource();
    source.add("g", { c: "a" }, [{ t: 10 * S, v: 5 }], "gauge");
    source.add("g", { c: "b" }, [{ t: 10 * S, v: 7 }, { t: 70 * S, v: 7 }], "gauge");
    source.add("g", { c: "c" }, [{ t: 100 * S, v: 9 }], "gauge");
    const result = await runRangeQuery(source, rangeQuerySchema.parse({ metric: "g", start: 60 * S, end: 120 * S, stepMs: 60 * S, fn: "raw", aggregate: { op: "count" } }));
    expect(result.series[0].points).toEqual([
      [60 * S, 2],
      [120 * S, 3],
    ]);
  });

  it("ends a series at its staleness marker until a newer sample arrives", async () => {
    const source = new MemorySampleSource();
    const live = source.add("controller_runtime_active_workers", { replica: "a" }, [{ t: 10 * S, v: 4 }, { t: 20 * S, v: 4 }, { t: 95 * S, v: 2 }], "gauge");
    source.add("controller_runtime_active_workers", { replica: "b" }, [{ t: 10 * S, v: 4 }, { t: 20 * S, v: 4 }, { t: 50 * S, v: 4 }], "gauge");
    source.markStale(live, 30 * S);
    const result = await runRangeQuery(
      source,
      rangeQuerySchema.parse({ metric: "controller_runtime_active_workers", start: 20 * S, end: 100 * S, stepMs: 10 * S, fn: "raw", aggregate: { op: "sum" } }),
    );
    // a: 4 until its marker at 30 s, then nothing, then 2 from 95 s; b: 4 throughout (lookback 5 m).
    expect(result.series[0].points).toEqual([
      [20 * S, 8],
      [30 * S, 4],
      [40 * S, 4],
      [50 * S, 4],
      [60 * S, 4],
      [70 * S, 4],
      [80 * S, 4],
      [90 * S, 4],
      [100 * S, 6],
    ]);
  });

  it("instant: raw series without aggregation, each at every step as an alert rule sees it (not min/max samples)", async () => {
    const source = new MemorySampleSource();
    const a = source.add("g", { c: "a" }, [{ t: 10 * S, v: 1 }, { t: 25 * S, v: 9 }, { t: 26 * S, v: 2 }, { t: 95 * S, v: 3 }], "gauge");
    source.add("g", { c: "b" }, [{ t: 15 * S, v: 7 }], "gauge");
    source.markStale(a, 50 * S);
    const result = await runRangeQuery(source, rangeQuerySchema.parse({ metric: "g", start: 20 * S, end: 100 * S, stepMs: 20 * S, fn: "raw", instant: true }));
    expect(result.step).toBe(20 * S);
    expect(result.series).toEqual([
      // The 9 at 25 s is never the latest sample at a step; the marker at 50 s ends a until 95 s.
      { labels: { __name__: "g", c: "a" }, points: [[20 * S, 1], [40 * S, 2], [100 * S, 3]] },
      { labels: { __name__: "g", c: "b" }, points: [[20 * S, 7], [40 * S, 7], [60 * S, 7], [80 * S, 7], [100 * S, 7]] },
    ]);
  });
});
