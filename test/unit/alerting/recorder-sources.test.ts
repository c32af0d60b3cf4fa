import { describe, expect, it } from "vitest";
import { evaluateCondition } from "../../../server/alerting/conditions";
import { emptyDataSources } from "../../../server/alerting/data-sources";
import { defaultRules } from "../../../server/alerting/default-rules";
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

  it("leak trends: the trend test's verdict, slope per minute and how long it has held", async () => {
    const leaks = new MemorySampleSource();
    // Timers of pods grow by 2 per minute for the last 12 minutes (flat before); sockets of nodes wobble.
    const start = T - 3_600 * S;
    const timers = [];
    const sockets = [];
    for (let t = start; t <= T; t += 15 * S) {
      const minutesGrowing = Math.max(0, (t - (T - 12 * 60 * S)) / 60_000);
      timers.push({ t, v: 5 + Math.floor(2 * minutesGrowing) });
      sockets.push({ t, v: 3 + ((t / (15 * S)) % 2) });
    }
    leaks.add("loopscope_leaked_resources", { controller: "pods", type: "Timeout" }, timers, "gauge");
    leaks.add("loopscope_leaked_resources", { controller: "nodes", type: "TCPSocketWrap" }, sockets, "gauge");
    const trends = await leakTrendSource((q) => runRangeQuery(leaks, rangeQuerySchema.parse(q))).leakTrends(T);
    const pods = trends.find((t) => t.controller === "pods")!;
    expect(pods).toMatchObject({ type: "Timeout", growing: true, current: 29 });
    expect(pods.growingForMs).toBeGreaterThanOrEqual(8 * 60_000);
    expect(pods.growingForMs).toBeLessThanOrEqual(12 * 60_000);
    expect(pods.slopePerMinute).toBeCloseTo(2, 0);
    expect(trends.find((t) => t.controller === "nodes")).toMatchObject({ growing: false, growingForMs: 0 });
  });

  it("the default leak-growth alert fires within 60 s of sustained growth and resolves within 2 minutes after it stops", async () => {
    // A timer leak recorded every 5 s: flat at 4, one more timer a second from 20 to 30 minutes, then flat
    // (the leaked timers stay alive). Issue 13: the old rule fired 9 minutes after such a leak had ended.
    const END = 24 * 3_600 * S;
    const leaks = new MemorySampleSource();
    const leakStart = END - 40 * 60 * S;
    const leakEnd = leakStart + 10 * 60 * S;
    const samples = [];
    for (let t = END - 60 * 60 * S; t <= END; t += 5 * S) samples.push({ t, v: 4 + Math.max(0, Math.min(t, leakEnd) - leakStart) / S });
    leaks.add("loopscope_leaked_resources", { controller: "pods", type: "Timeout" }, samples, "gauge");
    // A keep-alive pool of another controller warms up to 20 sockets in 10 s and stays flat.
    const pool = [];
    for (let t = END - 60 * 60 * S; t <= END; t += 5 * S) pool.push({ t, v: t < leakStart ? 0 : Math.min(20, ((t - leakStart) / (5 * S) + 1) * 10) });
    leaks.add("loopscope_leaked_resources", { controller: "services", type: "TCPSocketWrap" }, pool, "gauge");
    const source = leakTrendSource((q) => runRangeQuery(leaks, rangeQuerySchema.parse(q)));
    const rule = defaultRules(["pods", "services"]).find((r) => r.name === "LeakGrowth")!;
    const firing: number[] = [];
    let poolFired = false;
    for (let at = leakStart - 5 * 60 * S; at <= END; at += 15 * S) {
      const sources = { ...emptyDataSources, leakTrends: () => source.leakTrends(at) };
      const samples = await evaluateCondition(rule, sources, at);
      if (samples.some((s) => s.labels.controller === "pods")) firing.push(at);
      if (samples.some((s) => s.labels.controller === "services")) poolFired = true;
    }
    expect(firing.length).toBeGreaterThan(0);
    expect(firing[0] - leakStart).toBeLessThanOrEqual(60 * S);
    expect(firing[firing.length - 1] - leakEnd).toBeLessThan(120 * S);
    // It fired throughout the leak, without a gap.
    expect(firing.length).toBe((firing[firing.length - 1] - firing[0]) / (15 * S) + 1);
    expect(poolFired).toBe(false);
  });

  it("the leak-growth alert also judges scraped targets' go_goroutines and process_open_fds, the target as the controller", async () => {
    const END = 24 * 3_600 * S;
    const recorded = new MemorySampleSource();
    const every15s = (value: (t: number) => number) => {
      const out = [];
      for (let t = END - 30 * 60 * S; t <= END; t += 15 * S) out.push({ t, v: value(t) });
      return out;
    };
    const leakFrom = END - 10 * 60 * S;
    // A Go operator leaking one goroutine per reconcile (4 a minute) for the last 10 minutes, its descriptors flat.
    recorded.add("go_goroutines", { instance: "127.0.0.1:8080", job: "operator" }, every15s((t) => 40 + Math.max(0, Math.floor((t - leakFrom) / (15 * S)))), "gauge");
    recorded.add("process_open_fds", { instance: "127.0.0.1:8080", job: "operator" }, every15s(() => 12), "gauge");
    // Prometheus: goroutines wobble, no growth. A Node agent: open descriptors grow by 2 a minute.
    recorded.add("go_goroutines", { instance: "127.0.0.1:9090", job: "prometheus" }, every15s((t) => 120 + ((t / (15 * S)) % 3)), "gauge");
    recorded.add("process_open_fds", { instance: "127.0.0.1:9465", job: "orders-api" }, every15s((t) => 30 + Math.max(0, Math.floor((t - leakFrom) / (30 * S)))), "gauge");
    // Loopscope's own descriptors are its tracker's business, not a target's.
    recorded.add("process_open_fds", { instance: "127.0.0.1:3000", job: "loopscope" }, every15s((t) => 50 + Math.max(0, Math.floor((t - leakFrom) / (15 * S)))), "gauge");
    const source = leakTrendSource((q) => runRangeQuery(recorded, rangeQuerySchema.parse(q)));
    const trends = await source.leakTrends(END);
    expect(trends.map((t) => [t.controller, t.type, t.growing]).sort()).toEqual([
      ["operator", "FileDescriptor", false],
      ["operator", "Goroutine", true],
      ["orders-api", "FileDescriptor", true],
      ["prometheus", "Goroutine", false],
    ]);
    const rule = defaultRules(["operator"]).find((r) => r.name === "LeakGrowth")!;
    const samples = await evaluateCondition(rule, { ...emptyDataSources, leakTrends: () => source.leakTrends(END) }, END);
    expect(samples.map((s) => s.labels).sort((a, b) => a.controller.localeCompare(b.controller))).toEqual([
      { controller: "operator", type: "Goroutine" },
      { controller: "orders-api", type: "FileDescriptor" },
    ]);
    expect(samples.find((s) => s.labels.controller === "operator")?.value).toBeCloseTo(4, 0);
  });
});
