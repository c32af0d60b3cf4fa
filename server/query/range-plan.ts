/**
 * How a range query is cut into time buckets. Everything downstream (the SQL
 * pre-aggregation and the evaluation in JS) works on these buckets, so the plan is
 * what guarantees at most `maxPoints` points per series and exact window sums.
 */

/** Prometheus refuses range queries with more points than this per series. */
export const MAX_POINTS_LIMIT = 11_000;
/** Prometheus's default lookback delta for instant values. */
export const LOOKBACK_MS = 5 * 60_000;
/** Sub-buckets per series at most for window functions, before the window is snapped to the step. */
export const MAX_BUCKETS_PER_SERIES = 20_000;

/**
 * Raw values downsampled by min/max: bucket j covers [origin + j·bucketMs,
 * origin + (j+1)·bucketMs) ∩ [start, end]; each bucket yields its minimum and its
 * maximum sample (at their own timestamps), so at most 2 points per bucket and every
 * extreme of the raw data survives.
 */
export interface MinMaxPlan {
  kind: "minmax";
  start: number;
  end: number;
  bucketMs: number;
  origin: number;
  buckets: number;
}

/**
 * Evaluation at steps start, start+step, … ≤ end (exactly start + k·step, as
 * Prometheus's query_range) over windows (t − window, t]
 * (left-open, as in Prometheus 3). The windows are unions of sub-buckets
 * (origin + j·strideMs, origin + j·strideMs + bucketMs] with origin = start − window,
 * so per-bucket aggregates computed in SQL combine into exact per-window values.
 * Buckets are contiguous (stride = width) when windows overlap or touch; when the
 * window is shorter than the step, each step's bucket is exactly its window (stride =
 * step), so the samples between windows are never read — as Prometheus reads them.
 */
export interface EvalPlan {
  kind: "eval";
  start: number;
  end: number;
  stepMs: number;
  steps: number;
  windowMs: number;
  bucketMs: number;
  /** Distance between bucket starts: bucketMs (contiguous) or stepMs (one bucket per step window). */
  strideMs: number;
  origin: number;
  buckets: number;
  bucketsPerStep: number;
  bucketsPerWindow: number;
}

export interface PlanInput {
  start: number;
  end: number;
  maxPoints: number;
  stepMs?: number;
  /** Range window for rate/increase/deriv/histogram_quantile; a default is chosen when absent. */
  windowMs?: number;
  /** Lower bound of the default window (e.g. 60 s, or 4 × the scrape interval). */
  minWindowMs?: number;
  /**
   * Instant values (raw values aggregated across series): buckets are one step wide
   * and the window spans the Prometheus lookback (5 m), so a step without a sample
   * of its own still takes the latest one within the lookback.
   */
  instant?: boolean;
  /** Read only each step's window when it is shorter than the step (default true; false is the earlier, contiguous plan, for benchmarks). */
  stridedWindows?: boolean;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

function checkRange(input: PlanInput): void {
  if (!Number.isFinite(input.start) || !Number.isFinite(input.end) || input.end < input.start) {
    throw new RangeError(`invalid time range: start ${input.start}, end ${input.end} (end must not be before start)`);
  }
  if (!Number.isInteger(input.maxPoints) || input.maxPoints < 2 || input.maxPoints > MAX_POINTS_LIMIT) {
    throw new RangeError(`maxPoints must be an integer between 2 and ${MAX_POINTS_LIMIT}, got ${input.maxPoints}`);
  }
}

/** Plans a raw query: at most maxPoints/2 buckets, each contributing its min and max sample. */
export function planMinMax(input: PlanInput): MinMaxPlan {
  checkRange(input);
  const start = Math.floor(input.start);
  const end = Math.floor(input.end);
  const perBucket = Math.max(1, Math.floor(input.maxPoints / 2));
  const range = end - start;
  if (perBucket === 1) {
    return { kind: "minmax", start, end, bucketMs: Math.max(Math.ceil(input.stepMs ?? 1), range + 1), origin: start, buckets: 1 };
  }
  // Buckets are aligned to multiples of their width (stable while the range pans);
  // an aligned range of r ms touches at most floor(r / width) + 2 buckets.
  let bucketMs = Math.max(1, Math.ceil(input.stepMs ?? 1), Math.floor(range / (perBucket - 1)) + 1);
  // As chosen steps are: buckets from 10 min are whole multiples of 5 min, so all but the
  // range's first and last are whole blocks of the 5-minute rollup (fewer buckets than asked for).
  if (bucketMs >= ROLLUP_5M_STEP_MS && bucketMs !== input.stepMs) bucketMs = wholeFiveMinutes(bucketMs);
  const origin = Math.floor(start / bucketMs) * bucketMs;
  const buckets = Math.floor(end / bucketMs) - Math.floor(start / bucketMs) + 1;
  return { kind: "minmax", start, end, bucketMs, origin, buckets };
}

/** Chosen steps at least this long are rounded up to whole minutes. */
export const ROLLUP_STEP_MS = 5 * 60_000;
/** Chosen steps at least this long are rounded up to whole multiples of 5 minutes (the 5-minute rollup's blocks). */
export const ROLLUP_5M_STEP_MS = 10 * 60_000;

/** `ms` rounded up to a whole multiple of 5 minutes (the 5-minute rollup's blocks). */
function wholeFiveMinutes(ms: number): number {
  return Math.ceil(ms / 300_000) * 300_000;
}

/**
 * The step for at most maxPoints evaluation points: ≥ the requested step, whole seconds above 1 s,
 * whole minutes from 5 min, whole multiples of 5 min from 10 min (a week at 1,000 points: 15 min).
 */
export function chooseStep(input: PlanInput): number {
  const range = Math.floor(input.end) - Math.floor(input.start);
  let step = Math.max(1, Math.ceil(input.stepMs ?? 1), Math.ceil(range / Math.max(1, input.maxPoints - 1)));
  if (step > 1_000) step = Math.ceil(step / 1_000) * 1_000;
  // Chosen (not requested) steps of 5 min and more are whole minutes, so their buckets
  // line up with the 1-minute rollup and need no raw samples at their edges.
  // From 10 min, whole multiples of 5 min: such buckets line up with the 5-minute rollup
  // (a fifth of the rows), at the price of fewer points than asked for (a week at 1,000
  // points becomes 672 steps of 15 min instead of 917 of 11 min).
  if (step >= ROLLUP_STEP_MS && step !== input.stepMs) step = Math.ceil(step / 60_000) * 60_000;
  if (step >= ROLLUP_5M_STEP_MS && step !== input.stepMs) step = wholeFiveMinutes(step);
  return step;
}

/**
 * A range for at most `maxPoints` steps that ends exactly at `end`: the step chooseStep would
 * pick for [start, end], and the latest start within [start, end] on that grid, so a chart's
 * last point is its range's end (now, on a live page) and not up to a step before it.
 */
export function endAnchoredRange(input: { start: number; end: number; maxPoints: number }): { start: number; end: number; stepMs: number } {
  const end = Math.floor(input.end);
  const stepMs = chooseStep({ start: input.start, end, maxPoints: input.maxPoints });
  return { start: end - Math.floor((end - Math.floor(input.start)) / stepMs) * stepMs, end, stepMs };
}

/** Plans an evaluated query (functions, or raw values aggregated across series). */
export function planEval(input: PlanInput): EvalPlan {
  checkRange(input);
  const stepMs = chooseStep(input);
  // Steps at exactly start + k·step, as Prometheus evaluates a range query.
  const start = Math.floor(input.start);
  const steps = Math.floor((Math.floor(input.end) - start) / stepMs) + 1;
  const end = start + (steps - 1) * stepMs;
  let windowMs: number;
  let bucketMs: number;
  if (input.instant) {
    windowMs = stepMs * Math.max(1, Math.ceil(LOOKBACK_MS / stepMs));
    bucketMs = stepMs;
  } else if (input.windowMs !== undefined && input.windowMs < stepMs && input.stridedWindows !== false) {
    // Windows with gaps between them: one bucket per step, exactly its window.
    windowMs = Math.max(1, Math.ceil(input.windowMs));
    return { kind: "eval", start, end, stepMs, steps, windowMs, bucketMs: windowMs, strideMs: stepMs, origin: start - windowMs, buckets: steps, bucketsPerStep: 1, bucketsPerWindow: 1 };
  } else if (input.windowMs !== undefined) {
    windowMs = Math.max(1, Math.ceil(input.windowMs));
    bucketMs = gcd(stepMs, windowMs);
    if ((end - start + windowMs) / bucketMs > MAX_BUCKETS_PER_SERIES) {
      // The exact window would need too many sub-buckets: round it up to whole steps.
      windowMs = Math.ceil(windowMs / stepMs) * stepMs;
      bucketMs = stepMs;
    }
  } else {
    windowMs = Math.ceil(Math.max(stepMs, input.minWindowMs ?? 60_000) / stepMs) * stepMs;
    bucketMs = stepMs;
  }
  const origin = start - windowMs;
  return {
    kind: "eval",
    start,
    end,
    stepMs,
    steps,
    windowMs,
    bucketMs,
    strideMs: bucketMs,
    origin,
    buckets: (end - origin) / bucketMs,
    bucketsPerStep: stepMs / bucketMs,
    bucketsPerWindow: windowMs / bucketMs,
  };
}
