import type { CounterBuckets, RegressionBuckets, ValueBuckets } from "./buckets";
import type { Point } from "./downsample";
import { type EvalPlan, LOOKBACK_MS } from "./range-plan";
import { extrapolatedRate, regressionSlope, summarizeBuckets } from "./rate";

/** The window of step i: buckets from..to and its (left-open) time range. */
function windowOf(plan: EvalPlan, i: number) {
  const from = i * plan.bucketsPerStep;
  const to = from + plan.bucketsPerWindow - 1;
  const rangeEnd = plan.start + i * plan.stepMs;
  return { from, to, rangeStart: rangeEnd - plan.windowMs, rangeEnd };
}

/** rate() or increase() of one counter at every step of the plan (NaN where undefined). */
export function evaluateCounter(buckets: CounterBuckets, plan: EvalPlan, fn: "rate" | "increase"): Float64Array {
  const values = new Float64Array(plan.steps).fill(Number.NaN);
  for (let i = 0; i < plan.steps; i += 1) {
    const w = windowOf(plan, i);
    const v = extrapolatedRate(summarizeBuckets(buckets, w.from, w.to), w.rangeStart, w.rangeEnd, true, fn === "rate");
    if (v !== undefined) values[i] = v;
  }
  return values;
}

/** deriv() of one gauge at every step of the plan. */
export function evaluateDeriv(buckets: RegressionBuckets, plan: EvalPlan): Float64Array {
  const values = new Float64Array(plan.steps).fill(Number.NaN);
  for (let i = 0; i < plan.steps; i += 1) {
    const w = windowOf(plan, i);
    const v = regressionSlope(buckets, w.from, w.to, plan.bucketMs);
    if (v !== undefined) values[i] = v;
  }
  return values;
}

/**
 * The instant value of one series at every step: the latest sample within the
 * lookback (5 m, left-open as in Prometheus 3). With mode "max"/"min" a step whose
 * own interval (t − step, t] has samples takes their max/min instead, so aggregated
 * raw charts still show spikes between steps.
 */
export function evaluateInstant(buckets: ValueBuckets, plan: EvalPlan, mode: "last" | "max" | "min"): Float64Array {
  const values = new Float64Array(plan.steps).fill(Number.NaN);
  for (let i = 0; i < plan.steps; i += 1) {
    const w = windowOf(plan, i);
    const own = w.to;
    if (mode !== "last" && buckets.count[own] > 0) {
      values[i] = mode === "max" ? buckets.max[own] : buckets.min[own];
      continue;
    }
    for (let j = own; j >= w.from && j >= 0; j -= 1) {
      if (buckets.count[j] === 0) continue;
      if (buckets.lastT[j] > w.rangeEnd - LOOKBACK_MS) values[i] = buckets.lastV[j];
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
