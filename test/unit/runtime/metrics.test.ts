import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoRuntime } from "../../../server/demo";
import { CellHistogram } from "../../../server/runtime/metrics/cell-histogram";
import { HistogramCell } from "../../../server/runtime/metrics/histogram-cell";
import { RECONCILE_TIME_BUCKETS, RuntimeMetrics, WORKQUEUE_BUCKETS } from "../../../server/runtime/metrics/runtime-metrics";
import type { ControllerRuntime } from "../../../server/runtime/runtime";
import { bucketBounds, type Family, labelSets, parsePrometheusText } from "./support/prom-text";

async function until(condition: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("CellHistogram", () => {
  it("exposes exactly what a prom-client Histogram with the same observations exposes", async () => {
    const values = [0, 1e-9, 3e-7, 0.002, 0.05, 0.5, 1, 7, 99, 1000, 5000];
    const expected = new Registry();
    const reference = new Histogram({ name: "h", help: "help text", labelNames: ["name", "controller"], buckets: [...WORKQUEUE_BUCKETS], registers: [expected] });
    const actual = new Registry();
    const cell = new HistogramCell(WORKQUEUE_BUCKETS);
    new CellHistogram({
      name: "h",
      help: "help text",
      labelNames: ["name", "controller"],
      buckets: WORKQUEUE_BUCKETS,
      registers: [actual],
      series: () => [{ labels: { name: "q", controller: "q" }, cell }],
    });
    for (const value of values) {
      reference.observe({ name: "q", controller: "q" }, value);
      cell.observe(value);
    }
    const normalise = (text: string) =>
      text
        .split("\n")
        .map((line) => line.replace(/\{(.*)\}/, (_m, labels: string) => `{${labels.split(",").sort().join(",")}}`))
        .sort();
    expect(normalise(await actual.metrics())).toEqual(normalise(await expected.metrics()));
    // prom-client adds `exemplar: null` to bucket entries; exemplars are not used here.
    const withoutExemplars = (json: unknown) => JSON.parse(JSON.stringify(json, (key, value) => (key === "exemplar" ? undefined : value)));
    expect(withoutExemplars(await actual.getMetricsAsJSON())).toEqual(withoutExemplars(await expected.getMetricsAsJSON()));
  });
});

describe("controller-runtime metrics after a demo run", () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let runtime: ControllerRuntime;
  let families: Map<string, Family>;

  beforeAll(async () => {
    ({ runtime } = createDemoRuntime({ registry, schedule: "errors@pods", timeScale: 20, seed: 7, workers: 2 }));
    await runtime.start();
    const pods = runtime.controller("pods")!;
    await until(() => pods.metrics.errors > 0 && runtime.controllers().every((c) => c.metrics.results.success > 0), "reconciles and errors on every controller");
    families = parsePrometheusText(await registry.metrics());
  }, 30_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  const controllers = ["pods", "deployments", "configmaps"];
  const types: Record<string, Family["type"]> = {
    workqueue_depth: "gauge",
    workqueue_adds_total: "counter",
    workqueue_queue_duration_seconds: "histogram",
    workqueue_work_duration_seconds: "histogram",
    workqueue_unfinished_work_seconds: "gauge",
    workqueue_longest_running_processor_seconds: "gauge",
    workqueue_retries_total: "counter",
    workqueue_delayed_items: "gauge",
    controller_runtime_reconcile_total: "counter",
    controller_runtime_reconcile_errors_total: "counter",
    controller_runtime_terminal_reconcile_errors_total: "counter",
    controller_runtime_reconcile_panics_total: "counter",
    controller_runtime_reconcile_time_seconds: "histogram",
    controller_runtime_max_concurrent_reconciles: "gauge",
    controller_runtime_active_workers: "gauge",
    controller_runtime_reconcile_timeouts_total: "counter",
    loopscope_reconcile_reasons_total: "counter",
  };

  it("has every controller-runtime name with its type, next to the nodejs_* defaults", () => {
    for (const [name, type] of Object.entries(types)) expect(families.get(name)?.type, name).toBe(type);
    expect(families.has("nodejs_heap_size_used_bytes")).toBe(true);
  });

  it("labels workqueue series with name = controller (+ priority=\"\" on depth)", () => {
    expect(labelSets(families.get("workqueue_depth")!)).toEqual(["controller,name,priority"]);
    for (const sample of families.get("workqueue_depth")!.samples) {
      expect(sample.labels.priority).toBe("");
      expect(sample.labels.name).toBe(sample.labels.controller);
    }
    for (const name of Object.keys(types).filter((n) => n.startsWith("workqueue_") && n !== "workqueue_depth")) {
      expect(labelSets(families.get(name)!), name).toEqual(["controller,name"]);
      expect(new Set(families.get(name)!.samples.map((s) => s.labels.controller))).toEqual(new Set(controllers));
    }
  });

  it("uses controller-runtime's buckets: 12 for the workqueue histograms, 40 for reconcile time", () => {
    for (const controller of controllers) {
      const labels = { name: controller, controller };
      expect(bucketBounds(families.get("workqueue_queue_duration_seconds")!, labels)).toEqual([...WORKQUEUE_BUCKETS]);
      expect(bucketBounds(families.get("workqueue_work_duration_seconds")!, labels)).toEqual([...WORKQUEUE_BUCKETS]);
      expect(bucketBounds(families.get("controller_runtime_reconcile_time_seconds")!, { controller })).toHaveLength(40);
      expect(bucketBounds(families.get("controller_runtime_reconcile_time_seconds")!, { controller })).toEqual([...RECONCILE_TIME_BUCKETS]);
    }
  });

  it("pre-initialises all four results per controller and carries the reasons", () => {
    const total = families.get("controller_runtime_reconcile_total")!;
    expect(labelSets(total)).toEqual(["controller,result"]);
    for (const controller of controllers) {
      expect(total.samples.filter((s) => s.labels.controller === controller).map((s) => s.labels.result)).toEqual(["success", "error", "requeue", "requeue_after"]);
    }
    const reasons = families.get("loopscope_reconcile_reasons_total")!;
    expect(labelSets(reasons)).toEqual(["controller,reason"]);
    expect(reasons.samples.find((s) => s.labels.controller === "pods" && s.labels.reason === "object-added")!.value).toBeGreaterThan(0);
    expect(reasons.samples.filter((s) => s.labels.controller === "pods")).toHaveLength(7);
  });

  it("counts errors for the faulty controller and exports timeouts only where a timeout is set", () => {
    const errors = families.get("controller_runtime_reconcile_errors_total")!;
    expect(errors.samples.find((s) => s.labels.controller === "pods")!.value).toBeGreaterThan(0);
    expect(families.get("controller_runtime_reconcile_timeouts_total")!.samples.map((s) => s.labels.controller)).toEqual(["deployments"]);
    for (const name of ["controller_runtime_max_concurrent_reconciles", "controller_runtime_active_workers", "controller_runtime_reconcile_panics_total"]) {
      expect(labelSets(families.get(name)!), name).toEqual(["controller"]);
    }
    expect(families.get("controller_runtime_max_concurrent_reconciles")!.samples.map((s) => s.value)).toEqual([2, 2, 2]);
  });

  it("registers once per registry, however many controllers share it", () => {
    expect(RuntimeMetrics.of(registry)).toBe(RuntimeMetrics.of(registry));
    expect(registry.getMetricsAsArray().filter((m) => (m as unknown as { name: string }).name === "workqueue_depth")).toHaveLength(1);
  });
});
