import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { growthWindowsFor, sustainedGrowth, type TrendPoint } from "../../../server/leaks/leak-trend";

/**
 * A count sampled every `stepMs` for `totalMs`: `base` until `startMs`, then `perSample`
 * more each sample until `stopMs`, then flat (the leaked resources stay alive).
 */
function leakSeries(o: { stepMs: number; totalMs: number; startMs: number; stopMs: number; perSample?: number; base?: number }): TrendPoint[] {
  const out: TrendPoint[] = [];
  let value = o.base ?? 3;
  for (let t = 0; t <= o.totalMs; t += o.stepMs) {
    if (t > o.startMs && t <= o.stopMs) value += o.perSample ?? 1;
    out.push({ t, value });
  }
  return out;
}

/** When the verdict first turns on after `from`, and when it is off for good after `from`. */
function verdictTimes(points: TrendPoint[], options: ReturnType<typeof growthWindowsFor>, from: number) {
  let firstOn: number | null = null;
  let lastOn: number | null = null;
  for (let i = 0; i < points.length; i++) {
    const at = points[i].t;
    if (sustainedGrowth(points.slice(0, i + 1), at, options).growing) {
      if (at >= from) firstOn ??= at;
      lastOn = at;
    }
  }
  return { firstOn, lastOn };
}

describe("sustainedGrowth: the leak-growth verdict", () => {
  it("at 5 s sampling fires within 60 s of sustained growth and clears within 2 minutes after it stops", () => {
    const points = leakSeries({ stepMs: 5_000, totalMs: 1_200_000, startMs: 300_000, stopMs: 600_000 });
    const { firstOn, lastOn } = verdictTimes(points, growthWindowsFor(5_000), 0);
    expect(firstOn).not.toBeNull();
    expect(firstOn! - 300_000).toBeLessThanOrEqual(60_000);
    expect(lastOn).not.toBeNull();
    expect(lastOn! - 600_000).toBeLessThan(120_000);
  });

  it("at the Go collector's 30 s sampling fires within 2 minutes and clears within 2 minutes", () => {
    const options = { windowsMs: [105_000, 600_000, 1_800_000], recentMs: 90_000 };
    const points = leakSeries({ stepMs: 30_000, totalMs: 3_600_000, startMs: 600_000, stopMs: 1_800_000, perSample: 30 });
    const { firstOn, lastOn } = verdictTimes(points, options, 0);
    expect(firstOn! - 600_000).toBeLessThanOrEqual(120_000);
    expect(lastOn! - 1_800_000).toBeLessThan(120_000);
  });

  it("catches a slow leak (one every 30 s at 5 s sampling) through the longer windows", () => {
    const points = leakSeries({ stepMs: 5_000, totalMs: 900_000, startMs: 0, stopMs: 900_000, perSample: 1 / 6 }).map((p) => ({ ...p, value: Math.floor(p.value) }));
    expect(sustainedGrowth(points, 900_000, growthWindowsFor(5_000)).growing).toBe(true);
  });

  it("never flags a pool that warms up (in less than two thirds of the shortest window) and stays flat", () => {
    const options = growthWindowsFor(5_000);
    for (const warmupSamples of [1, 2, 4, 6]) {
      const points = leakSeries({ stepMs: 5_000, totalMs: 1_800_000, startMs: 600_000, stopMs: 600_000 + warmupSamples * 5_000, perSample: 8 });
      expect(verdictTimes(points, options, 0).firstOn).toBeNull();
    }
  });

  it("never flags bounded churn (property: any series bounded between two levels eventually clears)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 10, max: 14 }), { minLength: 200, maxLength: 300 }), (values) => {
        const points = values.map((value, i) => ({ t: i * 5_000, value }));
        // Bounded noise may look like growth briefly, but never over a whole window with every third rising.
        const at = points[points.length - 1].t;
        const verdict = sustainedGrowth(points, at, growthWindowsFor(5_000));
        return !verdict.growing || verdict.windowMs === 60_000;
      }),
    );
  });

  it("needs a rise within the recency span and at least four points", () => {
    const options = growthWindowsFor(5_000);
    expect(sustainedGrowth([{ t: 0, value: 1 }, { t: 5_000, value: 2 }, { t: 10_000, value: 3 }], 10_000, options).growing).toBe(false);
    expect(sustainedGrowth([], 0, options)).toEqual({ growing: false, slope: 0, pValue: 1, windowMs: null });
  });
});
