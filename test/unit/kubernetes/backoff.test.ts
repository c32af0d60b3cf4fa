import { describe, expect, it } from "vitest";
import { WatchBackoff } from "../../../server/runtime/kubernetes/backoff";

describe("WatchBackoff", () => {
  it("doubles from 800 ms to a 30 s cap without jitter", () => {
    const backoff = new WatchBackoff({ jitter: 0 });
    const delays = Array.from({ length: 9 }, (_, i) => backoff.next(i * 1000));
    expect(delays).toEqual([800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000]);
  });

  it("adds up to one base of jitter (client-go's wait.Jitter(d, 1.0))", () => {
    const low = new WatchBackoff({ random: () => 0 });
    const high = new WatchBackoff({ random: () => 0.999 });
    const half = new WatchBackoff({ random: () => 0.5 });
    expect([low.next(0), low.next(1)]).toEqual([800, 1600]);
    expect([high.next(0), high.next(1)]).toEqual([1599, 3198]);
    expect([half.next(0), half.next(1), half.next(2)]).toEqual([1200, 2400, 4800]);
  });

  it("starts over once no backoff was needed for 120 s", () => {
    const backoff = new WatchBackoff({ jitter: 0 });
    expect([backoff.next(0), backoff.next(1_000), backoff.next(5_000)]).toEqual([800, 1600, 3200]);
    expect(backoff.next(5_000 + 119_999)).toBe(6400);
    expect(backoff.next(5_000 + 119_999 + 120_000)).toBe(800);
    expect(backoff.next(5_000 + 119_999 + 120_001)).toBe(1600);
  });

  it("rejects nonsensical settings with what is wrong", () => {
    expect(() => new WatchBackoff({ initialMs: 0 })).toThrow(/Invalid watch backoff: initial 0 ms/);
    expect(() => new WatchBackoff({ initialMs: 5000, maxMs: 1000 })).toThrow(/0 < initial <= max/);
  });
});
