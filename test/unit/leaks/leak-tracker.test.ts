import { readFileSync } from "node:fs";
import { EventEmitter } from "node:events";
import { OutgoingMessage } from "node:http";
import net from "node:net";
import { constants as perfConstants, PerformanceObserver } from "node:perf_hooks";
import { setInterval as namedSetInterval } from "node:timers";
import { Stream } from "node:stream";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { LeakTracker, type LeakTrackerOptions } from "../../../server/leaks/leak-tracker";
import { SETTLED_UNTIMED, settledAt } from "../../../server/leaks/reconcile-settlement";
import { MAX_SAMPLED_CAPTURES_PER_SECOND } from "../../../server/leaks/resource-recorder";
import { reconcileContext, UNIT_TIMERS } from "../../../server/runtime/context";
import { Cleanup, reconcileOf, SkewClock, SteppedClock, sleep } from "../../leak-corpus/harness";
import { untilFullCollection } from "../../leak-corpus/heap-churn";
import { GRACE, manualTrackerOptions } from "./manual-tracker";

const thisFile = fileURLToPath(import.meta.url);
/** The 1-based line of this file carrying `marker` (a comment at the end of a leaking line). */
function lineOf(marker: string): number {
  const lines = readFileSync(thisFile, "utf8").split("\n");
  return lines.findIndex((line) => line.includes(`// ${marker}`)) + 1;
}

const cleanup = new Cleanup();
let tracker: LeakTracker | undefined;

afterEach(async () => {
  await tracker?.stop();
  tracker = undefined;
  await cleanup.run();
});

/** A started tracker whose own timers never fire during a test: the test drives sampling. */
async function manualTracker(clock: SkewClock | SteppedClock, options: LeakTrackerOptions = {}): Promise<{ tracker: LeakTracker; registry: Registry }> {
  const registry = new Registry();
  tracker = new LeakTracker({ ...manualTrackerOptions(clock, registry), ...options });
  await tracker.start();
  return { tracker, registry };
}

/** Runs `reconcile` `rounds` times as controller/key-i, letting the grace period pass and sampling after each. */
async function reconcileAndSample(
  t: LeakTracker,
  clock: SkewClock | SteppedClock,
  controller: string,
  rounds: number,
  reconcile: (round: number) => Promise<void> | void,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await t.trackReconcile(reconcileOf(controller, `default/object-${round}`), () => reconcile(round));
    clock.advance(GRACE);
    t.sample();
  }
}

function leakInterval(): NodeJS.Timeout {
  const timer = setInterval(() => undefined, 60_000); // LEAK-INTERVAL
  cleanup.add(() => clearInterval(timer));
  return timer;
}

async function suspectGauge(registry: Registry): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = registry.getSingleMetric("loopscope_leak_suspects");
  if (!metric) throw new Error("loopscope_leak_suspects is not registered");
  return (await metric.get()).values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

describe("LeakTracker", () => {
  it("blames a reconcile that leaks an interval: one Timeout group, its controller, a key, and the leaking line", async () => {
    const clock = new SkewClock();
    const { tracker: t, registry } = await manualTracker(clock);
    await reconcileAndSample(t, clock, "pods", 5, async () => {
      await Promise.resolve();
      leakInterval();
    });

    const suspects = t.suspects();
    expect(suspects).toHaveLength(1);
    const [group] = suspects;
    expect(group.type).toBe("Timeout");
    expect(group.count).toBe(5);
    expect(group.controllers).toEqual([{ controller: "pods", count: 5 }]);
    expect(group.sampleKeys).toContain("default/object-3");
    expect(group.stack[0]).toContain(`test/unit/leaks/leak-tracker.test.ts:${lineOf("LEAK-INTERVAL")}:`);
    expect(await suspectGauge(registry)).toEqual([{ labels: { controller: "pods", type: "Timeout" }, value: 5 }]);

    const detail = t.group(group.id);
    expect(detail?.history.map((p) => p.count)).toEqual([1, 2, 3, 4, 5]);
    expect(detail?.trend.slope).toBeGreaterThan(0);
  });

  it("does not blame a group that has not grown across a whole window (one leak, then flat)", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock);
    await reconcileAndSample(t, clock, "pods", 1, () => {
      leakInterval();
    });
    t.sample();
    t.sample();
    expect(t.groupList()).toHaveLength(1);
    expect(t.suspects()).toEqual([]);
  });

  it("reports nothing for a reconcile that cleans up after itself", async () => {
    const clock = new SkewClock();
    const { tracker: t, registry } = await manualTracker(clock);
    await reconcileAndSample(t, clock, "pods", 5, async () => {
      const deadline = setTimeout(() => undefined, 30_000);
      const poll = setInterval(() => undefined, 1_000);
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
      await new Promise<void>((resolve) => setImmediate(resolve));
      clearInterval(poll);
      clearTimeout(deadline);
    });
    expect(t.suspects()).toEqual([]);
    expect(t.groupList()).toEqual([]);
    expect(await suspectGauge(registry)).toEqual([]);
  });

  it("does not blame unref'd timers", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock);
    await reconcileAndSample(t, clock, "pods", 5, () => {
      leakInterval().unref();
    });
    expect(t.groupList()).toEqual([]);
  });

  it("groups resources created outside any reconcile as unattributed and never blames a controller for them", async () => {
    const clock = new SkewClock();
    const { tracker: t, registry } = await manualTracker(clock);
    const startup = setInterval(() => undefined, 60_000); // STARTUP-INTERVAL
    cleanup.add(() => clearInterval(startup));
    await reconcileAndSample(t, clock, "pods", 5, () => undefined);
    // Even a growing unattributed group is shown as growing, not as a suspect.
    for (let i = 0; i < 7; i++) {
      const timer = setInterval(() => undefined, 60_000);
      cleanup.add(() => clearInterval(timer));
      clock.advance(GRACE);
      t.sample();
    }

    expect(t.suspects()).toEqual([]);
    const unattributed = t.unattributed();
    const startupGroup = unattributed.find((g) => g.topFrame?.includes(`leak-tracker.test.ts:${lineOf("STARTUP-INTERVAL")}:`));
    expect(startupGroup).toMatchObject({ attributed: false, suspect: false, count: 1, controllers: [] });
    expect(unattributed.some((g) => g.growing && !g.suspect)).toBe(true);
    expect(await suspectGauge(registry)).toEqual([]);
  });

  it("stays bounded when a reconcile leaks 100,000 timers", async () => {
    const clock = new SkewClock();
    const { tracker: t, registry } = await manualTracker(clock, { maxTracked: 10_000, stackSampleRate: 0.1 });
    const timers: NodeJS.Timeout[] = [];
    cleanup.add(() => {
      for (const timer of timers) clearInterval(timer);
    });
    await t.trackReconcile(reconcileOf("pods", "default/flood"), () => {
      for (let i = 0; i < 100_000; i++) timers.push(setInterval(() => undefined, 3_600_000));
    });
    clock.advance(GRACE);
    t.sample();
    t.countResources();

    const status = t.status();
    expect(status.tracked).toBeLessThanOrEqual(10_000);
    expect(status.dropped).toBeGreaterThanOrEqual(90_000);
    expect(status.droppedByController).toEqual([{ controller: "pods", dropped: status.dropped }]);
    const counted = t.groupList().reduce((sum, g) => sum + g.count, 0);
    expect(counted).toBeLessThanOrEqual(10_000);
    const dropped = await registry.getSingleMetric("loopscope_leak_tracker_dropped_total")?.get();
    expect(dropped?.values[0]?.value).toBe(status.dropped);
  });

  /** Deep mode judges a promise only after a full collection the process runs on its own: allocate until there is one. */
  async function reconcileCollectAndSample(t: LeakTracker, clock: SteppedClock, controller: string, rounds: number, reconcile: () => Promise<void>): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      await t.trackReconcile(reconcileOf(controller, `default/object-${round}`), reconcile);
      clock.advance(GRACE);
      t.countResources(); // the tracker stops holding the young entries
      await untilFullCollection();
      t.sample();
    }
  }

  it("sees a promise left pending forever only in deep mode, switchable at run time", async () => {
    const clock = new SteppedClock();
    const { tracker: t } = await manualTracker(clock);
    const parked: Promise<void>[] = [];
    const leakPromise = async () => {
      await Promise.resolve();
      parked.push(new Promise<void>(() => undefined)); // LEAK-PROMISE
    };
    await reconcileAndSample(t, clock, "configmaps", 5, leakPromise);
    expect(t.suspects()).toEqual([]);

    t.setDeepMode(true);
    expect(t.status().deepMode).toBe(true);
    await reconcileCollectAndSample(t, clock, "configmaps", 5, leakPromise);
    expect(t.status().fullCollections).toBeGreaterThanOrEqual(5);
    t.setDeepMode(false);

    const suspects = t.suspects();
    expect(suspects.map((g) => [g.type, g.controllers[0]?.controller])).toEqual([["PROMISE", "configmaps"]]);
    expect(suspects[0].topFrame).toContain(`leak-tracker.test.ts:${lineOf("LEAK-PROMISE")}:`);
    expect(parked).toHaveLength(10);
  });

  it("does not blame an unreachable never-settling promise: the process's own full collection frees it first", async () => {
    const clock = new SteppedClock();
    const { tracker: t } = await manualTracker(clock, { deepMode: true });
    await reconcileCollectAndSample(t, clock, "configmaps", 4, async () => {
      await Promise.resolve();
      void new Promise<void>(() => undefined);
    });
    expect(t.suspects()).toEqual([]);
  });

  it("deep mode forces no garbage collection and exposes no gc(); collected promises leave the live set", async () => {
    const forced: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const flags = (entry as { detail?: { flags?: number } }).detail?.flags ?? 0;
        if (flags & perfConstants.NODE_PERFORMANCE_GC_FLAGS_FORCED) forced.push(entry.startTime);
      }
    });
    observer.observe({ entryTypes: ["gc"] });
    cleanup.add(() => observer.disconnect());
    const clock = new SteppedClock();
    const { tracker: t } = await manualTracker(clock, { deepMode: true });
    const parked: Promise<void>[] = [];
    const pendingPromises = () => t.countResources().counts.PROMISE ?? 0;
    // Each round: 20 pending promises nobody holds, one the program keeps.
    await t.trackReconcile(reconcileOf("configmaps", "default/cm"), async () => {
      await Promise.resolve();
      for (let i = 0; i < 20; i++) void new Promise<void>(() => undefined);
      parked.push(new Promise<void>(() => undefined));
    });
    clock.advance(GRACE);
    expect(pendingPromises()).toBeGreaterThanOrEqual(21);
    // No full collection yet: pending promises are not judged (they may be garbage).
    t.sample();
    expect(t.groupList().filter((g) => g.type === "PROMISE")).toEqual([]);
    await untilFullCollection();
    await new Promise((resolve) => setImmediate(resolve));
    t.sample();
    expect(pendingPromises()).toBe(1);
    expect(t.groupList().filter((g) => g.type === "PROMISE").map((g) => g.count)).toEqual([1]);
    await new Promise((resolve) => setTimeout(resolve, 20)); // gc entries are reported asynchronously
    expect(forced).toEqual([]);
    expect(runInNewContext("typeof gc")).toBe("undefined");
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe("undefined");
    expect(parked).toHaveLength(1);
  });

  it("forgets a cleared timer at once, without waiting for a sweep", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock, { stackSampleRate: 0 });
    const timers: NodeJS.Timeout[] = [];
    await t.trackReconcile(reconcileOf("pods", "default/a"), () => {
      for (let i = 0; i < 10; i++) timers.push(setTimeout(() => undefined, 60_000));
      timers.push(setInterval(() => undefined, 60_000));
    });
    cleanup.add(() => {
      for (const timer of timers) clearTimeout(timer);
    });
    expect(t.status().tracked).toBe(11);
    for (const timer of timers.slice(0, 5)) clearTimeout(timer);
    clearInterval(timers[10]);
    expect(t.status().tracked).toBe(5);
  });

  it("loses no pending timer while the young list thins itself between sweeps, and forgets cleared ones wherever they sit", async () => {
    const clock = new SteppedClock();
    const { tracker: t } = await manualTracker(clock, { stackSampleRate: 0 });
    const pending: NodeJS.Timeout[] = [];
    cleanup.add(() => {
      for (const timer of pending) clearTimeout(timer);
    });
    await t.trackReconcile(reconcileOf("pods", "default/thin"), () => {
      // 1,000 timers of a reconcile still in flight, 3 of 4 cleared at once: the list carries a few of the kept ones, the rest move to the table.
      for (let batch = 0; batch < 40; batch++) {
        for (let i = 0; i < 25; i++) {
          const timer = setTimeout(() => undefined, 3_600_000);
          if (i % 4 === 0) pending.push(timer);
          else clearTimeout(timer);
        }
      }
    });
    expect(t.status().tracked).toBe(280);
    for (const timer of pending.splice(0, 140)) clearTimeout(timer);
    expect(t.status().tracked).toBe(140);
  });

  it("carries a running unit's timers on the unit: 10,000 created and cleared leave nothing tracked and a short list", async () => {
    const clock = new SteppedClock();
    const { tracker: t } = await manualTracker(clock, { stackSampleRate: 0 });
    let longest = 0;
    await t.trackReconcile(reconcileOf("pods", "default/busy"), () => {
      const marks = reconcileContext.getStore() as unknown as Record<symbol, unknown>;
      for (let i = 0; i < 10_000; i++) {
        clearTimeout(setTimeout(() => undefined, 60_000));
        const held = marks[UNIT_TIMERS];
        longest = Math.max(longest, Array.isArray(held) ? held.length : 1);
      }
    });
    expect(longest).toBeLessThanOrEqual(32);
    expect(t.status().tracked).toBe(0);
  });

  it("reads no clock when a unit settles holding nothing, and times one that holds a timer or a server", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock, { stackSampleRate: 0 });
    const clean = reconcileOf("pods", "default/clean");
    await t.trackReconcile(clean, () => clearTimeout(setTimeout(() => undefined, 60_000)));
    expect(settledAt(clean)).toBe(SETTLED_UNTIMED);

    const before = Date.now();
    const holding = reconcileOf("pods", "default/holding");
    await t.trackReconcile(holding, () => {
      leakInterval();
    });
    expect(settledAt(holding)).toBeGreaterThanOrEqual(before);
    expect(settledAt(holding)).toBeLessThanOrEqual(Date.now());

    const serving = reconcileOf("pods", "default/serving");
    await t.trackReconcile(serving, async () => {
      const server = net.createServer().listen(0, "127.0.0.1");
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    expect(Number.isFinite(settledAt(serving))).toBe(true);
  });

  it("times an untimed settlement when the unit's leftover callback leaks later, and judges the leak from then", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock, { stackSampleRate: 1 });
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const ctx = reconcileOf("jobs", "default/late");
    await t.trackReconcile(ctx, () => {
      void gate.then(() => leakInterval());
    });
    expect(settledAt(ctx)).toBe(SETTLED_UNTIMED);
    await sleep(20);
    const leakedFrom = Date.now();
    open();
    await gate;
    await Promise.resolve();
    expect(settledAt(ctx)).toBeGreaterThanOrEqual(leakedFrom);
    t.sample();
    expect(t.groupList()).toEqual([]);
    clock.advance(GRACE);
    t.sample();
    expect(t.groupList().map((g) => [g.type, g.controllers])).toEqual([["Timeout", [{ controller: "jobs", count: 1 }]]]);
  });

  it("captures every stack while full capture is on, and only then when sampling is off", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock, { stackSampleRate: 0, autoCapture: false });
    await reconcileAndSample(t, clock, "pods", 5, () => {
      leakInterval();
    });
    expect(t.groupList().map((g) => g.stackSampled)).toEqual([false]);

    const until = t.setFullCapture(5);
    expect(until).toBe(t.status().fullCaptureUntil);
    expect(t.status().effectiveStackSampleRate).toBe(1);
    await reconcileAndSample(t, clock, "pods", 5, () => {
      leakInterval();
    });
    t.setFullCapture(0);
    expect(t.status()).toMatchObject({ fullCaptureUntil: null, effectiveStackSampleRate: 0 });
    const sampled = t.groupList().filter((g) => g.stackSampled);
    expect(sampled).toHaveLength(1);
    expect(sampled[0].topFrame).toContain(`:${lineOf("LEAK-INTERVAL")}:`);
  });

  it("tracks ESM named imports of node:timers too", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock);
    await reconcileAndSample(t, clock, "pods", 5, () => {
      const timer = namedSetInterval(() => undefined, 60_000); // NAMED-IMPORT
      cleanup.add(() => clearInterval(timer));
    });
    expect(t.suspects()[0]?.topFrame).toContain(`:${lineOf("NAMED-IMPORT")}:`);
  });

  it("reports what grew between two times", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock);
    // One call site for both phases: the async callers are part of the creation stack.
    let middle = 0;
    for (const rounds of [2, 4]) {
      middle = clock.now();
      await reconcileAndSample(t, clock, "pods", rounds, () => {
        leakInterval();
      });
    }
    const diff = t.diff(middle, clock.now());
    expect(diff.grown).toHaveLength(1);
    expect(diff.grown[0]).toMatchObject({ type: "Timeout", before: 2, after: 6, delta: 4, attributed: true });
    expect(diff.grown[0].group?.suspect).toBe(true);
    expect(t.diff(clock.now(), clock.now()).grown).toEqual([]);
  });

  it("counts active resources by type into the gauge and a history", async () => {
    const clock = new SkewClock();
    const { tracker: t, registry } = await manualTracker(clock);
    const timer = setInterval(() => undefined, 60_000);
    cleanup.add(() => clearInterval(timer));
    const point = t.countResources();
    expect(point.counts.Timeout).toBeGreaterThanOrEqual(1);
    expect(t.activeResources(point.t)).toContainEqual(point);
    const gauge = await registry.getSingleMetric("loopscope_active_resources")?.get();
    expect(gauge?.values.find((v) => v.labels.type === "Timeout")?.value).toBe(point.counts.Timeout);
  });

  it("restores every patched function on stop, and allows one tracker at a time", async () => {
    const originals = [globalThis.setTimeout, globalThis.setInterval, globalThis.setImmediate, net.Socket.prototype.connect, net.Server.prototype.listen, EventEmitter.prototype.on];
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock);
    expect(globalThis.setInterval).not.toBe(originals[1]);
    // Streams, client requests and server responses take the original listener functions (they are never tracked).
    expect(Stream.prototype.on).toBe(originals[5]);
    expect(OutgoingMessage.prototype.on).toBe(originals[5]);
    expect(EventEmitter.prototype.on).not.toBe(originals[5]);
    const second = new LeakTracker({ registry: null });
    expect(() => second.install()).toThrow(/already installed/);
    await t.stop();
    expect([globalThis.setTimeout, globalThis.setInterval, globalThis.setImmediate, net.Socket.prototype.connect, net.Server.prototype.listen, EventEmitter.prototype.on]).toEqual(originals);
    expect(["on", "addListener", "prependListener"].filter((name) => Object.hasOwn(Stream.prototype, name) || Object.hasOwn(OutgoingMessage.prototype, name))).toEqual([]);
    expect(t.status().installed).toBe(false);
    second.install();
    second.uninstall();
  });

  it("samples at most its per-second budget of reconciles for stacks, however many run", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock, { stackSampleRate: 0.5, autoCapture: false });
    const timers: NodeJS.Timeout[] = [];
    cleanup.add(() => {
      for (const timer of timers) clearInterval(timer);
    });
    const reconciles = 5_000;
    const startedAt = performance.now();
    for (let i = 0; i < reconciles; i++) {
      await t.trackReconcile(reconcileOf("busy", `default/busy-${i}`), () => {
        timers.push(setInterval(() => undefined, 3_600_000));
      });
    }
    const windows = Math.ceil((performance.now() - startedAt) / 1_000) + 1;
    clock.advance(GRACE);
    t.sample();
    const groups = t.groupList();
    const withStack = groups.filter((g) => g.stack.length > 0).reduce((sum, g) => sum + g.count, 0);
    expect(groups.reduce((sum, g) => sum + g.count, 0)).toBe(reconciles);
    // Half of 5,000 would be sampled without the budget; with it, at most 100 a second.
    expect(withStack).toBeGreaterThan(0);
    expect(withStack).toBeLessThanOrEqual(MAX_SAMPLED_CAPTURES_PER_SECOND * windows);
  });

  it("attributes through the reconcile context even when the controller runs it itself", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock);
    for (let round = 0; round < 5; round++) {
      const ctx = reconcileOf("nodes", `node-${round}`);
      await reconcileContext.run(ctx, async () => {
        await Promise.resolve();
        leakInterval();
      });
      t.reconcileSettled(ctx);
      clock.advance(GRACE);
      t.sample();
    }
    expect(t.suspects().map((g) => g.controllers)).toEqual([[{ controller: "nodes", count: 5 }]]);
  });

  it("does not hold a still-running reconcile's resources against it", async () => {
    const clock = new SkewClock();
    const { tracker: t } = await manualTracker(clock);
    for (let round = 0; round < 4; round++) {
      reconcileContext.run(reconcileOf("slow", `key-${round}`), () => {
        leakInterval();
      });
      clock.advance(GRACE);
      t.sample();
    }
    expect(t.groupList()).toEqual([]);
  });
});
