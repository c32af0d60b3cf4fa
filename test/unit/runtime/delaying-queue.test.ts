import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../server/runtime/clock";
import { ControllerMetrics } from "../../../server/runtime/metrics/runtime-metrics";
import { DelayingQueue } from "../../../server/runtime/workqueue/delaying-queue";
import { RateLimitingQueue } from "../../../server/runtime/workqueue/rate-limiting-queue";
import { ItemExponentialRateLimiter } from "../../../server/runtime/workqueue/rate-limiters";

describe("DelayingQueue", () => {
  it("adds a key once its delay has passed", () => {
    const clock = new ManualClock();
    const q = new DelayingQueue<string>({ clock });
    q.addAfter("a", 100);
    clock.advance(99);
    expect(q.len()).toBe(0);
    expect(q.delayedCount()).toBe(1);
    clock.advance(1);
    expect(q.queuedKeys()).toEqual(["a"]);
    expect(q.delayedCount()).toBe(0);
  });

  it("keeps the earlier deadline for a key scheduled twice", () => {
    const clock = new ManualClock();
    const q = new DelayingQueue<string>({ clock });
    q.addAfter("a", 500);
    q.addAfter("a", 100);
    q.addAfter("a", 300);
    expect(q.readyAt("a")).toBe(100);
    clock.advance(100);
    expect(q.queuedKeys()).toEqual(["a"]);
  });

  it("serves any number of waiting keys with one timer, in deadline order", () => {
    const clock = new ManualClock();
    const q = new DelayingQueue<string>({ clock });
    for (let i = 0; i < 1_000; i += 1) q.addAfter(`k${i}`, 1_000 - i);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(1_000);
    const keys = q.queuedKeys();
    expect(keys).toHaveLength(1_000);
    expect(keys[0]).toBe("k999");
    expect(keys[999]).toBe("k0");
    expect(clock.pendingTimers()).toBe(0);
  });

  it("counts every addAfter as a retry (client-go), adds at once for delay ≤ 0, and carries the reason", async () => {
    const clock = new ManualClock();
    const metrics = new ControllerMetrics("d");
    const q = new DelayingQueue<string, string>({ clock, metrics });
    q.addAfter("now", 0, "r0");
    q.addAfter("later", 10, "r1");
    expect(metrics.retries).toBe(2);
    expect(metrics.delayedItems).toBe(1);
    expect(q.queuedKeys()).toEqual(["now"]);
    clock.advance(10);
    expect(metrics.delayedItems).toBe(0);
    expect((await q.get()).reason).toBe("r0");
    expect((await q.get()).reason).toBe("r1");
  });

  it("drops waiting keys and ignores addAfter on shutdown", () => {
    const clock = new ManualClock();
    const q = new DelayingQueue<string>({ clock });
    q.addAfter("a", 10);
    q.shutDown();
    q.addAfter("b", 10);
    clock.advance(100);
    expect(q.len()).toBe(0);
    expect(q.delayedCount()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe("RateLimitingQueue", () => {
  it("waits as long as the rate limiter says; forget clears the history", () => {
    const clock = new ManualClock();
    const q = new RateLimitingQueue<string>({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1_000) });
    expect(q.addRateLimited("a")).toBe(5);
    expect(q.numRequeues("a")).toBe(1);
    clock.advance(5);
    expect(q.queuedKeys()).toEqual(["a"]);
    expect(q.addRateLimited("a")).toBe(10);
    expect(q.numRequeues("a")).toBe(2);
    q.forget("a");
    expect(q.numRequeues("a")).toBe(0);
    expect(q.addRateLimited("a")).toBe(5);
  });
});
