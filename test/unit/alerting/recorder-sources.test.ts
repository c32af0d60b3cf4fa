import { describe, expect, it } from "vitest";
import { parseRule, type RecorderQuery } from "../../../server/alerting/rule-schema";
import { leakTrendSource, recorderSources } from "../../../server/alerting/sources";
import { rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { MemorySampleSource } from "../../../server/query/sample-source";

const S = 1_000;
const T = 3_600 * S;

function queryOf(input: Record<string, unknown>): RecorderQuery {
  const rule = parseRule({ name: "q", kind: "threshold", spec: { query: input, comparator: ">", value: 0 } });
  if (rule.kind !== "threshold") throw new Error("unreachable");
  return rule.spec.query;
}

describe("recorder-backed data sources (contract with server/query)", () => {
  const source = new MemorySampleSource();
  const every5s = (from: number, to: number, value: (t: number) => number) => {
    const out = [];
    for (let t = from; t <= to; t += 5 * S) out.push({ t, v: value(t) });
    return out;
  };
  source.add("workqueue_depth", { controller: "pods", name: "pods" }, every5s(T - 600 * S, T, (t) => (t >= T - 60 * S ? 150 : 3)), "gauge");
  source.add("workqueue_depth", { controller: "nodes", name: "nodes" }, every5s(T - 600 * S, T - 400 * S, () => 7), "gauge");
  source.add("controller_runtime_reconcile_errors_total", { controller: "pods" }, every5s(T - 600 * S, T, (t) => (t - (T - 600 * S)) / S), "counter");
  const sources = recorderSources((q) => runRangeQuery(source, rangeQuerySchema.parse(q)));

  it("raw instant values are the latest sample within the 5-minute lookback", async () => {
    const samples = await sources.queryInstant(queryOf({ metric: "workqueue_depth" }), T);
    expect(samples).toEqual([{ labels: { controller: "pods", name: "pods" }, value: 150 }]);
    const earlier = await sources.queryInstant(queryOf({ metric: "workqueue_depth", matchers: [{ name: "controller", op: "=", value: "pods" }] }), T - 120 * S);
    expect(earlier).toEqual([{ labels: { controller: "pods", name: "pods" }, value: 3 }]);
  });

  it("aggregations and rate are evaluated at the time asked", async () => {
    const max = await sources.queryInstant(queryOf({ metric: "workqueue_depth", agg: "max", by: ["controller"] }), T);
    expect(max).toEqual([{ labels: { controller: "pods" }, value: 150 }]);
    const rate = await sources.queryInstant(queryOf({ metric: "controller_runtime_reconcile_errors_total", fn: "rate", rangeMs: "2m" }), T);
    expect(rate).toHaveLength(1);
    expect(rate[0].labels).toEqual({ controller: "pods" });
    expect(rate[0].value).toBeCloseTo(1, 5);
  });

  it("lastSampleAge is the age of the newest matching sample, null beyond the lookback", async () => {
    expect(await sources.lastSampleAge(queryOf({ metric: "workqueue_depth", matchers: [{ name: "controller", op: "=", value: "nodes" }] }), T, 900 * S)).toBeCloseTo(400 * S, -2);
    expect(await sources.lastSampleAge(queryOf({ metric: "workqueue_depth", matchers: [{ name: "controller", op: "=", value: "nodes" }] }), T, 300 * S)).toBeNull();
    expect(await sources.lastSampleAge(queryOf({ metric: "nothing_here" }), T, 300 * S)).toBeNull();
  });

  it("leak trends: slope per minute and how long the suspects have kept growing", async () => {
    const leaks = new MemorySampleSource();
    // Timers of pods grow by 2 per minute for the last 12 minutes (flat before); sockets of nodes stay flat.
    const start = T - 3_600 * S;
    const timers = [];
    const sockets = [];
    for (let t = start; t <= T; t += 15 * S) {
      const minutesGrowing = Math.max(0, (t - (T - 12 * 60 * S)) / 60_000);
      timers.push({ t, v: 5 + Math.floor(2 * minutesGrowing) });
      sockets.push({ t, v: 3 + ((t / (15 * S)) % 2) });
    }
    leaks.add("loopscope_leak_suspects", { controller: "pods", type: "Timeout" }, timers, "gauge");
    leaks.add("loopscope_leak_suspects", { controller: "nodes", type: "TCPSocketWrap" }, sockets, "gauge");
    const trends = await leakTrendSource((q) => runRangeQuery(leaks, rangeQuerySchema.parse(q))).leakTrends(T);
    const pods = trends.find((t) => t.controller === "pods")!;
    expect(pods.type).toBe("Timeout");
    // It has grown for 12 minutes: the 10- or 15-minute window, never the 30-minute one.
    expect([10 * 60_000, 15 * 60_000]).toContain(pods.growingForMs);
    expect(pods.slopePerMinute).toBeCloseTo(2, 0);
    expect(pods.current).toBe(29);
    const nodes = trends.find((t) => t.controller === "nodes")!;
    expect(nodes.growingForMs).toBe(0);
    // The default LeakGrowth rule (≥ 1/min for 10 min) fires for pods only.
    const rule = parseRule({ name: "LeakGrowth/pods", kind: "leak", spec: { minSlope: 1, sustainedMs: "10m" } });
    expect(rule.kind === "leak" && trends.filter((t) => t.slopePerMinute >= rule.spec.minSlope && t.growingForMs >= rule.spec.sustainedMs).map((t) => t.controller)).toEqual(["pods"]);
  });
});
