/** One classic-histogram bucket: upper bound (`le`) and cumulative count (or rate). */
export interface HistogramBucket {
  upperBound: number;
  count: number;
}

/** Parses an `le` label value ("0.005", "1e-08", "+Inf"); NaN when it is not a number. */
export function parseUpperBound(le: string): number {
  const text = le.trim();
  if (text === "+Inf" || text === "Inf" || text === "+inf" || text === "inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf" || text === "-inf") return Number.NEGATIVE_INFINITY;
  return text === "" ? Number.NaN : Number(text);
}

/**
 * Prometheus's bucketQuantile (promql/quantile.go): the φ-quantile of classic
 * histogram buckets, interpolating linearly inside the bucket it falls in.
 * - q < 0 → −Inf, q > 1 → +Inf, q NaN → NaN;
 * - the highest bucket must be +Inf, else NaN; fewer than 2 buckets or 0 observations → NaN;
 * - buckets with the same bound are merged, counts within 1e-12 relative are treated
 *   as equal, and decreasing counts are raised to a monotonic envelope;
 * - a quantile in the +Inf bucket returns the second-highest bound; in the lowest
 *   bucket it interpolates from 0 (or returns the bound if that is ≤ 0).
 */
export function bucketQuantile(q: number, input: readonly HistogramBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (input.length === 0) return Number.NaN;
  const sorted = [...input].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted[sorted.length - 1].upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  const buckets = coalesce(sorted);
  correctPrecisionErrors(buckets, 1e-12);
  ensureMonotonic(buckets);
  if (buckets.length < 2) return Number.NaN;
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0 || Number.isNaN(observations)) return Number.NaN;
  let rank = q * observations;
  // sort.Search over the first len-1 buckets: the first with count ≥ rank.
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i += 1) {
    if (buckets[i].count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2].upperBound;
  if (b === 0 && buckets[0].upperBound <= 0) return buckets[0].upperBound;
  let bucketStart = 0;
  const bucketEnd = buckets[b].upperBound;
  let count = buckets[b].count;
  if (b > 0) {
    bucketStart = buckets[b - 1].upperBound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

function coalesce(sorted: HistogramBucket[]): HistogramBucket[] {
  const out: HistogramBucket[] = [];
  for (const bucket of sorted) {
    const last = out[out.length - 1];
    if (last && last.upperBound === bucket.upperBound) last.count += bucket.count;
    else out.push({ ...bucket });
  }
  return out;
}

function correctPrecisionErrors(buckets: HistogramBucket[], tolerance: number): void {
  let prev = buckets[0].count;
  for (let i = 1; i < buckets.length; i += 1) {
    const curr = buckets[i].count;
    const delta = Math.abs(curr - prev);
    if (delta === 0) continue;
    if (delta / curr <= tolerance) buckets[i].count = prev;
    else prev = curr;
  }
}

/** Raises decreasing cumulative counts (sorted by bound) to a monotonic envelope, in place. */
export function ensureMonotonic(buckets: HistogramBucket[]): void {
  let max = buckets[0].count;
  for (let i = 1; i < buckets.length; i += 1) {
    if (buckets[i].count > max) max = buckets[i].count;
    else if (buckets[i].count < max) buckets[i].count = max;
  }
}
