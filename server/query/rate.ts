import type { CounterBuckets, RegressionBuckets, Sample } from "./buckets";

/** The samples of one window, reduced to what Prometheus's extrapolatedRate uses. */
export interface WindowSummary {
  count: number;
  firstT: number;
  firstV: number;
  lastT: number;
  lastV: number;
  /** lastV − firstV plus, for every counter reset (v < previous v), the previous value. */
  increase: number;
}

/** Summarises raw samples (sorted by time) of the window (rangeStart, rangeEnd]. */
export function summarizeSamples(samples: readonly Sample[], rangeStart: number, rangeEnd: number): WindowSummary | undefined {
  let summary: WindowSummary | undefined;
  for (const { t, v } of samples) {
    if (t <= rangeStart || t > rangeEnd) continue;
    if (!summary) {
      summary = { count: 1, firstT: t, firstV: v, lastT: t, lastV: v, increase: 0 };
      continue;
    }
    summary.increase += v >= summary.lastV ? v - summary.lastV : v;
    summary.count += 1;
    summary.lastT = t;
    summary.lastV = v;
  }
  return summary;
}

/**
 * Combines buckets from..to (inclusive) into the summary of their union. Between two
 * non-empty buckets the step from the earlier bucket's last sample to the later one's
 * first sample is added with the same reset rule, so the result equals
 * `summarizeSamples` over the window exactly.
 */
export function summarizeBuckets(buckets: CounterBuckets, from: number, to: number): WindowSummary | undefined {
  let summary: WindowSummary | undefined;
  const offset = buckets.offset ?? 0;
  // k: array index of bucket k + offset (buckets outside the arrays are empty).
  for (let k = Math.max(0, from - offset); k <= to - offset && k < buckets.count.length; k += 1) {
    const n = buckets.count[k];
    if (n === 0) continue;
    if (!summary) {
      summary = { count: n, firstT: buckets.firstT[k], firstV: buckets.firstV[k], lastT: buckets.lastT[k], lastV: buckets.lastV[k], increase: buckets.increase[k] };
      continue;
    }
    const first = buckets.firstV[k];
    summary.increase += (first >= summary.lastV ? first - summary.lastV : first) + buckets.increase[k];
    summary.count += n;
    summary.lastT = buckets.lastT[k];
    summary.lastV = buckets.lastV[k];
  }
  return summary;
}

/**
 * Prometheus's `extrapolatedRate` (promql/functions.go, v3) for float samples, used
 * by rate() (isCounter, isRate) and increase() (isCounter). Followed exactly:
 * - at least two samples in the window, else no value;
 * - the raw increase (last − first) is corrected for counter resets;
 * - the result is extrapolated towards each window edge by the gap to that edge if
 *   the gap is under 1.1 × the average sample interval, otherwise by half an average
 *   interval (the series is assumed to start or end inside the window);
 * - for counters the extrapolation to the start stops where the counter would reach
 *   zero (it cannot have been negative);
 * - rate divides by the window length in seconds.
 * Simplifications: none for float samples. Native histograms and start-timestamp
 * (created-timestamp) based reset detection do not exist in this store.
 */
export function extrapolatedRate(
  summary: WindowSummary | undefined,
  rangeStart: number,
  rangeEnd: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  if (!summary || summary.count < 2) return undefined;
  const result = isCounter ? summary.increase : summary.lastV - summary.firstV;
  let durationToStart = (summary.firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - summary.lastT) / 1000;
  const sampledInterval = (summary.lastT - summary.firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (summary.count - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter) {
    let durationToZero = durationToStart;
    if (result > 0 && summary.firstV >= 0) durationToZero = sampledInterval * (summary.firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= (rangeEnd - rangeStart) / 1000;
  return result * factor;
}

/**
 * Prometheus's deriv(): the slope (per second) of the least-squares line through the
 * window's samples; needs two samples. Buckets from..to are combined by shifting each
 * bucket's sums to a common origin (the start of bucket `from`), which keeps the
 * numbers small and the result exact up to float rounding.
 */
export function regressionSlope(buckets: RegressionBuckets, from: number, to: number, strideMs: number): number | undefined {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  const offset = buckets.offset ?? 0;
  for (let k = Math.max(0, from - offset); k <= to - offset && k < buckets.count.length; k += 1) {
    const c = buckets.count[k];
    if (c === 0) continue;
    const shift = ((k + offset - from) * strideMs) / 1000;
    n += c;
    sx += buckets.sumX[k] + c * shift;
    sy += buckets.sumY[k];
    sxx += buckets.sumXX[k] + 2 * shift * buckets.sumX[k] + c * shift * shift;
    sxy += buckets.sumXY[k] + shift * buckets.sumY[k];
  }
  if (n < 2) return undefined;
  const covXY = sxy - (sx * sy) / n;
  const varX = sxx - (sx * sx) / n;
  if (varX === 0) return undefined;
  return covXY / varX;
}
