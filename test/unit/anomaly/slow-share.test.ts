import { describe, expect, it } from "vitest";
import { analyzeSeries } from "../../../server/anomaly/monitor";
import { recordedSeriesFetcher } from "../../../server/anomaly/recorded-series";
import { countAbove, slowShareOf } from "../../../server/anomaly/slow-share";
import { normalFrom, seededRandom } from "../../../server/anomaly/synthetic";
import { defaultWatchedSeries, type WatchedSeriesSpec } from "../../../server/anomaly/watched-series";
import { runRangeQuery } from "../../../server/query/range-query";
import { MemorySampleSource } from "../../../server/query/sample-source";
import { RECONCILE_TIME_BUCKETS } from "../../../server/runtime/metrics/runtime-metrics";
import { MIN, SEC, T0 } from "./series";

const STEP = 5 * SEC;
const bucket = (upperBound: number, count: number) => ({ upperBound, count });

describe("the share of observations above a multiple of the usual median", () => {
  it("counts whole buckets above the bound nearest the threshold (on a log scale)", () => {
    const buckets = [bucket(0.005, 2), bucket(0.01, 5), bucket(0.025, 9), bucket(Number.POSITIVE_INFINITY, 10)];
    // 11 ms is nearest 10 ms, 20 ms nearest 25 ms, and past the highest bound nothing is counted but +Inf's own.
    expect(countAbove(0.011, buckets)).toEqual({ above: 5, total: 10 });
    expect(countAbove(0.02, buckets)).toEqual({ above: 1, total: 10 });
    expect(countAbove(5, buckets)).toEqual({ above: 1, total: 10 });
    // Cumulative counts read at slightly different times are made monotonic, as histogram_quantile does.
    expect(countAbove(0.011, [bucket(0.005, 2), bucket(0.01, 1), bucket(0.025, 9), bucket(Number.POSITIVE_INFINITY, 10)])).toEqual({ above: 8, total: 10 });
    expect(countAbove(0.011, [bucket(0.005, 2), bucket(0.01, 5)])).toBeNull();
    expect(countAbove(0.011, [bucket(0.01, 0), bucket(Number.POSITIVE_INFINITY, 0)])).toBeNull();
  });

  it("takes the median of the reference window before each window, so the slow observations never move their own threshold", () => {
    const windowMs = 30 * SEC;
    const at = T0 + 10 * MIN;
    // Nine of ten observations in the window took 100–250 ms; the median right now has moved there too.
    const buckets = [
      { le: "0.05", points: [[at, 0.01 / 30]] as Array<[number, number]> },
      { le: "0.1", points: [[at, 0.01 / 30]] as Array<[number, number]> },
      { le: "0.25", points: [[at, 0.1 / 30]] as Array<[number, number]> },
      { le: "+Inf", points: [[at, 0.1 / 30]] as Array<[number, number]> },
    ];
    const references: Array<[number, number]> = [
      [at - windowMs - STEP, 0.03],
      [at - windowMs, 0.04],
      [at, 0.2],
    ];
    const [point] = slowShareOf(buckets, references, { factor: 2, windowMs, stepMs: STEP });
    // Twice 40 ms is nearest the 100 ms bound: 9 of the 10 are above it (not 0 of 10 above twice 200 ms).
    expect(point[0]).toBe(at);
    expect(point[1]).toBeCloseTo(0.9, 9);
    expect(point[2]).toBeCloseTo(0.1, 9);
    expect(point[3]).toBeCloseTo(STEP / windowMs, 9);
    // No point before a reference is known.
    expect(slowShareOf(buckets, [[at, 0.04]], { factor: 2, windowMs, stepMs: STEP })).toEqual([]);
  });
});

/**
 * A controller's reconcile-time histogram as Loopscope records it: cumulative bucket
 * counters every 5 s, `perSecond` reconciles with log-normal durations around a median of
 * `medianS(t)` seconds.
 */
function reconcileHistogram(seed: number, minutes: number, perSecond: (ts: number) => number, medianS: (ts: number) => number): MemorySampleSource {
  const normal = normalFrom(seededRandom(seed));
  const rng = seededRandom(seed + 1);
  const bounds = [...RECONCILE_TIME_BUCKETS, Number.POSITIVE_INFINITY];
  const counts = bounds.map(() => 0);
  let sum = 0;
  const samples = bounds.map(() => [] as Array<{ t: number; v: number }>);
  const sums: Array<{ t: number; v: number }> = [];
  let carry = 0;
  for (let t = T0; t <= T0 + minutes * MIN; t += STEP) {
    carry += perSecond(t) * (STEP / 1000);
    const n = Math.floor(carry + rng());
    carry -= n;
    for (let i = 0; i < n; i += 1) {
      const d = medianS(t) * Math.exp(0.35 * normal());
      sum += d;
      for (const [j, b] of bounds.entries()) if (d <= b) counts[j] += 1;
    }
    for (const [j, series] of samples.entries()) series.push({ t, v: counts[j] });
    sums.push({ t, v: sum });
  }
  const source = new MemorySampleSource();
  const labels = { job: "loopscope", controller: "pods" };
  for (const [j, b] of bounds.entries()) {
    source.add("controller_runtime_reconcile_time_seconds_bucket", { ...labels, le: b === Number.POSITIVE_INFINITY ? "+Inf" : String(b) }, samples[j], "histogram");
  }
  source.add("controller_runtime_reconcile_time_seconds_count", labels, samples[bounds.length - 1], "histogram");
  source.add("controller_runtime_reconcile_time_seconds_sum", labels, sums, "histogram");
  return source;
}

const spec = (key: string): WatchedSeriesSpec => {
  const found = defaultWatchedSeries(["pods"]).find((s) => s.key === `${key}{controller="pods"}`);
  if (!found) throw new Error(`no built-in ${key}`);
  return found;
};

/** The built-in series read through the recorder's query path and run through the live monitor. */
async function windowsOf(source: MemorySampleSource, key: string, minutes: number) {
  const s = spec(key);
  const fetch = recordedSeriesFetcher((q) => runRangeQuery(source, q, { minWindowMs: 60_000 }), STEP);
  const points = await fetch(s.query, T0, T0 + minutes * MIN);
  return analyzeSeries(points, { direction: s.direction }, { seriesKey: s.key, params: s.params }).windows;
}

describe("the built-in share of slow reconciles", () => {
  it("flags a dependency three times slower within 30 s on a controller of one reconcile a second, before its median does", async () => {
    const faultAt = T0 + 60 * MIN;
    const source = reconcileHistogram(7, 70, () => 1, (t) => (t > faultAt ? 0.06 : 0.02));
    const slow = await windowsOf(source, "slow_reconciles", 70);
    expect(slow.length).toBeGreaterThan(0);
    expect(slow[0].detectedAt).toBeGreaterThan(faultAt);
    expect(slow[0].detectedAt - faultAt).toBeLessThanOrEqual(30 * SEC);
    const median = await windowsOf(source, "reconcile_time_p50", 70);
    expect(median.length === 0 || median[0].detectedAt > slow[0].detectedAt).toBe(true);
  });

  it("stays quiet on two hours of ordinary noise, a burst of ten times the work at the usual durations included", async () => {
    const burst = (t: number) => t >= T0 + 70 * MIN && t < T0 + 72 * MIN;
    const source = reconcileHistogram(11, 120, (t) => (burst(t) ? 10 : 1), () => 0.02);
    expect(await windowsOf(source, "slow_reconciles", 120)).toEqual([]);
  });
});
