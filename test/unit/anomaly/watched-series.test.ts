import { describe, expect, it } from "vitest";
import type { RangeQuery } from "../../../server/query/range-query";
import { recordedSeriesFetcher } from "../../../server/anomaly/recorded-series";
import { defaultWatchedSeries, detectorDefaultsFor, seriesQuerySchema, WATCHED_RESOURCE_TYPES } from "../../../server/anomaly/watched-series";

describe("default watched series", () => {
  const specs = defaultWatchedSeries(["pods", "deployments", "pods"]);

  it("watches nine signals per controller plus the process-wide ones, with unique keys and valid queries", () => {
    const perController = specs.filter((s) => s.controller === "pods");
    expect(perController.map((s) => s.key)).toEqual([
      'queue_depth{controller="pods"}',
      'adds_rate{controller="pods"}',
      'queue_latency_p99{controller="pods"}',
      'work_duration_p99{controller="pods"}',
      'reconcile_time_p50{controller="pods"}',
      'slow_reconciles{controller="pods"}',
      'error_ratio{controller="pods"}',
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
    expect(specs).toHaveLength(2 * 9 + processWide.length);
    expect(new Set(specs.map((s) => s.key)).size).toBe(specs.length);
    for (const s of specs) expect(seriesQuerySchema.safeParse(s.query).success).toBe(true);
  });

  it("describes the PromQL-like queries the product asks for", () => {
    const byKey = new Map(specs.map((s) => [s.key, s.query]));
    expect(byKey.get('queue_latency_p99{controller="pods"}')).toEqual({
      metric: "workqueue_queue_duration_seconds_bucket",
      matchers: [
        { name: "job", op: "=", value: "loopscope" },
        { name: "name", op: "=", value: "pods" },
      ],
      fn: "histogram_quantile",
      q: 0.99,
      by: ["le"],
      agg: "sum",
      // A resync's batch is not a backlog: its windows are left out.
      except: {
        metric: "loopscope_reconcile_reasons_total",
        matchers: [
          { name: "job", op: "=", value: "loopscope" },
          { name: "controller", op: "=", value: "pods" },
          { name: "reason", op: "=", value: "resync" },
        ],
      },
    });
    expect(byKey.get('error_ratio{controller="pods"}')).toMatchObject({
      metric: "controller_runtime_reconcile_errors_total",
      matchers: [
        { name: "job", op: "=", value: "loopscope" },
        { name: "controller", op: "=", value: "pods" },
      ],
      fn: "ratio",
      over: { metric: "controller_runtime_reconcile_total" },
      windowSteps: 18,
    });
    // Loopscope's own controllers leave the adds of a periodic resync out of the adds rate.
    expect(byKey.get('adds_rate{controller="pods"}')).toMatchObject({
      metric: "workqueue_adds_total",
      fn: "rate",
      less: {
        metric: "loopscope_reconcile_reasons_total",
        matchers: [
          { name: "job", op: "=", value: "loopscope" },
          { name: "controller", op: "=", value: "pods" },
          { name: "reason", op: "=", value: "resync" },
        ],
      },
    });
    expect(byKey.get("eventloop_lag_p99")).toMatchObject({ metric: "nodejs_eventloop_lag_p99_seconds", fn: "raw" });
    expect(byKey.get('reconcile_time_p50{controller="pods"}')).toEqual({
      metric: "controller_runtime_reconcile_time_seconds_bucket",
      matchers: [
        { name: "job", op: "=", value: "loopscope" },
        { name: "controller", op: "=", value: "pods" },
      ],
      fn: "histogram_quantile",
      q: 0.5,
      by: ["le"],
      agg: "sum",
      windowSteps: 6,
    });
  });

  it("chooses directions and floors by what a series measures", () => {
    expect(detectorDefaultsFor({ metric: "controller_runtime_reconcile_errors_total", matchers: [], fn: "rate" })).toEqual({
      direction: "above",
      params: { domain: "nonNegative", absoluteFloor: 0.01, integralFloor: 0 },
    });
    expect(detectorDefaultsFor({ metric: "my_gauge", matchers: [], fn: "raw" })).toEqual({ direction: "both", params: { domain: "auto" } });
    expect(detectorDefaultsFor({ metric: "cache_hit_ratio", matchers: [], fn: "raw" }).params.domain).toBe("unit");
    // Quantiles of the fine reconcile-time buckets take a mean's small floor: a millisecond
    // controller's 3× slower median must be able to leave its band; decade-wide workqueue
    // buckets keep the wider one.
    const quantile = (metric: string) => detectorDefaultsFor({ metric, matchers: [], fn: "histogram_quantile", q: 0.5, by: ["le"] }).params.absoluteFloor;
    expect(quantile("controller_runtime_reconcile_time_seconds_bucket")).toBe(0.0002);
    expect(quantile("workqueue_work_duration_seconds_bucket")).toBe(0.005);
  });

  it("gives every built-in series a domain that never lets its band go below zero (or a ratio above one)", () => {
    for (const s of defaultWatchedSeries(["pods", "configmaps"])) expect(s.params.domain).toBe(s.query.fn === "ratio" || s.query.fn === "slow_share" ? "unit" : "nonNegative");
  });

  it("refuses malformed queries with the field at fault", () => {
    const bad = seriesQuerySchema.safeParse({ metric: "x_bucket", matchers: [], fn: "histogram_quantile" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual(["q"]);
    expect(seriesQuerySchema.safeParse({ metric: "9bad", fn: "raw" }).error?.issues[0].path).toEqual(["metric"]);
    expect(seriesQuerySchema.safeParse({ metric: "ok", fn: "raw", matchers: [{ name: "a-b", op: "=", value: "" }] }).success).toBe(false);
    expect(seriesQuerySchema.safeParse({ metric: "errors_total", fn: "ratio" }).error?.issues.map((i) => i.path.join("."))).toEqual(["over"]);
    expect(seriesQuerySchema.safeParse({ metric: "errors_total", fn: "raw", less: { metric: "x_total" } }).error?.issues.map((i) => i.path.join("."))).toEqual(["less"]);
    const mean = seriesQuerySchema.safeParse({ metric: "x_seconds_sum", fn: "mean" });
    expect(mean.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual(["metric: mean takes the histogram's base name (without _bucket, _sum or _count)"]);
  });
});

describe("recorded series fetcher", () => {
  it("reads a mean as the rate of _sum over the rate of _count, with no point where nothing was observed", async () => {
    const asked: RangeQuery[] = [];
    const rates: Record<string, Array<[number, number]>> = {
      x_seconds_sum: [
        [10_000, 0.3],
        [15_000, 0],
        [20_000, 0.9],
      ],
      x_seconds_count: [
        [10_000, 10],
        [15_000, 0],
        [20_000, 10],
      ],
    };
    const fetch = recordedSeriesFetcher(async (q) => {
      asked.push(q);
      return { series: [{ labels: {}, points: rates[q.metric] ?? [] }], step: q.stepMs ?? 0 };
    }, 5_000);
    const points = await fetch({ metric: "x_seconds", matchers: [{ name: "controller", op: "=", value: "pods" }], fn: "mean", agg: "sum" }, 0, 20_000);
    expect(points).toEqual([
      [10_000, 0.03],
      [20_000, 0.09],
    ]);
    expect(asked.map((q) => [q.metric, q.fn, q.aggregate?.op, q.matchers[0]?.value])).toEqual([
      ["x_seconds_sum", "rate", "sum", "pods"],
      ["x_seconds_count", "rate", "sum", "pods"],
    ]);
  });

  const fetcherOver = (rates: Record<string, Array<[number, number]>>, windowMs = 60_000) => {
    const asked: RangeQuery[] = [];
    const fetch = recordedSeriesFetcher(async (q) => {
      asked.push(q);
      const key = `${q.metric}${q.matchers.map((m) => `,${m.name}=${m.value}`).join("")}|${q.fn}`;
      return { series: [{ labels: {}, points: rates[key] ?? rates[`${q.metric}|${q.fn}`] ?? [] }], step: 5_000, windowMs };
    }, 5_000);
    return { fetch, asked };
  };

  it("reads a ratio with the events behind it: trials in the window and the share of the window each step adds", async () => {
    const { fetch, asked } = fetcherOver({
      "errors_total|rate": [
        [10_000, 0.05],
        [20_000, 0],
      ],
      "reconciles_total|rate": [
        [10_000, 0.5],
        [15_000, 0],
        [20_000, 0.25],
      ],
    });
    const points = await fetch({ metric: "errors_total", matchers: [{ name: "controller", op: "=", value: "pods" }], fn: "ratio", over: { metric: "reconciles_total" }, agg: "sum" }, 0, 20_000);
    // No point where nothing was reconciled; 0.5/s over a 60 s window is 30 trials.
    expect(points).toEqual([
      [10_000, 0.1, 30, 5_000 / 60_000],
      [20_000, 0, 15, 5_000 / 60_000],
    ]);
    expect(asked.map((q) => [q.metric, q.fn, q.matchers[0]?.value])).toEqual([
      ["errors_total", "rate", "pods"],
      ["reconciles_total", "rate", "pods"],
    ]);
  });

  it("leaves out the events of another counter from a rate, never going below zero", async () => {
    const { fetch, asked } = fetcherOver({
      "adds_total|rate": [
        [10_000, 3],
        [15_000, 1],
        [20_000, 2],
      ],
      "reasons_total,reason=resync|rate": [
        [10_000, 2],
        [15_000, 1.5],
      ],
    });
    const points = await fetch({ metric: "adds_total", matchers: [], fn: "rate", less: { metric: "reasons_total", matchers: [{ name: "reason", op: "=", value: "resync" }] } }, 0, 20_000);
    expect(points).toEqual([
      [10_000, 1],
      [15_000, 0],
      [20_000, 2],
    ]);
    expect(asked[1].matchers).toEqual([{ name: "reason", op: "=", value: "resync" }]);
  });

  it("leaves out the points whose window counted events of the `except` counter, reading both over the query's window", async () => {
    const { fetch, asked } = fetcherOver({
      "wait_seconds_bucket|histogram_quantile": [
        [10_000, 0.9],
        [15_000, 0.9],
        [20_000, 0.001],
      ],
      "wait_seconds_count|rate": [
        [10_000, 5],
        [15_000, 5],
        [20_000, 5],
      ],
      "reasons_total,reason=resync|rate": [
        [10_000, 1.1],
        [15_000, 0.2],
        [20_000, 0],
      ],
    });
    const points = await fetch(
      { metric: "wait_seconds_bucket", matchers: [], fn: "histogram_quantile", q: 0.99, by: ["le"], agg: "sum", windowSteps: 6, except: { metric: "reasons_total", matchers: [{ name: "reason", op: "=", value: "resync" }] } },
      0,
      20_000,
    );
    expect(points).toEqual([[20_000, 0.001]]);
    expect(asked.map((q) => q.windowMs)).toEqual([30_000, 30_000, 30_000]);
  });

  it("gives a quantile only where its window held enough observations for it (100 for a p99)", async () => {
    const { fetch } = fetcherOver({
      "work_seconds_bucket|histogram_quantile": [
        [10_000, 0.02],
        [15_000, 0.09],
        [20_000, 0.03],
      ],
      // 2/s over 60 s is 120 observations; 1/s is 60: the p99 of 60 is the largest of them.
      "work_seconds_count|rate": [
        [10_000, 2],
        [15_000, 1],
        [20_000, 100 / 60],
      ],
    });
    const points = await fetch({ metric: "work_seconds_bucket", matchers: [], fn: "histogram_quantile", q: 0.99, by: ["le"], agg: "sum" }, 0, 20_000);
    expect(points).toEqual([
      [10_000, 0.02],
      [20_000, 0.03],
    ]);
  });
});
