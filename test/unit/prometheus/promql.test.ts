import { describe, expect, it } from "vitest";
import { durationText, evaluatedExpression, rawSamplesExpression, selectorText } from "../../../server/prometheus/promql";
import { type RangeQueryInput, rangeQuerySchema } from "../../../server/query/range-query";

function q(input: Partial<RangeQueryInput>) {
  return rangeQuerySchema.parse({ metric: "workqueue_depth", start: 0, end: 60_000, ...input });
}

describe("range queries as PromQL", () => {
  it("writes selectors with quoted values, so a value cannot change the expression", () => {
    expect(selectorText("m", [])).toBe("m");
    expect(selectorText("m", [{ name: "name", op: "=", value: 'a"b\\c\n' }, { name: "job", op: "=~", value: "op.*" }])).toBe('m{name="a\\"b\\\\c\\n",job=~"op.*"}');
    expect(selectorText("m", [{ name: "namespace", op: "=", value: "" }])).toBe('m{namespace=""}');
  });

  it("writes durations as whole seconds or milliseconds", () => {
    expect(durationText(60_000)).toBe("60s");
    expect(durationText(1_500)).toBe("1500ms");
    expect(durationText(0)).toBe("1ms");
  });

  it("aggregates instant values, and applies rate/increase/deriv over the window", () => {
    const by = { op: "sum" as const, by: ["job", "name"] };
    expect(evaluatedExpression(q({ fn: "raw", aggregate: by }), 300_000)).toBe("sum by (job,name) (workqueue_depth)");
    expect(evaluatedExpression(q({ fn: "raw", aggregate: { op: "max", by: [] } }), 300_000)).toBe("max(workqueue_depth)");
    const matchers = [{ name: "name", op: "=" as const, value: "alpha" }];
    expect(evaluatedExpression(q({ metric: "workqueue_adds_total", matchers, fn: "rate", aggregate: { op: "sum", by: [] } }), 60_000)).toBe(
      'sum(rate(workqueue_adds_total{name="alpha"}[60s]))',
    );
    expect(evaluatedExpression(q({ metric: "x_total", fn: "increase" }), 90_000)).toBe("increase(x_total[90s])");
    expect(evaluatedExpression(q({ fn: "deriv", aggregate: { op: "max", by: ["controller"] } }), 300_000)).toBe("max by (controller) (deriv(workqueue_depth[300s]))");
  });

  it("reads histogram_quantile from the _bucket series, summed by le and the asked labels", () => {
    expect(evaluatedExpression(q({ metric: "workqueue_work_duration_seconds", fn: "histogram_quantile", quantile: 0.99, aggregate: { op: "sum", by: ["name"] } }), 60_000)).toBe(
      "histogram_quantile(0.99, sum by (le,name) (rate(workqueue_work_duration_seconds_bucket[60s])))",
    );
    expect(evaluatedExpression(q({ metric: "lat_bucket", fn: "histogram_quantile", quantile: 0.5 }), 60_000)).toBe("histogram_quantile(0.5, rate(lat_bucket[60s]))");
  });

  it("reads raw samples as a range vector", () => {
    expect(rawSamplesExpression({ metric: "m", matchers: [{ name: "a", op: "!=", value: "" }] }, 300_001)).toBe('m{a!=""}[300001ms]');
  });

  it("keeps the source on the query schema (local by default)", () => {
    expect(q({}).source).toBeUndefined();
    expect(q({ source: "prometheus" }).source).toBe("prometheus");
    expect(rangeQuerySchema.safeParse({ metric: "m", start: 0, end: 1, source: "elsewhere" }).success).toBe(false);
  });
});
