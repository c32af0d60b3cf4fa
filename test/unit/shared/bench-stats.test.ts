import { describe, expect, it } from "vitest";
import { median, medianInterval } from "../../../bench/support/stats";

/** n values spread evenly around `centre` (±spread/2), in a shuffled order. */
function spreadAround(centre: number, spread: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => centre + spread * ((i * 37) % n) / n - spread / 2);
}

describe("the benchmarks' interval for a median of grouped measurements", () => {
  it("holds the median, and is reproducible from its seed", () => {
    const groups = [spreadAround(0.95, 0.2, 60), spreadAround(0.96, 0.2, 60), spreadAround(0.94, 0.2, 60)];
    const [lo, hi] = medianInterval(groups);
    const pooled = median(groups.flat());
    expect(lo).toBeLessThanOrEqual(pooled);
    expect(hi).toBeGreaterThanOrEqual(pooled);
    expect(hi - lo).toBeGreaterThan(0);
    expect(medianInterval(groups)).toEqual([lo, hi]);
  });

  it("is wider when the groups disagree than the same values taken as one group", () => {
    // Four pairs of processes, each shifted by its own amount: what a group shares must widen the interval.
    const groups = [0.93, 0.95, 0.97, 0.99].map((centre) => spreadAround(centre, 0.04, 60));
    const [lo, hi] = medianInterval(groups);
    const [pooledLo, pooledHi] = medianInterval([groups.flat()]);
    expect(hi - lo).toBeGreaterThan(2 * (pooledHi - pooledLo));
  });

  it("says there is nothing to tell when there are no measurements", () => {
    expect(medianInterval([])).toEqual([Number.NaN, Number.NaN]);
    expect(medianInterval([[], []])).toEqual([Number.NaN, Number.NaN]);
  });
});
