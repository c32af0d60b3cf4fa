/**
 * Per-bucket aggregates of one series, as the SQL adapter computes them (and as the
 * reference functions here compute them from raw samples, for tests and small data).
 * Index j is bucket (origin + j·stride, origin + j·stride + bucketMs] (stride =
 * bucketMs for contiguous buckets; larger when only the windows of steps far apart
 * are read). Empty buckets have count 0 and their other fields are meaningless.
 * Counter and regression buckets may hold only the span of buckets where samples are
 * (`offset`: array index k is bucket offset + k; every bucket outside is empty), so a
 * month-long window over a week of data does not allocate a month of empty buckets.
 */

export interface Sample {
  t: number;
  v: number;
}

/** What rate/increase need: first/last sample and the reset-corrected increase inside each bucket. */
export interface CounterBuckets {
  /** The plan's bucket at array index 0 (default 0); buckets outside the arrays are empty. */
  offset?: number;
  count: Float64Array;
  firstT: Float64Array;
  firstV: Float64Array;
  lastT: Float64Array;
  lastV: Float64Array;
  /** Σ over consecutive samples inside the bucket of (v ≥ prev ? v − prev : v). */
  increase: Float64Array;
}

/** What deriv needs: least-squares sums, x in seconds since the bucket's start. */
export interface RegressionBuckets {
  /** As CounterBuckets.offset. */
  offset?: number;
  count: Float64Array;
  sumX: Float64Array;
  sumY: Float64Array;
  sumXX: Float64Array;
  sumXY: Float64Array;
}

/** What instant values need: the latest sample and the extremes of each bucket. */
export interface ValueBuckets {
  count: Float64Array;
  lastT: Float64Array;
  lastV: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** Raw min/max downsampling: the lowest and highest sample of each bucket with their times. */
export interface MinMaxBucket {
  count: number;
  minT: number;
  minV: number;
  maxT: number;
  maxV: number;
}

export function emptyCounterBuckets(n: number, offset = 0): CounterBuckets {
  return {
    offset,
    count: new Float64Array(n),
    firstT: new Float64Array(n),
    firstV: new Float64Array(n),
    lastT: new Float64Array(n),
    lastV: new Float64Array(n),
    increase: new Float64Array(n),
  };
}

export function emptyRegressionBuckets(n: number, offset = 0): RegressionBuckets {
  return { offset, count: new Float64Array(n), sumX: new Float64Array(n), sumY: new Float64Array(n), sumXX: new Float64Array(n), sumXY: new Float64Array(n) };
}

export function emptyValueBuckets(n: number): ValueBuckets {
  return { count: new Float64Array(n), lastT: new Float64Array(n), lastV: new Float64Array(n), min: new Float64Array(n), max: new Float64Array(n) };
}

/** Index of the left-open bucket holding time t, or -1 outside [0, n) or between strided buckets. */
export function bucketIndex(t: number, origin: number, bucketMs: number, n: number, stride = bucketMs): number {
  const j = Math.ceil((t - origin - bucketMs) / stride);
  return j >= 0 && j < n && t > origin + j * stride ? j : -1;
}

/** Reference implementation of the SQL counter aggregation (samples sorted by time). */
export function counterBucketsOf(samples: readonly Sample[], origin: number, bucketMs: number, n: number, stride = bucketMs): CounterBuckets {
  const out = emptyCounterBuckets(n);
  let prevJ = -1;
  for (const { t, v } of samples) {
    const j = bucketIndex(t, origin, bucketMs, n, stride);
    if (j < 0) continue;
    if (out.count[j] === 0) {
      out.firstT[j] = t;
      out.firstV[j] = v;
    } else if (prevJ === j) {
      const prev = out.lastV[j];
      out.increase[j] += v >= prev ? v - prev : v;
    }
    out.count[j] += 1;
    out.lastT[j] = t;
    out.lastV[j] = v;
    prevJ = j;
  }
  return out;
}

/** Reference implementation of the SQL regression aggregation. */
export function regressionBucketsOf(samples: readonly Sample[], origin: number, bucketMs: number, n: number, stride = bucketMs): RegressionBuckets {
  const out = emptyRegressionBuckets(n);
  for (const { t, v } of samples) {
    const j = bucketIndex(t, origin, bucketMs, n, stride);
    if (j < 0) continue;
    const x = (t - (origin + j * stride)) / 1000;
    out.count[j] += 1;
    out.sumX[j] += x;
    out.sumY[j] += v;
    out.sumXX[j] += x * x;
    out.sumXY[j] += x * v;
  }
  return out;
}

/** Reference implementation of the SQL instant-value aggregation. */
export function valueBucketsOf(samples: readonly Sample[], origin: number, bucketMs: number, n: number, stride = bucketMs): ValueBuckets {
  const out = emptyValueBuckets(n);
  for (const { t, v } of samples) {
    const j = bucketIndex(t, origin, bucketMs, n, stride);
    if (j < 0) continue;
    if (out.count[j] === 0 || t >= out.lastT[j]) {
      out.lastT[j] = t;
      out.lastV[j] = v;
    }
    out.min[j] = out.count[j] === 0 ? v : Math.min(out.min[j], v);
    out.max[j] = out.count[j] === 0 ? v : Math.max(out.max[j], v);
    out.count[j] += 1;
  }
  return out;
}

/** Reference implementation of the SQL min/max aggregation (left-closed buckets [origin + j·b, …)). */
export function minMaxBucketsOf(samples: readonly Sample[], origin: number, bucketMs: number, n: number, start: number, end: number): (MinMaxBucket | undefined)[] {
  const out: (MinMaxBucket | undefined)[] = new Array(n).fill(undefined);
  for (const { t, v } of samples) {
    if (t < start || t > end || !Number.isFinite(v)) continue;
    const j = Math.floor((t - origin) / bucketMs);
    if (j < 0 || j >= n) continue;
    const b = out[j];
    if (!b) {
      out[j] = { count: 1, minT: t, minV: v, maxT: t, maxV: v };
      continue;
    }
    b.count += 1;
    if (v < b.minV || (v === b.minV && t < b.minT)) {
      b.minV = v;
      b.minT = t;
    }
    if (v > b.maxV || (v === b.maxV && t > b.maxT)) {
      b.maxV = v;
      b.maxT = t;
    }
  }
  return out;
}
