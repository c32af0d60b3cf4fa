import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../server/runtime/clock";
import {
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  MaxWaitRateLimiter,
  TokenBucketRateLimiter,
} from "../../../server/runtime/workqueue/rate-limiters";

describe("ItemExponentialRateLimiter", () => {
  it("waits base·2^n per key, capped: with 5 ms / 1000 s the 18th failure waits 655.36 s and then 1000 s", () => {
    const limiter = new ItemExponentialRateLimiter<string>();
    const delays = Array.from({ length: 20 }, () => limiter.when("k"));
    expect(delays.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(delays[17]).toBe(655_360);
    expect(delays[18]).toBe(1_000_000);
    expect(delays[19]).toBe(1_000_000);
    expect(limiter.numRequeues("k")).toBe(20);
    expect(limiter.when("other")).toBe(5);
    limiter.forget("k");
    expect(limiter.numRequeues("k")).toBe(0);
    expect(limiter.when("k")).toBe(5);
  });

  it("never exceeds the cap, even past float overflow", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.double({ min: 0.001, max: 1000, noNaN: true }), fc.double({ min: 1, max: 1e7, noNaN: true }), (n, base, cap) => {
        const limiter = new ItemExponentialRateLimiter<number>(base, cap);
        let last = 0;
        for (let i = 0; i < n; i += 1) last = limiter.when(1);
        expect(last).toBeLessThanOrEqual(cap);
        expect(last).toBe(Math.min(cap, base * 2 ** (n - 1)));
      }),
    );
  });
});

describe("TokenBucketRateLimiter", () => {
  it("lets a burst through, then spaces reservations at 1/qps, and refills over time", () => {
    const clock = new ManualClock();
    const limiter = new TokenBucketRateLimiter<string>(10, 100, clock);
    for (let i = 0; i < 100; i += 1) expect(limiter.when(`k${i}`)).toBe(0);
    expect(limiter.when("x")).toBeCloseTo(100);
    expect(limiter.when("y")).toBeCloseTo(200);
    clock.advance(1_000);
    // 10 tokens came back but 2 were owed: 8 reservations are free, the 9th waits 1/qps.
    for (let i = 0; i < 8; i += 1) expect(limiter.when(`z${i}`)).toBeCloseTo(0);
    expect(limiter.when("late")).toBeCloseTo(100);
    expect(limiter.numRequeues("x")).toBe(0);
  });

  it("never stores more than the burst", () => {
    const clock = new ManualClock();
    const limiter = new TokenBucketRateLimiter<string>(10, 5, clock);
    clock.advance(60_000);
    for (let i = 0; i < 5; i += 1) expect(limiter.when("k")).toBe(0);
    expect(limiter.when("k")).toBeCloseTo(100);
  });
});

describe("MaxOf and the default controller limiter", () => {
  it("takes the largest delay, asks every limiter and forgets in all", () => {
    const clock = new ManualClock();
    const limiter = defaultControllerRateLimiter<string>({ clock });
    // Per-key backoff dominates at first…
    expect(limiter.when("a")).toBe(5);
    expect(limiter.when("a")).toBe(10);
    expect(limiter.numRequeues("a")).toBe(2);
    // …and the overall bucket once 100 retries were spent within a second (2 already).
    for (let i = 0; i < 98; i += 1) limiter.when(`k${i}`);
    expect(limiter.when("fresh")).toBeCloseTo(100);
    limiter.forget("a");
    expect(limiter.numRequeues("a")).toBe(0);
  });

  it("has configurable parameters", () => {
    const clock = new ManualClock();
    const limiter = defaultControllerRateLimiter<string>({ baseDelayMs: 100, maxDelayMs: 300, qps: 1, burst: 1, clock });
    expect(limiter.when("a")).toBe(100);
    expect(limiter.when("a")).toBe(1_000);
    clock.advance(10_000);
    expect(limiter.when("a")).toBe(300);
  });

  it("fast-slow and max-wait limiters", () => {
    const fastSlow = new ItemFastSlowRateLimiter<string>(10, 1_000, 2);
    expect([fastSlow.when("a"), fastSlow.when("a"), fastSlow.when("a")]).toEqual([10, 10, 1_000]);
    const capped = new MaxWaitRateLimiter(new ItemExponentialRateLimiter<string>(5, 1_000_000), 30);
    expect([capped.when("a"), capped.when("a"), capped.when("a"), capped.when("a")]).toEqual([5, 10, 20, 30]);
    const maxOf = new MaxOfRateLimiter(new ItemExponentialRateLimiter<string>(1, 100), new ItemFastSlowRateLimiter<string>(7, 50, 1));
    expect(maxOf.when("a")).toBe(7);
    expect(maxOf.when("a")).toBe(50);
    expect(maxOf.numRequeues("a")).toBe(2);
  });
});
