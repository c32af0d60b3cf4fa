import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leakTrend, mannKendallIncreasingPValue, theilSenSlope, upperNormalTail } from "../../../server/leaks/leak-trend";

const series = (values: number[], stepMs = 1_000) => values.map((value, i) => ({ t: i * stepMs, value }));

describe("leakTrend", () => {
  it("finds sustained growth in a steadily leaking count, in units per second", () => {
    const trend = leakTrend(series([3, 4, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11]));
    expect(trend.growing).toBe(true);
    expect(trend.slope).toBeCloseTo(0.75, 1);
    expect(trend.pValue).toBeLessThan(0.001);
  });

  it("ignores a flat count and a sawtooth of normal churn", () => {
    expect(leakTrend(series([5, 5, 5, 5, 5, 5, 5, 5])).growing).toBe(false);
    const sawtooth = series(Array.from({ length: 40 }, (_, i) => 10 + (i % 4)));
    expect(leakTrend(sawtooth).growing).toBe(false);
  });

  it("is robust to a single outlier (Theil–Sen) where least squares would not be", () => {
    const values = [2, 2, 2, 2, 2, 2, 2, 2, 2, 500];
    expect(theilSenSlope(series(values))).toBe(0);
    expect(leakTrend(series(values)).growing).toBe(false);
  });

  it("needs at least three points to say anything", () => {
    expect(leakTrend(series([1, 2]))).toMatchObject({ growing: false, pValue: 1 });
    expect(leakTrend([])).toMatchObject({ growing: false, pValue: 1, slope: 0, n: 0 });
  });

  it("sorts by time and thins long windows", () => {
    const points = series(Array.from({ length: 2_000 }, (_, i) => i));
    const trend = leakTrend([...points].reverse());
    expect(trend.n).toBe(400);
    expect(trend.growing).toBe(true);
    expect(trend.slope).toBeCloseTo(1, 6);
  });

  it("matches the standard normal tail", () => {
    expect(upperNormalTail(0)).toBeCloseTo(0.5, 7);
    expect(upperNormalTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(upperNormalTail(-1.644854)).toBeCloseTo(0.95, 6);
  });

  it("property: any strictly increasing series of 8+ points is growing; its mirror image never is", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 8, maxLength: 60 }), (steps) => {
        let v = 0;
        const up = series(steps.map((s) => (v += s)));
        const down = up.map((p) => ({ t: p.t, value: -p.value }));
        expect(leakTrend(up).growing).toBe(true);
        expect(leakTrend(down).growing).toBe(false);
        expect(mannKendallIncreasingPValue(down)).toBe(1);
      }),
    );
  });

  it("property: the slope is invariant to adding a constant and scales with the values", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1_000, max: 1_000 }), { minLength: 2, maxLength: 40 }), fc.integer({ min: -50, max: 50 }), (values, shift) => {
        const base = theilSenSlope(series(values));
        expect(theilSenSlope(series(values.map((x) => x + shift)))).toBeCloseTo(base, 9);
        expect(theilSenSlope(series(values.map((x) => x * 3)))).toBeCloseTo(base * 3, 9);
      }),
    );
  });
});
