import { describe, expect, it } from "vitest";
import { defaultWatchedSeries, detectorDefaultsFor, seriesQuerySchema, WATCHED_RESOURCE_TYPES } from "../../../server/anomaly/watched-series";

describe("default watched series", () => {
  const specs = defaultWatchedSeries(["pods", "deployments", "pods"]);

  it("watches eight signals per controller plus the process-wide ones, with unique keys and valid queries", () => {
    const perController = specs.filter((s) => s.controller === "pods");
    expect(perController.map((s) => s.key)).toEqual([
      'queue_depth{controller="pods"}',
      'adds_rate{controller="pods"}',
      'queue_latency_p99{controller="pods"}',
      'work_duration_p99{controller="pods"}',
      'error_rate{controller="pods"}',
      'retries_rate{controller="pods"}',
      'active_workers{controller="pods"}',
      'unfinished_work{controller="pods"}',
    ]);
    const processWide = specs.filter((s) => s.controller === null).map((s) => s.key);
    expect(processWide).toEqual([
      "active_resources",
      ...WATCHED_RESOURCE_TYPES.map((t) => `active_resources{type="${t}"}`),
      "leak_suspects",
      "eventloop_lag_p99",
    ]);
    expect(specs).toHaveLength(2 * 8 + processWide.length);
    expect(new Set(specs.map((s) => s.key)).size).toBe(specs.length);
    for (const s of specs) expect(seriesQuerySchema.safeParse(s.query).success).toBe(true);
  });

  it("describes the PromQL-like queries the product asks for", () => {
    const byKey = new Map(specs.map((s) => [s.key, s.query]));
    expect(byKey.get('queue_latency_p99{controller="pods"}')).toEqual({
      metric: "workqueue_queue_duration_seconds_bucket",
      matchers: [{ name: "name", op: "=", value: "pods" }],
      fn: "histogram_quantile",
      q: 0.99,
      by: ["le"],
      agg: "sum",
    });
    expect(byKey.get('error_rate{controller="pods"}')).toMatchObject({
      metric: "controller_runtime_reconcile_errors_total",
      matchers: [{ name: "controller", op: "=", value: "pods" }],
      fn: "rate",
    });
    expect(byKey.get("eventloop_lag_p99")).toMatchObject({ metric: "nodejs_eventloop_lag_p99_seconds", fn: "raw" });
  });

  it("chooses directions and floors by what a series measures", () => {
    expect(detectorDefaultsFor({ metric: "controller_runtime_reconcile_errors_total", matchers: [], fn: "rate" })).toEqual({
      direction: "above",
      params: { absoluteFloor: 0.05, integralFloor: 0 },
    });
    expect(detectorDefaultsFor({ metric: "my_gauge", matchers: [], fn: "raw" })).toEqual({ direction: "both", params: {} });
  });

  it("refuses malformed queries with the field at fault", () => {
    const bad = seriesQuerySchema.safeParse({ metric: "x_bucket", matchers: [], fn: "histogram_quantile" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual(["q"]);
    expect(seriesQuerySchema.safeParse({ metric: "9bad", fn: "raw" }).error?.issues[0].path).toEqual(["metric"]);
    expect(seriesQuerySchema.safeParse({ metric: "ok", fn: "raw", matchers: [{ name: "a-b", op: "=", value: "" }] }).success).toBe(false);
  });
});
