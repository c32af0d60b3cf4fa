import { Counter, Gauge, Histogram, Registry, Summary } from "prom-client";
import { describe, expect, it } from "vitest";
import { collectRegistry } from "../../../server/recorder/registry-collector";

describe("collectRegistry", () => {
  it("stores counters, gauges, histograms and summaries as Prometheus would", async () => {
    const registry = new Registry();
    const adds = new Counter({ name: "workqueue_adds_total", help: "Total adds", labelNames: ["name"], registers: [registry] });
    const depth = new Gauge({ name: "workqueue_depth", help: "Depth", labelNames: ["name"], registers: [registry] });
    const latency = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "Queue time",
      labelNames: ["name"],
      buckets: [1e-8, 0.005, 1, 1e6],
      registers: [registry],
    });
    const sizes = new Summary({ name: "req_size_bytes", help: "Sizes", percentiles: [0.5, 0.99], registers: [registry] });
    adds.inc({ name: "pods" }, 3);
    depth.set({ name: "pods" }, 7);
    latency.observe({ name: "pods" }, 0.004);
    latency.observe({ name: "pods" }, 0.5);
    latency.observe({ name: "pods" }, 5e6);
    sizes.observe(10);

    const samples = await collectRegistry(registry, 1_700_000_000_000);
    const find = (metric: string, labels: Record<string, string>) =>
      samples.find((s) => s.metric === metric && JSON.stringify(s.labels) === JSON.stringify(labels));

    expect(find("workqueue_adds_total", { name: "pods" })).toEqual({
      metric: "workqueue_adds_total",
      labels: { name: "pods" },
      value: 3,
      ts: 1_700_000_000_000,
      type: "counter",
      help: "Total adds",
    });
    expect(find("workqueue_depth", { name: "pods" })?.value).toBe(7);
    const bucket = (le: string) => find("workqueue_queue_duration_seconds_bucket", { le, name: "pods" })?.value;
    expect([bucket("1e-08"), bucket("0.005"), bucket("1"), bucket("1e+06"), bucket("+Inf")]).toEqual([0, 1, 2, 2, 3]);
    expect(find("workqueue_queue_duration_seconds_sum", { name: "pods" })?.value).toBeCloseTo(5e6 + 0.504, 6);
    expect(find("workqueue_queue_duration_seconds_count", { name: "pods" })?.value).toBe(3);
    expect(find("workqueue_queue_duration_seconds_count", { name: "pods" })?.type).toBe("histogram");
    expect(find("req_size_bytes", { quantile: "0.5" })?.value).toBe(10);
    expect(find("req_size_bytes", { quantile: "0.99" })).toBeDefined();
    expect(find("req_size_bytes_sum", {})?.value).toBe(10);
    expect(find("req_size_bytes_count", {})).toMatchObject({ value: 1, type: "summary" });
    expect(samples.every((s) => s.ts === 1_700_000_000_000)).toBe(true);
  });
});
