import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { counterBucketsOf, regressionBucketsOf, type Sample } from "../../../server/query/buckets";
import { evaluateCounter, evaluateDeriv, SCAN_WINDOW_BUCKETS } from "../../../server/query/evaluate";
import { planEval } from "../../../server/query/range-plan";
import { extrapolatedRate, regressionSlope, summarizeBuckets } from "../../../server/query/rate";
import { slidingCounterWindows, slidingRegressionWindows } from "../../../server/query/sliding-windows";

/** A counter with gaps (empty buckets) and resets, integer-valued so sums are exact in any order. */
const counterSamples = fc
  .array(fc.record({ gap: fc.integer({ min: 1, max: 40_000 }), delta: fc.integer({ min: -50, max: 100 }) }), { minLength: 0, maxLength: 200 })
  .map((steps) => {
    let t = 0;
    let v = 0;
    const samples: Sample[] = [];
    for (const s of steps) {
      t += s.gap;
      v = v + s.delta < 0 ? s.delta + 50 : v + s.delta;
      samples.push({ t, v });
    }
    return samples;
  });

/** Equal up to float rounding (a least-squares slope divides two differences, so rounding shows). */
const close = (got: number | undefined, want: number | undefined, relative = 1e-6) => {
  if (want === undefined || got === undefined) return expect(got).toBe(want);
  expect(Math.abs(got - want)).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(want)));
};

/** The same buckets holding only the span from the first to the last non-empty one (`offset`), as the SQL source returns them. */
function trimmed<T extends { count: Float64Array; offset?: number }>(buckets: T): T {
  let lo = 0;
  while (lo < buckets.count.length && buckets.count[lo] === 0) lo += 1;
  let hi = buckets.count.length - 1;
  while (hi >= lo && buckets.count[hi] === 0) hi -= 1;
  const out = { ...buckets, offset: hi < lo ? 0 : lo };
  for (const [key, values] of Object.entries(buckets) as [string, unknown][]) {
    if (values instanceof Float64Array) (out as Record<string, unknown>)[key] = hi < lo ? new Float64Array(0) : values.slice(lo, hi + 1);
  }
  return out;
}

describe("sliding window aggregates", () => {
  it("give every window the summary a scan of its buckets gives", () => {
    fc.assert(
      fc.property(counterSamples, fc.integer({ min: 1_000, max: 20_000 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 80 }), (samples, bucketMs, width, n) => {
        const buckets = counterBucketsOf(samples, 0, bucketMs, n);
        const windows = slidingCounterWindows(buckets, width);
        const span = trimmed(buckets);
        const spanWindows = slidingCounterWindows(span, width);
        for (let from = 0; from < n + 2; from += 1) {
          const scanned = summarizeBuckets(buckets, from, from + width - 1);
          expect(windows(from)).toEqual(scanned);
          // Holding only the span where samples are changes nothing.
          expect(spanWindows(from)).toEqual(scanned);
          expect(summarizeBuckets(span, from, from + width - 1)).toEqual(scanned);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("give every window the least-squares slope a scan of its buckets gives", () => {
    const gauge = fc.array(fc.record({ gap: fc.integer({ min: 1, max: 40_000 }), v: fc.double({ min: -1e3, max: 1e3, noNaN: true }) }), { maxLength: 200 });
    fc.assert(
      fc.property(gauge, fc.integer({ min: 1_000, max: 20_000 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 80 }), (points, bucketMs, width, n) => {
        const samples: Sample[] = [];
        for (const p of points) samples.push({ t: (samples.at(-1)?.t ?? 0) + p.gap, v: p.v });
        const buckets = regressionBucketsOf(samples, 0, bucketMs, n);
        const windows = slidingRegressionWindows(buckets, width, bucketMs);
        const span = trimmed(buckets);
        const spanWindows = slidingRegressionWindows(span, width, bucketMs);
        for (let from = 0; from < n + 2; from += 1) {
          // Sums about different origins cancel differently (a slope divides two differences): equal to 1e-4,
          // where a wrong combine is off by the whole slope.
          const want = regressionSlope(buckets, from, from + width - 1, bucketMs);
          close(windows(from), want, 1e-4);
          // Holding only the span where samples are changes nothing.
          close(spanWindows(from), want, 1e-4);
          close(regressionSlope(span, from, from + width - 1, bucketMs), want, 1e-4);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("answer a week at 1-minute steps over a month-long window as the scan does", () => {
    const day = 86_400_000;
    const end = 100 * day;
    const plan = planEval({ start: end - 7 * day, end, maxPoints: 11_000, stepMs: 60_000, windowMs: 31 * day });
    expect(plan.bucketsPerWindow).toBeGreaterThan(SCAN_WINDOW_BUCKETS);
    // Two days of a counter scraped every 30 s, with a reset, inside the week.
    const samples: Sample[] = [];
    let v = 0;
    for (let t = end - 3 * day; t < end - day; t += 30_000) {
      v = t === end - 2 * day ? 3 : v + 2;
      samples.push({ t, v });
    }
    const counter = counterBucketsOf(samples, plan.origin, plan.bucketMs, plan.buckets, plan.strideMs);
    const gauge = regressionBucketsOf(samples, plan.origin, plan.bucketMs, plan.buckets, plan.strideMs);
    const rates = evaluateCounter(counter, plan, "increase");
    const slopes = evaluateDeriv(gauge, plan);
    let defined = 0;
    for (let i = 0; i < plan.steps; i += 7) {
      const from = i * plan.bucketsPerStep;
      const to = from + plan.bucketsPerWindow - 1;
      const rangeEnd = plan.start + i * plan.stepMs;
      const scanned = extrapolatedRate(summarizeBuckets(counter, from, to), rangeEnd - plan.windowMs, rangeEnd, true, false);
      if (scanned === undefined) expect(rates[i]).toBeNaN();
      else {
        defined += 1;
        close(rates[i], scanned);
      }
      const slope = regressionSlope(gauge, from, to, plan.strideMs);
      if (slope === undefined) expect(slopes[i]).toBeNaN();
      else close(slopes[i], slope);
    }
    expect(defined).toBeGreaterThan(0);
  });
});
