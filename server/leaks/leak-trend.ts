/**
 * Sustained-growth test for a resource count: Theil–Sen slope (robust to outliers and
 * to the sawtooth of normal churn) plus a one-sided Mann–Kendall test (is the series
 * monotonically increasing beyond chance?). Pure: no clock, no I/O.
 */

export interface TrendPoint {
  /** Time in milliseconds. */
  t: number;
  value: number;
}

export interface LeakTrend {
  /** Theil–Sen slope in units per second (0 with fewer than two points). */
  slope: number;
  /** One-sided Mann–Kendall p-value for "increasing" (1 when there is no evidence). */
  pValue: number;
  /** True when the series increases significantly (pValue < alpha) with a positive slope. */
  growing: boolean;
  /** Points actually used (after thinning long windows). */
  n: number;
}

export interface LeakTrendOptions {
  /** Significance level; default 0.05. */
  alpha?: number;
  /** Longer windows are thinned to this many evenly spaced points (both tests are O(n²)); default 400. */
  maxPoints?: number;
}

/** Theil–Sen and Mann–Kendall over `points` (any order; sorted by time here). */
export function leakTrend(points: readonly TrendPoint[], options: LeakTrendOptions = {}): LeakTrend {
  const alpha = options.alpha ?? 0.05;
  const usable = thin(
    points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.value)).sort((a, b) => a.t - b.t),
    options.maxPoints ?? 400,
  );
  const slope = theilSenSlope(usable);
  const pValue = mannKendallIncreasingPValue(usable);
  return { slope, pValue, growing: pValue < alpha && slope > 0, n: usable.length };
}

/** Median of pairwise slopes (units per second). Pairs at the same time are skipped. */
export function theilSenSlope(points: readonly TrendPoint[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j].t - points[i].t;
      if (dt !== 0) slopes.push(((points[j].value - points[i].value) / dt) * 1000);
    }
  }
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[mid] : (slopes[mid - 1] + slopes[mid]) / 2;
}

/**
 * One-sided p-value of the Mann–Kendall S statistic for an increasing trend, with the
 * tie correction of the variance and a continuity correction (normal approximation).
 */
export function mannKendallIncreasingPValue(points: readonly TrendPoint[]): number {
  const n = points.length;
  if (n < 3) return 1;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++) s += Math.sign(points[j].value - points[i].value);
  }
  const ties = new Map<number, number>();
  for (const p of points) ties.set(p.value, (ties.get(p.value) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  if (variance <= 0 || s <= 0) return 1;
  const z = (s - 1) / Math.sqrt(variance);
  return upperNormalTail(z);
}

/** P(Z > z) for a standard normal Z, accurate to ~1e-7 relative in the tail. */
export function upperNormalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes erfcc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function thin(points: TrendPoint[], maxPoints: number): TrendPoint[] {
  if (points.length <= maxPoints) return points;
  const out: TrendPoint[] = [];
  const step = (points.length - 1) / (maxPoints - 1);
  for (let i = 0; i < maxPoints; i++) out.push(points[Math.round(i * step)]);
  return out;
}
