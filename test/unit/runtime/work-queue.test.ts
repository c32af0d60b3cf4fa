import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../server/runtime/clock";
import { ControllerMetrics } from "../../../server/runtime/metrics/runtime-metrics";
import { WorkQueue } from "../../../server/runtime/workqueue/queue";

async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe("WorkQueue", () => {
  it("hands keys out in FIFO order and collapses repeated adds", async () => {
    const q = new WorkQueue<string>();
    expect(q.add("a")).toBe(true);
    expect(q.add("b")).toBe(true);
    expect(q.add("a")).toBe(false);
    expect(q.len()).toBe(2);
    expect((await q.get()).key).toBe("a");
    expect((await q.get()).key).toBe("b");
    expect(q.len()).toBe(0);
  });

  it("never hands a key being processed to a second worker; re-queues it on done", async () => {
    const q = new WorkQueue<string>();
    q.add("a");
    const first = await q.get();
    expect(first.key).toBe("a");
    expect(q.add("a")).toBe(true);
    expect(q.len()).toBe(0);
    expect(q.depth()).toBe(1);
    expect(q.tryGet()).toBeUndefined();
    q.done("a");
    expect(q.queuedKeys()).toEqual(["a"]);
    expect((await q.get()).key).toBe("a");
  });

  it("wakes a waiting get when a key is added", async () => {
    const q = new WorkQueue<string>();
    const waiting = q.get();
    q.add("x");
    await expect(waiting).resolves.toEqual({ shutdown: false, key: "x", reason: undefined });
    expect(q.isProcessing("x")).toBe(true);
  });

  it("keeps the reason of the add that made the key dirty", async () => {
    const q = new WorkQueue<string, string>();
    q.add("a", "object-added");
    q.add("a", "object-updated");
    expect((await q.get()).reason).toBe("object-added");
  });

  it("ignores done for a key that is not being processed (no duplicate in the queue)", () => {
    const q = new WorkQueue<string>();
    q.add("a");
    q.done("a");
    expect(q.queuedKeys()).toEqual(["a"]);
  });

  it("after shutDown drops adds, still returns queued keys, then reports shutdown", async () => {
    const q = new WorkQueue<string>();
    q.add("a");
    const waiting = new WorkQueue<string>();
    const blocked = waiting.get();
    waiting.shutDown();
    await expect(blocked).resolves.toMatchObject({ shutdown: true });
    q.shutDown();
    expect(q.add("b")).toBe(false);
    expect(q.shuttingDown()).toBe(true);
    expect((await q.get()).key).toBe("a");
    expect((await q.get()).shutdown).toBe(true);
  });

  it("shutDownWithDrain waits for processing keys, not for the queue", async () => {
    const q = new WorkQueue<string>();
    q.add("a");
    q.add("b");
    await q.get();
    let drained: boolean | undefined;
    void q.shutDownWithDrain().then((value) => {
      drained = value;
    });
    await settle();
    expect(drained).toBeUndefined();
    q.done("a");
    await settle();
    expect(drained).toBe(true);
    expect(q.len()).toBe(1);
  });

  it("shutDownWithDrain is cancelled by shutDown and bounded by maxWaitMs", async () => {
    const q = new WorkQueue<string>();
    q.add("a");
    await q.get();
    const cancelled = q.shutDownWithDrain();
    q.shutDown();
    await expect(cancelled).resolves.toBe(false);

    const clock = new ManualClock();
    const bounded = new WorkQueue<string>({ clock });
    bounded.add("stuck");
    await bounded.get();
    const wait = bounded.shutDownWithDrain(1_000);
    clock.advance(999);
    let result: boolean | undefined;
    void wait.then((value) => {
      result = value;
    });
    await settle();
    expect(result).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(result).toBe(false);
  });

  it("reports client-go metric semantics: depth counts dirty keys, adds only new dirty keys", async () => {
    const clock = new ManualClock();
    const metrics = new ControllerMetrics("q");
    const q = new WorkQueue<string>({ clock, metrics });
    q.add("a");
    q.add("a");
    q.add("b");
    expect(metrics.adds).toBe(2);
    expect(metrics.depth).toBe(2);
    clock.advance(2_000);
    await q.get();
    expect(metrics.depth).toBe(1);
    expect(metrics.queueDuration.count).toBe(1);
    expect(metrics.queueDuration.sum).toBeCloseTo(2);
    q.add("a");
    expect(metrics.depth).toBe(2);
    expect(q.len()).toBe(1);
    clock.advance(1_600);
    expect(metrics.unfinishedSeconds).toBeCloseTo(1.5);
    expect(metrics.longestRunningSeconds).toBeCloseTo(1.5);
    q.done("a");
    expect(metrics.workDuration.count).toBe(1);
    expect(metrics.workDuration.sum).toBeCloseTo(1.6);
  });
});
