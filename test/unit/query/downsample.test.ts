import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lttb, minMaxDownsample, type Point } from "../../../server/query/downsample";
import { endAnchoredRange, planEval, planMinMax } from "../../../server/query/range-plan";

function noisyWithSpikes(n: number, spikes: number[]): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < n; i += 1) points.push([i * 1_000, Math.sin(i / 50) + ((i * 7919) % 13) / 13]);
  spikes.forEach((at, k) => {
    points[at] = [at * 1_000, k % 2 === 0 ? 100 : -100];
  });
  return points;
}

describe("downsampling", () => {
  it("min/max keeps every spike, up or down, at its own time", () => {
    const spikes = [17, 4_000, 4_001, 55_555, 99_998];
    const points = noisyWithSpikes(100_000, spikes);
    const reduced = minMaxDownsample(points, 500);
    expect(reduced.length).toBeLessThanOrEqual(500);
    for (const at of spikes) expect(reduced).toContainEqual(points[at]);
    // Time order is preserved.
    for (let i = 1; i < reduced.length; i += 1) expect(reduced[i][0]).toBeGreaterThan(reduced[i - 1][0]);
  });

  it("LTTB keeps the ends, an isolated spike, and returns exactly maxPoints", () => {
    const points = noisyWithSpikes(10_000, [5_000]);
    const reduced = lttb(points, 300);
    expect(reduced).toHaveLength(300);
    expect(reduced[0]).toEqual(points[0]);
    expect(reduced[299]).toEqual(points[9_999]);
    expect(reduced).toContainEqual(points[5_000]);
  });

  it("leaves short series alone", () => {
    const points: Point[] = [
      [1, 1],
      [2, 5],
    ];
    expect(minMaxDownsample(points, 10)).toEqual(points);
    expect(lttb(points, 10)).toEqual(points);
  });
});

describe("range plans never exceed maxPoints", () => {
  const input = fc.record({
    start: fc.integer({ min: 0, max: 2e12 }),
    range: fc.integer({ min: 0, max: 400 * 86_400_000 }),
    maxPoints: fc.integer({ min: 2, max: 11_000 }),
    stepMs: fc.option(fc.integer({ min: 1, max: 86_400_000 }), { nil: undefined }),
    windowMs: fc.option(fc.integer({ min: 1, max: 7 * 86_400_000 }), { nil: undefined }),
  });

  it("min/max: at most maxPoints/2 buckets covering [start, end]", () => {
    fc.assert(
      fc.property(input, ({ start, range, maxPoints, stepMs }) => {
        const plan = planMinMax({ start, end: start + range, maxPoints, stepMs });
        expect(plan.buckets * 2).toBeLessThanOrEqual(Math.max(2, maxPoints));
        expect(plan.origin).toBeLessThanOrEqual(start);
        expect(plan.origin + plan.buckets * plan.bucketMs).toBeGreaterThan(start + range);
      }),
    );
  });

  it("evaluation: steps ≤ maxPoints, windows made of whole buckets", () => {
    fc.assert(
      fc.property(input, ({ start, range, maxPoints, stepMs, windowMs }) => {
        const plan = planEval({ start, end: start + range, maxPoints, stepMs, windowMs });
        expect(plan.steps).toBeLessThanOrEqual(maxPoints);
        expect(plan.start).toBeLessThanOrEqual(start);
        expect(plan.end).toBeLessThanOrEqual(start + range);
        expect(Number.isInteger(plan.bucketsPerStep)).toBe(true);
        expect(Number.isInteger(plan.bucketsPerWindow)).toBe(true);
        expect(Number.isInteger(plan.buckets)).toBe(true);
        expect(plan.windowMs).toBeGreaterThanOrEqual(Math.min(windowMs ?? plan.stepMs, plan.stepMs));
        expect(plan.buckets).toBeLessThanOrEqual(20_000 + plan.bucketsPerWindow + maxPoints);
      }),
    );
  });

  it("an end-anchored range: its last step is its end, within the asked range, at most maxPoints steps", () => {
    fc.assert(
      fc.property(input, ({ start, range, maxPoints }) => {
        const anchored = endAnchoredRange({ start, end: start + range, maxPoints });
        const plan = planEval({ ...anchored, maxPoints });
        expect(plan.end).toBe(start + range);
        expect(plan.start).toBeGreaterThanOrEqual(start);
        expect(plan.stepMs).toBe(anchored.stepMs);
        expect(plan.steps).toBeLessThanOrEqual(maxPoints);
      }),
    );
    // A 6-hour sparkline of 60 points (7-minute steps): the plain plan's last step can be minutes before now.
    const now = Date.UTC(2026, 11, 3, 8, 40, 0, 123);
    expect(planEval({ start: now - 6 * 3_600_000, end: now, maxPoints: 60 }).end).toBeLessThan(now - 60_000);
    expect(planEval({ ...endAnchoredRange({ start: now - 6 * 3_600_000, end: now, maxPoints: 60 }), maxPoints: 60 }).end).toBe(now);
  });
});
