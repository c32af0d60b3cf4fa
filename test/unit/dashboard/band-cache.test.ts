import { describe, expect, it } from "vitest";
import type { BandPoint } from "../../../server/anomaly/band";
import { bandGrain, bandOf, thinBand } from "../../../server/dashboard/controller-view";
import type { DashboardSources } from "../../../server/dashboard/sources";

const HOUR = 3_600_000;

/** An anomaly source whose band is a known function of time, counting how often it is computed. */
function anomalySource() {
  const calls: { from: number; to: number }[] = [];
  const band = async (_key: string, from: number, to: number): Promise<BandPoint[]> => {
    calls.push({ from, to });
    const points: BandPoint[] = [];
    for (let ts = Math.ceil(from / 5_000) * 5_000; ts <= to; ts += 5_000) points.push({ ts, value: 1, expected: 1, lower: ts % 2 === 0 ? -1 : 0.5, upper: 2, score: 0 });
    return points;
  };
  const sources = { anomaly: { band, windows: async () => [], openWindows: async () => [], watched: async () => [] } } as unknown as DashboardSources;
  return { sources, calls };
}

describe("controller page bands", () => {
  it("are computed once per grain for a live range, whatever the refresh, width or viewer", async () => {
    const { sources, calls } = anomalySource();
    const at = 1_800_000_010_000; // 10 s into a minute: 7 s later is the same grain
    const first = await bandOf(sources, "queue_depth{controller=\"a\"}", at - HOUR, at, at);
    const later = await bandOf(sources, "queue_depth{controller=\"a\"}", at + 7_000 - HOUR, at + 7_000, at + 7_000);
    expect(calls).toHaveLength(1);
    // The computation covers the range widened to whole grains, up to now.
    expect(calls[0].from).toBeLessThanOrEqual(at - HOUR);
    expect(calls[0].from % bandGrain(at - HOUR, at)).toBe(0);
    expect(calls[0].to).toBe(at);
    // Each answer keeps to its own range, at about 120 points, never below zero.
    for (const [samples, from, to] of [[first, at - HOUR, at], [later, at + 7_000 - HOUR, at + 7_000]] as const) {
      expect(samples.length).toBeGreaterThan(100);
      expect(samples.length).toBeLessThanOrEqual(125);
      expect(samples.every((p) => p.ts >= from && p.ts <= to && p.lower >= 0)).toBe(true);
    }
    // Another series, or a range in another grain, is its own computation.
    await bandOf(sources, "queue_depth{controller=\"b\"}", at - HOUR, at, at);
    await bandOf(sources, "queue_depth{controller=\"a\"}", at - 2 * HOUR, at - HOUR, at);
    expect(calls).toHaveLength(3);
  });

  it("answer the previous grain's band while a live range's new one is computed", async () => {
    const { sources, calls } = anomalySource();
    const at = 1_800_000_130_000; // 10 s into a minute
    const key = 'queue_depth{controller="stale"}';
    const before = await bandOf(sources, key, at - HOUR, at, at);
    // A minute later the range is in a new grain: the answer does not wait for the new replay…
    const next = at + 60_000;
    const early = await bandOf(sources, key, next - HOUR, next, next);
    expect(calls).toHaveLength(2);
    expect(early.at(-1)?.ts).toBe(before.at(-1)?.ts);
    expect(early.every((p) => p.ts >= next - HOUR)).toBe(true);
    // …which the next request within that grain gets.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const fresh = await bandOf(sources, key, next + 1_000 - HOUR, next + 1_000, next + 1_000);
    expect(calls).toHaveLength(2);
    expect(fresh.at(-1)?.ts).toBeGreaterThan(before.at(-1)?.ts ?? 0);
  });

  it("use whole-minute grains of about 1/120 of the range", () => {
    expect(bandGrain(0, 15 * 60_000)).toBe(60_000);
    expect(bandGrain(0, HOUR)).toBe(60_000);
    expect(bandGrain(0, 24 * HOUR)).toBe(12 * 60_000);
    expect(bandGrain(0, 7 * 24 * HOUR)).toBe(84 * 60_000);
  });

  it("keep the last point and drop points still learning", () => {
    const points = Array.from({ length: 1_000 }, (_, i) => ({ ts: i, lower: i < 10 ? null : 1, upper: 2 }));
    const thin = thinBand(points);
    expect(thin[0].ts).toBe(10);
    expect(thin.at(-1)?.ts).toBe(999);
    expect(thin.length).toBeLessThanOrEqual(121);
  });
});
