import type { CounterBuckets, RegressionBuckets } from "./buckets";
import type { WindowSummary } from "./rate";

/**
 * Every step's window aggregate in O(buckets + steps) combines, however wide the window,
 * instead of rescanning the window's buckets at every step (O(steps × window): a week at
 * 1-minute steps with a month-long window is 450 M bucket visits per series, seconds of
 * event loop). The buckets are cut into blocks one window long; within each block the
 * prefix aggregates (block start … j) and the suffix aggregates (j … block end) are
 * accumulated once, and the window of buckets a … a+W−1 is the suffix from a combined
 * with the next block's prefix up to a+W−1 (van Herk / Gil–Werman). The combines are
 * the ones the per-step scan does, grouped differently: results agree up to float rounding.
 */

/** Struct-of-arrays counter summaries (the fields of WindowSummary), one per bucket: a plan's counter buckets without their offset. */
type CounterAggregates = Omit<CounterBuckets, "offset">;

function counterAggregates(n: number): CounterAggregates {
  return {
    count: new Float64Array(n),
    firstT: new Float64Array(n),
    firstV: new Float64Array(n),
    lastT: new Float64Array(n),
    lastV: new Float64Array(n),
    increase: new Float64Array(n),
  };
}

function copyCounter(from: CounterAggregates, i: number, out: CounterAggregates, o: number): void {
  out.count[o] = from.count[i];
  out.firstT[o] = from.firstT[i];
  out.firstV[o] = from.firstV[i];
  out.lastT[o] = from.lastT[i];
  out.lastV[o] = from.lastV[i];
  out.increase[o] = from.increase[i];
}

/** out[o] = left[l] ⊕ right[r] (time order: left before right), as summarizeBuckets adds a later bucket. */
function combineCounter(left: CounterAggregates, l: number, right: CounterAggregates, r: number, out: CounterAggregates, o: number): void {
  if (right.count[r] === 0 || left.count[l] === 0) {
    if (right.count[r] === 0) copyCounter(left, l, out, o);
    else copyCounter(right, r, out, o);
    return;
  }
  const first = right.firstV[r];
  const lastV = left.lastV[l];
  out.increase[o] = left.increase[l] + ((first >= lastV ? first - lastV : first) + right.increase[r]);
  out.count[o] = left.count[l] + right.count[r];
  out.firstT[o] = left.firstT[l];
  out.firstV[o] = left.firstV[l];
  out.lastT[o] = right.lastT[r];
  out.lastV[o] = right.lastV[r];
}

/**
 * The counter summary (as summarizeBuckets) of buckets from … from+width−1, clipped to the
 * buckets there are, for any window start, after O(buckets) work; undefined where the
 * window holds no sample.
 */
export function slidingCounterWindows(buckets: CounterBuckets, width: number): (from: number) => WindowSummary | undefined {
  const n = buckets.count.length;
  const b: CounterAggregates = buckets;
  const prefix = counterAggregates(n);
  const suffix = counterAggregates(n);
  for (let j = 0; j < n; j += 1) {
    if (j % width === 0) copyCounter(b, j, prefix, j);
    else combineCounter(prefix, j - 1, b, j, prefix, j);
  }
  for (let j = n - 1; j >= 0; j -= 1) {
    if (j % width === width - 1 || j === n - 1) copyCounter(b, j, suffix, j);
    else combineCounter(b, j, suffix, j + 1, suffix, j);
  }
  const one = counterAggregates(1);
  const offset = buckets.offset ?? 0;
  // Blocks start at the first bucket held (any alignment works); `at` is a window start in the plan's buckets.
  return (at) => {
    const from = at - offset;
    if (n === 0 || from >= n || from + width <= 0) return undefined;
    const a = Math.max(0, from);
    const e = Math.min(from + width - 1, n - 1);
    if (a % width === 0 || Math.floor(a / width) === Math.floor(e / width)) {
      // One block: its prefix up to e (a starts it), or a's suffix (e is the last bucket there is).
      const source = a % width === 0 ? prefix : suffix;
      const i = a % width === 0 ? e : a;
      if (source.count[i] === 0) return undefined;
      return { count: source.count[i], firstT: source.firstT[i], firstV: source.firstV[i], lastT: source.lastT[i], lastV: source.lastV[i], increase: source.increase[i] };
    }
    combineCounter(suffix, a, prefix, e, one, 0);
    if (one.count[0] === 0) return undefined;
    return { count: one.count[0], firstT: one.firstT[0], firstV: one.firstV[0], lastT: one.lastT[0], lastV: one.lastV[0], increase: one.increase[0] };
  };
}

/** Least-squares sums with x in seconds since the aggregate's first bucket start. */
interface RegressionAggregates {
  count: Float64Array;
  sumX: Float64Array;
  sumY: Float64Array;
  sumXX: Float64Array;
  sumXY: Float64Array;
}

function regressionAggregates(n: number): RegressionAggregates {
  return { count: new Float64Array(n), sumX: new Float64Array(n), sumY: new Float64Array(n), sumXX: new Float64Array(n), sumXY: new Float64Array(n) };
}

/** out[o] = left[l] ⊕ right[r], right's x moved by `shiftS` seconds (the distance between their first buckets). */
function combineRegression(left: RegressionAggregates, l: number, right: RegressionAggregates, r: number, shiftS: number, out: RegressionAggregates, o: number): void {
  const c = right.count[r];
  const sx = right.sumX[r];
  const sy = right.sumY[r];
  out.sumXX[o] = left.sumXX[l] + right.sumXX[r] + 2 * shiftS * sx + c * shiftS * shiftS;
  out.sumXY[o] = left.sumXY[l] + right.sumXY[r] + shiftS * sy;
  out.sumX[o] = left.sumX[l] + sx + c * shiftS;
  out.sumY[o] = left.sumY[l] + sy;
  out.count[o] = left.count[l] + c;
}

/**
 * The least-squares slope (per second) of buckets from … from+width−1 for every window
 * start, in O(buckets + windows); `strideMs` is the distance between bucket starts.
 * Undefined with fewer than two samples or no spread in time (as regressionSlope).
 */
export function slidingRegressionWindows(buckets: RegressionBuckets, width: number, strideMs: number): (from: number) => number | undefined {
  const n = buckets.count.length;
  const strideS = strideMs / 1000;
  const b: RegressionAggregates = buckets;
  const zero = regressionAggregates(1);
  // prefix[j]: block start … j, x from the block start; suffix[j]: j … block end, x from bucket j.
  const prefix = regressionAggregates(n);
  const suffix = regressionAggregates(n);
  for (let j = 0; j < n; j += 1) {
    const start = j - (j % width);
    if (j === start) combineRegression(zero, 0, b, j, 0, prefix, j);
    else combineRegression(prefix, j - 1, b, j, (j - start) * strideS, prefix, j);
  }
  for (let j = n - 1; j >= 0; j -= 1) {
    if (j % width === width - 1 || j === n - 1) combineRegression(zero, 0, b, j, 0, suffix, j);
    else combineRegression(b, j, suffix, j + 1, strideS, suffix, j);
  }
  const one = regressionAggregates(1);
  const offset = buckets.offset ?? 0;
  return (at) => {
    const from = at - offset;
    if (n === 0 || from >= n || from + width <= 0) return undefined;
    const a = Math.max(0, from);
    const e = Math.min(from + width - 1, n - 1);
    let source = one;
    let i = 0;
    if (a % width === 0) {
      source = prefix;
      i = e;
    } else if (Math.floor(a / width) === Math.floor(e / width)) {
      source = suffix;
      i = a;
    } else {
      const blockStart = e - (e % width);
      combineRegression(suffix, a, prefix, e, (blockStart - a) * strideS, one, 0);
    }
    const count = source.count[i];
    if (count < 2) return undefined;
    const sx = source.sumX[i];
    const covXY = source.sumXY[i] - (sx * source.sumY[i]) / count;
    const varX = source.sumXX[i] - (sx * sx) / count;
    if (varX === 0) return undefined;
    return covXY / varX;
  };
}
