import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { counterBucketsOf, regressionBucketsOf, type Sample } from "../../../server/query/buckets";
import { extrapolatedRate, regressionSlope, summarizeBuckets, summarizeSamples } from "../../../server/query/rate";

const every10s = (values: number[], t0 = 10_000): Sample[] => values.map((v, i) => ({ t: t0 + i * 10_000, v }));

describe("extrapolatedRate (Prometheus rate/increase)", () => {
  it("extrapolates a steady counter to the window edges", () => {
    // Samples at 10..60 s, window (0, 60]: 50 s sampled, 10 s gap at the start (< 1.1 × 10 s).
    const samples = every10s([10, 20, 30, 40, 50, 60]);
    const summary = summarizeSamples(samples, 0, 60_000);
    expect(summary).toMatchObject({ count: 6, firstV: 10, lastV: 60, increase: 50 });
    expect(extrapolatedRate(summary, 0, 60_000, true, false)).toBeCloseTo(60, 10);
    expect(extrapolatedRate(summary, 0, 60_000, true, true)).toBeCloseTo(1, 12);
  });

  it("adds the pre-reset value on a counter reset", () => {
    // 10, 20, 30, reset, 5, 15, 25: increase = (25 − 10) + 30 = 45; × 60/50 = 54.
    const summary = summarizeSamples(every10s([10, 20, 30, 5, 15, 25]), 0, 60_000);
    expect(summary?.increase).toBe(45);
    expect(extrapolatedRate(summary, 0, 60_000, true, false)).toBeCloseTo(54, 10);
    expect(extrapolatedRate(summary, 0, 60_000, true, true)).toBeCloseTo(0.9, 12);
  });

  it("does not extrapolate a counter below zero", () => {
    // Counter starts at 1 at t=10 s, rises to 11 at 60 s: zero is reached 5 s before the first sample.
    const summary = summarizeSamples(every10s([1, 3, 5, 7, 9, 11]), 0, 60_000);
    // durationToStart = min(10, 50 × 1/10 = 5) = 5 → factor (50 + 5) / 50.
    expect(extrapolatedRate(summary, 0, 60_000, true, false)).toBeCloseTo(11, 10);
  });

  it("extrapolates only half an interval where the series starts inside the window", () => {
    // Window (0, 120]; samples only at 70..120 s: the 70 s gap is ≥ 1.1 × 10 s.
    const summary = summarizeSamples(every10s([10, 20, 30, 40, 50, 60], 70_000), 0, 120_000);
    // increase 50 over 50 s; start extended by 5 s (half the average interval) → 55.
    expect(extrapolatedRate(summary, 0, 120_000, true, false)).toBeCloseTo(55, 10);
  });

  it("needs two samples", () => {
    expect(extrapolatedRate(summarizeSamples(every10s([5]), 0, 60_000), 0, 60_000, true, true)).toBeUndefined();
    expect(extrapolatedRate(undefined, 0, 60_000, true, true)).toBeUndefined();
  });

  it("uses a left-open window (a sample exactly at the start is excluded)", () => {
    const summary = summarizeSamples([{ t: 0, v: 100 }, ...every10s([110, 120])], 0, 30_000);
    expect(summary?.firstT).toBe(10_000);
  });

  it("bucket summaries combine into exactly the window's summary", () => {
    const sample = fc.record({
      steps: fc.array(fc.record({ gap: fc.integer({ min: 1, max: 7_000 }), delta: fc.integer({ min: -50, max: 100 }) }), { minLength: 1, maxLength: 120 }),
      bucketMs: fc.integer({ min: 1_000, max: 20_000 }),
      from: fc.integer({ min: 0, max: 10 }),
      width: fc.integer({ min: 1, max: 30 }),
    });
    fc.assert(
      fc.property(sample, ({ steps, bucketMs, from, width }) => {
        let t = 0;
        let v = 0;
        const samples: Sample[] = [];
        for (const s of steps) {
          t += s.gap;
          v = v + s.delta < 0 ? s.delta + 50 : v + s.delta; // negative steps become resets
          samples.push({ t, v });
        }
        const n = from + width + 5;
        const buckets = counterBucketsOf(samples, 0, bucketMs, n);
        const fromBuckets = summarizeBuckets(buckets, from, from + width - 1);
        const direct = summarizeSamples(samples, from * bucketMs, (from + width) * bucketMs);
        expect(fromBuckets).toEqual(direct);
      }),
      { numRuns: 300 },
    );
  });
});

describe("regressionSlope (deriv)", () => {
  it("is the least-squares slope per second across buckets", () => {
    // v = 3 + 0.5·t(s) plus symmetric noise; slope 0.5.
    const samples: Sample[] = [];
    for (let i = 1; i <= 30; i += 1) samples.push({ t: i * 5_000, v: 3 + 0.5 * i * 5 + (i % 2 === 0 ? 0.2 : -0.2) });
    const buckets = regressionBucketsOf(samples, 0, 15_000, 10);
    const slope = regressionSlope(buckets, 0, 9, 15_000);
    // Direct least squares over the same points.
    const n = samples.length;
    const mx = samples.reduce((a, s) => a + s.t / 1000, 0) / n;
    const my = samples.reduce((a, s) => a + s.v, 0) / n;
    const cov = samples.reduce((a, s) => a + (s.t / 1000 - mx) * (s.v - my), 0);
    const varx = samples.reduce((a, s) => a + (s.t / 1000 - mx) ** 2, 0);
    expect(slope).toBeCloseTo(cov / varx, 10);
    expect(slope).toBeCloseTo(0.5, 2);
  });

  it("needs two samples", () => {
    expect(regressionSlope(regressionBucketsOf([{ t: 1_000, v: 1 }], 0, 10_000, 2), 0, 1, 10_000)).toBeUndefined();
  });
});
