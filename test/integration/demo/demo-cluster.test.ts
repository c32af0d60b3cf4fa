import { afterEach, describe, expect, it } from "vitest";
import { createDemoRuntime, type DemoRuntimeOptions } from "../../../server/demo";
import type { ControllerRuntime } from "../../../server/runtime/runtime";

async function until(condition: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function resourceCount(type: string): number {
  return process.getActiveResourcesInfo().filter((t) => t === type).length;
}

let running: ControllerRuntime | undefined;

function demo(options: DemoRuntimeOptions) {
  const created = createDemoRuntime({ registry: false, seed: 11, timeScale: 20, workers: 2, ...options });
  running = created.runtime;
  return created;
}

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("demo cluster leaks", () => {
  it("creates timer leaks inside reconciles of the target controller and clears them on stop", async () => {
    const baseline = resourceCount("Timeout");
    const { runtime, cluster } = demo({ schedule: "leak-timer@pods" });
    await runtime.start();
    await until(() => cluster.leaks.counts().timer >= 10, "10 leaked intervals");
    const records = cluster.leaks.records();
    expect(records.every((r) => r.kind === "timer" && r.context?.controller === "pods" && r.context.key.includes("/") && r.context.reconcileId > 0)).toBe(true);
    expect(resourceCount("Timeout") - baseline).toBeGreaterThanOrEqual(10);
    expect(cluster.faultReport().current).toMatchObject({ fault: "leak-timer", controller: "pods", endAt: null, state: "active" });
    await runtime.stop();
    expect(cluster.leaks.counts().timer).toBe(0);
    expect(resourceCount("Timeout")).toBeLessThanOrEqual(baseline + 2);
  });

  it("keeps sockets to its loopback server open during leak-socket and closes them on stop", async () => {
    const baseline = resourceCount("TCPSocketWrap");
    const { runtime, cluster } = demo({ schedule: "leak-socket@pods" });
    await runtime.start();
    await until(() => cluster.leaks.counts().socket >= 5 && cluster.loopback.connectionCount >= 5, "5 leaked sockets connected");
    expect(cluster.leaks.records().every((r) => r.context?.controller === "pods")).toBe(true);
    expect(resourceCount("TCPSocketWrap") - baseline).toBeGreaterThanOrEqual(10);
    await runtime.stop();
    await until(() => resourceCount("TCPSocketWrap") <= baseline, "sockets closed", 5_000);
    expect(cluster.leaks.counts().socket).toBe(0);
  });

  it("leaves promises pending during leak-promise, attributed to their reconcile", async () => {
    const { runtime, cluster } = demo({ schedule: "leak-promise@configmaps" });
    await runtime.start();
    await until(() => cluster.leaks.counts().promise >= 5, "5 pending promises");
    const ids = new Set(cluster.leaks.records().map((r) => r.context?.reconcileId));
    expect(ids.has(undefined)).toBe(false);
    expect(cluster.leaks.records().every((r) => r.context?.controller === "configmaps")).toBe(true);
    await runtime.stop();
    expect(cluster.leaks.counts().promise).toBe(0);
  });
});

describe("demo cluster faults", () => {
  it("holds one reconcile stuck past its timeout until the demo stops", async () => {
    const { runtime, cluster } = demo({ schedule: "stuck@deployments" });
    await runtime.start();
    const deployments = runtime.controller("deployments")!;
    await until(() => deployments.metrics.timeouts >= 1, "the stuck reconcile to time out");
    const key = cluster.faultReport().current?.key;
    expect(key).toBeTruthy();
    const state = deployments.state();
    expect(state.processing.find((p) => p.key === key)).toMatchObject({ timedOut: true });
    expect(state.workers.busy).toBeGreaterThanOrEqual(1);
    await runtime.stop();
    expect(deployments.state().processing).toEqual([]);
  });

  it("spikes the queue depth with a burst and makes one key hot with hot-key", async () => {
    const burst = demo({ schedule: "burst@pods", intensity: { burstSize: 1_500 } });
    await burst.runtime.start();
    const pods = burst.runtime.controller("pods")!;
    let peak = 0;
    await until(() => {
      peak = Math.max(peak, pods.queue.depth());
      return pods.metrics.adds >= 1_500;
    }, "the burst to be enqueued");
    expect(peak).toBeGreaterThan(500);
    await burst.runtime.stop();

    const hot = demo({ schedule: "hot-key@deployments" });
    await hot.runtime.start();
    const deployments = hot.runtime.controller("deployments")!;
    await until(() => (deployments.state().hotKeys[0]?.adds ?? 0) >= 40, "40 adds of the hot key");
    expect(deployments.state().hotKeys[0].key).toBe(hot.cluster.faultReport().current?.key);
  });

  it("runs the 'all' schedule one fault at a time and reports it as ground truth", async () => {
    const { runtime, cluster } = demo({
      schedule: "all",
      timeScale: 40,
      timing: { firstFaultAtMs: 2_000, minDurationMs: 16_000, maxDurationMs: 16_000, minQuietMs: 4_000, maxQuietMs: 4_000 },
    });
    await runtime.start();
    const seen: string[] = [];
    await until(() => {
      const current = cluster.faultReport().current;
      if (current && seen[seen.length - 1] !== current.fault) seen.push(current.fault);
      if (!current) expect(cluster.leaks.counts()).toEqual({ timer: 0, socket: 0, promise: 0 });
      return cluster.faultReport().windows.filter((w) => w.state === "past").length >= 8;
    }, "all eight faults", 18_000);
    expect(seen).toEqual(["burst", "slow", "errors", "hot-key", "stuck", "leak-timer", "leak-socket", "leak-promise"]);
    const windows = cluster.faultReport().windows;
    for (let i = 1; i < windows.length; i += 1) expect(windows[i].startAt).toBeGreaterThanOrEqual(windows[i - 1].endAt as number);
    expect(windows.find((w) => w.fault === "stuck")?.key).toBeTruthy();
  }, 25_000);
});
