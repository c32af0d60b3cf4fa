import type { CounterBuckets, RegressionBuckets, ValueBuckets } from "./buckets";
import type { Point } from "./downsample";
import { type EvalPlan, LOOKBACK_MS } from "./range-plan";
import { extrapolatedRate, regressionSlope, summarizeBuckets } from "./rate";
import { slidingCounterWindows, slidingRegressionWindows } from "./sliding-windows";

/** The window of step i: buckets from..to and its (left-open) time range. */
function windowOf(plan: EvalPlan, i: number) {
  const from = i * plan.bucketsPerStep;
  const to = from + plan.bucketsPerWindow - 1;
  const rangeEnd = plan.start + i * plan.stepMs;
  return { from, to, rangeStart: rangeEnd - plan.windowMs, rangeEnd };
}

/**
 * Windows of more buckets than this are combined by sliding aggregates (sliding-windows.ts)
 * instead of a scan of the window at every step: the scan costs steps × window bucket visits,
 * the sliding form about three per bucket whatever the window.
 */
export const SCAN_WINDOW_BUCKETS = 16;

/** rate() or increase() of one counter at every step of the plan (NaN where undefined). */
export function evaluateCounter(buckets: CounterBuckets, plan: EvalPlan, fn: "rate" | "increase"): Float64Array {
  const values = new Float64Array(plan.steps).fill(Number.NaN);
  const sliding = plan.bucketsPerWindow > SCAN_WINDOW_BUCKETS ? slidingCounterWindows(buckets, plan.bucketsPerWindow) : undefined;
  for (let i = 0; i < plan.steps; i += 1) {
    const w = windowOf(plan, i);
    const summary = sliding ? sliding(w.from) : summarizeBuckets(buckets, w.from, w.to);
    const v = extrapolatedRate(summary, w.rangeStart, w.rangeEnd, true, fn === "rate");
    if (v !== undefined) values[i] = v;
  }
  return values;
}

/** deriv() of one gauge at every step of the plan. */
export function evaluateDeriv(buckets: RegressionBuckets, plan: EvalPlan): Float64Array {
  const values = new Float64Array(plan.steps).fill(Number.NaN);
  const sliding = plan.bucketsPerWindow > SCAN_WINDOW_BUCKETS ? slidingRegressionWindows(buckets, plan.bucketsPerWindow, plan.strideMs) : undefined;
  for (let i = 0; i < plan.steps; i += 1) {
    const w = windowOf(plan, i);
    const v = sliding ? sliding(w.from) : regressionSlope(buckets, w.from, w.to, plan.strideMs);
    if (v !== undefined) values[i] = v;
  }
  return values;
}

/**
 * The instant value of one series at every step, as Prometheus selects it: the latest
 * sample within the lookback (5 m, left-open as in Prometheus 3), unless a staleness
 * marker came after that sample (the series ended there: its scrape failed, it vanished
 * from its target, or its replica stopped). `staleAt` is the series' marker times in
 * ascending order.
 */
export function evaluateInstant(buckets: ValueBuckets, plan: EvalPlan, staleAt: readonly number[] = []): Float64Array {
  const values = new Float64Array(plan.steps).fill(Number.NaN);
  let marker = 0;
  for (let i = 0; i < plan.steps; i += 1) {
    const w = windowOf(plan, i);
    for (let j = w.to; j >= w.from && j >= 0; j -= 1) {
      if (buckets.count[j] === 0) continue;
      const t = buckets.lastT[j];
      if (t > w.rangeEnd - LOOKBACK_MS) {
        // The latest marker at or before this step decides; markers are in time order.
        while (marker < staleAt.length && staleAt[marker] <= w.rangeEnd) marker += 1;
        const latestMarker = marker > 0 ? staleAt[marker - 1] : Number.NEGATIVE_INFINITY;
        if (latestMarker < t) values[i] = buckets.lastV[j];
      }
      break;
    }
  }
  return values;
}

/** The plotted points of per-step values: steps without a finite value are left out. */
export function stepPoints(plan: EvalPlan, values: Float64Array): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (Number.isFinite(v)) points.push([plan.start + i * plan.stepMs, v]);
  }
  return points;
}
