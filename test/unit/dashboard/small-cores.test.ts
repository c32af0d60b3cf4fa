import { describe, expect, it } from "vitest";
import { withoutFixed } from "../../../app/alerts/form-errors";
import { lastErrorText } from "../../../components/tables/DeliveriesTable";
import { packSeries, unpackSeries } from "../../../server/dashboard/packed-series";
import { rulesWithoutData } from "../../../server/dashboard/rule-data";
import { RetryLog } from "../../../server/runtime/controller/retry-log";
import { plotWidth } from "../../../app/_dashboard/use-plot-width";
import { rangeQueryKey, zoomedOut } from "../../../components/controls/time-range";

describe("keys retried in a range", () => {
  it("lists keys retried within [from, to] even after they succeeded, most retried first", () => {
    const log = new RetryLog(100);
    log.record({ at: 1_000, key: "a", error: "boom" });
    log.record({ at: 2_000, key: "b", error: null });
    log.record({ at: 3_000, key: "a", error: "boom 2" });
    log.record({ at: 9_000, key: "c", error: "late" });
    expect(log.between(500, 5_000, 10)).toEqual([
      { key: "a", retries: 2, lastAt: 3_000, lastError: "boom 2" },
      { key: "b", retries: 1, lastAt: 2_000, lastError: null },
    ]);
    expect(log.between(8_000, 10_000, 10).map((r) => r.key)).toEqual(["c"]);
  });

  it("is bounded: the oldest retries are forgotten first", () => {
    const log = new RetryLog(3);
    for (let i = 0; i < 5; i++) log.record({ at: i, key: `k${i}`, error: null });
    expect(log.between(0, 10, 10).map((r) => r.key).sort()).toEqual(["k2", "k3", "k4"]);
  });
});

describe("packed series", () => {
  it("round-trips timestamps exactly and values to 4 significant digits, in fewer bytes", () => {
    const points: [number, number][] = Array.from({ length: 200 }, (_, i) => [1_767_000_000_000 + i * 5_000, Math.sin(i) * 123.456789]);
    const back = unpackSeries(packSeries(points));
    expect(back.map((p) => p[0])).toEqual(points.map((p) => p[0]));
    for (const [i, [, v]] of back.entries()) expect(Math.abs(v - points[i][1])).toBeLessThanOrEqual(Math.abs(points[i][1]) * 5e-4);
    expect(JSON.stringify(packSeries(points)).length).toBeLessThan(JSON.stringify(points).length * 0.6);
  });
});

describe("rules without data", () => {
  it("a threshold rule whose metric was never recorded has no data; histograms match by family", () => {
    const known = new Set(["workqueue_depth", "workqueue_work_duration_seconds_bucket"]);
    const rules = [
      { id: 1, kind: "threshold", spec: { query: { metric: "workqueue_depth" } } },
      { id: 2, kind: "threshold", spec: { query: { metric: "workqueue_dept" } } },
      { id: 3, kind: "threshold", spec: { query: { metric: "workqueue_work_duration_seconds" } } },
      { id: 4, kind: "anomaly", spec: {} },
    ];
    expect([...rulesWithoutData(rules, known)]).toEqual([2]);
  });
});

describe("deliveries' last error", () => {
  it("a 2xx status is not an error; a failure status is", () => {
    expect(lastErrorText({ lastError: null, lastStatusCode: 200 })).toBe("");
    expect(lastErrorText({ lastError: null, lastStatusCode: 503 })).toBe("HTTP 503");
    expect(lastErrorText({ lastError: "connection refused", lastStatusCode: null })).toBe("connection refused");
    expect(lastErrorText({ lastError: "upstream said no", lastStatusCode: 500 })).toBe("HTTP 500: upstream said no");
  });
});

describe("form errors", () => {
  it("an error is cleared when its field changes, the others stay", () => {
    const errors = { name: "is required", value: "must be a number", "matchers.0.value": "bad regex", form: "nope" };
    expect(withoutFixed(errors, { name: "", value: "x", matchers: [{ value: "(" }] }, { name: "a", value: "x", matchers: [{ value: "(" }] })).toEqual({
      value: "must be a number",
      "matchers.0.value": "bad regex",
    });
    expect(withoutFixed(errors, { matchers: [{ value: "(" }] }, { matchers: [{ value: "a" }] })).toEqual({ name: "is required", value: "must be a number" });
  });
});

describe("ranges", () => {
  it("zoom out doubles the range around its middle, never past now", () => {
    expect(zoomedOut({ from: 1_000, to: 2_000 }, 10_000)).toEqual({ kind: "custom", from: 500, to: 2_500 });
    expect(zoomedOut({ from: 8_000, to: 10_000 }, 10_000)).toEqual({ kind: "custom", from: 6_000, to: 10_000 });
  });

  it("query keys are stable within a step, so a ticking relative range hits the cache", () => {
    const to = 1_001_000_000 - 4_000;
    const a = rangeQueryKey({ from: to - 3_600_000, to }, 500);
    expect(rangeQueryKey({ from: to - 3_600_000 + 2_000, to: to + 2_000 }, 500)).toEqual(a);
    expect(a.to - a.from).toBe(3_600_000);
    expect(a.to).toBeGreaterThanOrEqual(to);
    expect(rangeQueryKey({ from: to - 3_600_000 + 10_000, to: to + 10_000 }, 500)).not.toEqual(a);
  });

  it("the plot width follows the grid: three columns at 1440 px, one at 390 px", () => {
    expect(plotWidth(1368)).toBeLessThan(450);
    expect(plotWidth(1368)).toBeGreaterThan(300);
    expect(plotWidth(358)).toBeLessThanOrEqual(300);
  });
});
