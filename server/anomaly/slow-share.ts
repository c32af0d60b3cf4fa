import { ensureMonotonic, type HistogramBucket, parseUpperBound } from "../query/histogram-quantile";
import type { SeriesPoint } from "./service";

/**
 * The share of a window's observations slower than `factor` × the usual median, from a
 * classic histogram: a dependency three times slower moves nearly every reconcile past
 * twice the usual median at once, while a median or a p99 moves only once half (or the
 * last percent) of the window's reconciles are slow. Judged by its counts, as an error
 * ratio is (count-test.ts): of `trials` reconciles in the window, how improbable is it
 * that this many took that long, given the share that usually does?
 *
 * The threshold is `factor` × the median of a trailing reference window that ends where
 * the current window begins (so the slow reconciles being counted never move their own
 * threshold). The observations above it are counted from the bucket rates of the window,
 * above the bucket bound nearest the threshold on a log scale (whole buckets: exact counts).
 */

/** An observation counts as slow above this many times the usual median. */
export const SLOW_SHARE_FACTOR = 2;
/** The steps before a window whose median is the usual one (10 minutes at the default 5 s scrape). */
export const SLOW_SHARE_REFERENCE_STEPS = 120;

/** The bucket rates of one `le` over a window, step by step. */
export interface BucketSeries {
  le: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/**
 * The observations above `threshold` and all observations, from cumulative buckets (any
 * order; the highest must be +Inf). Null when there is no +Inf bucket or no observation.
 */
export function countAbove(threshold: number, input: readonly HistogramBucket[]): { above: number; total: number } | null {
  const sorted = [...input].filter((b) => !Number.isNaN(b.upperBound) && Number.isFinite(b.count)).sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.length === 0 || sorted[sorted.length - 1].upperBound !== Number.POSITIVE_INFINITY) return null;
  // A monotonic envelope, as histogram_quantile makes of counts read at slightly different times.
  const buckets = sorted.map((b) => ({ ...b }));
  ensureMonotonic(buckets);
  const total = buckets[buckets.length - 1].count;
  if (!(total > 0)) return null;
  // The bucket bound nearest the threshold (on a log scale): whole buckets give exact counts,
  // as a count test wants, where interpolating inside a bucket a decade wide would guess.
  let below = Number.NaN;
  let distance = Number.POSITIVE_INFINITY;
  for (const b of buckets) {
    if (!(b.upperBound > 0) || b.upperBound === Number.POSITIVE_INFINITY) continue;
    const d = Math.abs(Math.log(b.upperBound / threshold));
    if (d < distance) {
      distance = d;
      below = b.count;
    }
  }
  if (Number.isNaN(below)) return null;
  return { above: Math.max(0, total - below), total };
}

/**
 * Step by step: [ts, share above factor × reference, trials (observations in the window),
 * share of the window each step adds]. `references` are the trailing medians by timestamp;
 * the one used at ts is the latest at or before ts − windowMs, where its window begins.
 * No point where the window observed nothing or no reference is known yet.
 */
export function slowShareOf(
  buckets: readonly BucketSeries[],
  references: ReadonlyArray<readonly [number, number]>,
  options: { factor: number; windowMs: number; stepMs: number },
): SeriesPoint[] {
  const sortedReferences = [...references].sort((a, b) => a[0] - b[0]);
  const byTs = new Map<number, HistogramBucket[]>();
  for (const series of buckets) {
    const upperBound = parseUpperBound(series.le);
    if (Number.isNaN(upperBound)) continue;
    for (const [ts, rate] of series.points) {
      const at = byTs.get(ts) ?? [];
      if (at.length === 0) byTs.set(ts, at);
      at.push({ upperBound, count: rate });
    }
  }
  const windowS = options.windowMs / 1000;
  const share = Math.min(1, options.stepMs / options.windowMs);
  const out: SeriesPoint[] = [];
  let next = 0;
  let reference = Number.NaN;
  for (const ts of [...byTs.keys()].sort((a, b) => a - b)) {
    // The latest reference at or before the window's start.
    while (next < sortedReferences.length && sortedReferences[next][0] <= ts - options.windowMs) reference = sortedReferences[next++][1];
    if (!(reference > 0) || !Number.isFinite(reference)) continue;
    const counted = countAbove(options.factor * reference, byTs.get(ts) ?? []);
    if (!counted) continue;
    out.push([ts, Math.min(1, counted.above / counted.total), counted.total * windowS, share]);
  }
  return out;
}
