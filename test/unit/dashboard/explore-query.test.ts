import { describe, expect, it } from "vitest";
import { exploreTextOf, watchQueryOf } from "../../../server/dashboard/explore";
import { formatExploreQuery, parseExploreQuery } from "../../../server/dashboard/explore-query";

describe("explore queries (the PromQL subset)", () => {
  it("parses a selector, a function with a range, an aggregation and histogram_quantile", () => {
    expect(parseExploreQuery('workqueue_depth{name="pods"}')).toEqual({ metric: "workqueue_depth", matchers: [{ name: "name", op: "=", value: "pods" }], fn: "raw" });
    expect(parseExploreQuery('sum by (name) (rate(workqueue_adds_total{name=~"pods|nodes"}[5m]))')).toEqual({
      metric: "workqueue_adds_total",
      matchers: [{ name: "name", op: "=~", value: "pods|nodes" }],
      fn: "rate",
      windowMs: 300_000,
      aggregate: { op: "sum", by: ["name"] },
    });
    expect(parseExploreQuery("max(rate(x[30s])) by (a, b)").aggregate).toEqual({ op: "max", by: ["a", "b"] });
    expect(parseExploreQuery("histogram_quantile(0.99, sum by (le, name) (rate(workqueue_work_duration_seconds_bucket[5m])))")).toEqual({
      metric: "workqueue_work_duration_seconds",
      matchers: [],
      fn: "histogram_quantile",
      quantile: 0.99,
      windowMs: 300_000,
      aggregate: { op: "sum", by: ["name"] },
    });
  });

  it("round-trips through its text form", () => {
    for (const text of ['sum by (name) (rate(workqueue_adds_total{name!="x"}[1m]))', "histogram_quantile(0.5, sum by (le) (rate(a_bucket[2m])))", "avg (b)", "deriv(c[10m])"]) {
      const q = parseExploreQuery(text);
      expect(parseExploreQuery(formatExploreQuery(q))).toEqual(q);
    }
  });

  it("says what is wrong and where", () => {
    expect(() => parseExploreQuery("rate(x)")).not.toThrow();
    expect(() => parseExploreQuery('x{a=~"("}')).toThrow(/not a valid regular expression/);
    expect(() => parseExploreQuery("sum(x")).toThrow(/ends too early/);
    expect(() => parseExploreQuery("x[5m]")).toThrow(/needs a function/);
    expect(() => parseExploreQuery("x y")).toThrow(/unexpected "y".*character 3/);
    expect(() => parseExploreQuery("histogram_quantile(2, rate(x_bucket[1m]))")).toThrow(/between 0 and 1/);
    expect(() => parseExploreQuery('x{a="b}')).toThrow(/unterminated string/);
    expect(() => parseExploreQuery("x".repeat(3_000))).toThrow(/longer than/);
    expect(() => parseExploreQuery("   ")).toThrow(/empty/);
  });

  it("a watched series' query turns into explore text and back into the same watched query", () => {
    const watched = { metric: "workqueue_work_duration_seconds_bucket", matchers: [{ name: "name", op: "=" as const, value: "pods" }], fn: "histogram_quantile" as const, q: 0.99, by: ["le"], agg: "sum" as const };
    const text = exploreTextOf(watched);
    expect(text).toBe('histogram_quantile(0.99, sum by (le) (rate(workqueue_work_duration_seconds_bucket{name="pods"}[5m])))');
    expect(watchQueryOf(parseExploreQuery(text))).toEqual(watched);
  });
});

describe("explore query durations", () => {
  it("take Prometheus's duration syntax, as the configuration and the alert API do", () => {
    expect(parseExploreQuery("rate(x_total[1h30m])").windowMs).toBe(5_400_000);
    expect(parseExploreQuery("rate(x_total[90s])").windowMs).toBe(90_000);
    expect(() => parseExploreQuery("rate(x_total[1.5m])")).toThrow(/"1\.5m" is not a duration such as/);
    expect(() => parseExploreQuery("rate(x_total[0s])")).toThrow(/empty/);
    expect(formatExploreQuery({ metric: "x_total", matchers: [], fn: "rate", windowMs: 5_400_000 })).toBe("rate(x_total[1h30m])");
  });
});
