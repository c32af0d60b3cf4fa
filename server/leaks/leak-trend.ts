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

export interface SustainedGrowthOptions {
  /**
   * Windows (ms, ending at the judged instant) tested for sustained growth; growth over
   * any one of them counts. Short windows catch fast leaks quickly, long ones slow leaks.
   */
  windowsMs: readonly number[];
  /**
   * The count must have risen within this long before the judged instant (ms): once a
   * leak stops, the verdict clears after at most this long whatever the window.
   */
  recentMs: number;
  /** Significance level of the Mann–Kendall test; default 0.05. */
  alpha?: number;
  /** Fewest points a window needs (default 4: the smallest n at which Mann–Kendall can reach 0.05). */
  minPoints?: number;
}

export interface SustainedGrowth {
  growing: boolean;
  /** Theil–Sen slope per second over the window that grew (or the shortest window). */
  slope: number;
  /** Mann–Kendall p-value over that window. */
  pValue: number;
  /** The window that grew, in ms; null when none did. */
  windowMs: number | null;
}

/** Segments each window is cut into: growth must show in every one of them. */
const SEGMENTS = 3;
/** Points per window after thinning (the tests are O(n²)). */
const WINDOW_POINTS = 90;

/**
 * The one leak-growth verdict, shared by Node leak groups, Go goroutine groups and the
 * leak-growth alert: is the count at `at` in sustained growth? For some window W:
 * - the one-sided Mann–Kendall test says "increasing" at `alpha`, with a positive
 *   Theil–Sen slope;
 * - the window's oldest, middle and newest thirds each rise on their own (growth
 *   throughout, not one step: a pool that warms up and stays flat fails this unless its
 *   warm-up spans more than two thirds of every window, as does a leak that stopped a
 *   third of a window ago);
 * and, for every window, the count rose within the last `recentMs` (the latest value is
 * above the last value at or before `at - recentMs`), so a stopped leak clears quickly.
 * Pure: no clock, no state; points may come in any order.
 */
export function sustainedGrowth(points: readonly TrendPoint[], at: number, options: SustainedGrowthOptions): SustainedGrowth {
  const alpha = options.alpha ?? 0.05;
  const minPoints = options.minPoints ?? 4;
  const windows = [...options.windowsMs].sort((a, b) => a - b);
  const sorted = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.value) && p.t <= at).sort((a, b) => a.t - b.t);
  const none = (slope = 0, pValue = 1): SustainedGrowth => ({ growing: false, slope, pValue, windowMs: null });
  if (sorted.length < minPoints || windows.length === 0) return none();
  const latest = sorted[sorted.length - 1].value;
  let before: number | undefined;
  for (const p of sorted) if (p.t <= at - options.recentMs) before = p.value;
  const risenRecently = before !== undefined && latest > before;
  let first: SustainedGrowth | undefined;
  for (const windowMs of windows) {
    const start = at - windowMs;
    const inWindow = thin(
      sorted.filter((p) => p.t >= start),
      WINDOW_POINTS,
    );
    if (inWindow.length < minPoints) continue;
    const slope = theilSenSlope(inWindow);
    const pValue = mannKendallIncreasingPValue(inWindow);
    first ??= none(slope, pValue);
    if (!risenRecently || !(pValue < alpha && slope > 0)) continue;
    if (segmentsIncrease(sorted, inWindow, start, windowMs)) return { growing: true, slope, pValue, windowMs };
  }
  return first ?? none();
}

/**
 * Each third of the window rises on its own (the Theil–Sen slope of its points, with the
 * last point before it as an anchor, is positive), and the newest third lies wholly above
 * the oldest. One step (a pool that warms up) lifts one or two thirds, never all three;
 * a sawtooth (garbage collected now and then) falls back.
 */
function segmentsIncrease(sorted: readonly TrendPoint[], inWindow: readonly TrendPoint[], start: number, windowMs: number): boolean {
  const segments: TrendPoint[][] = Array.from({ length: SEGMENTS }, () => []);
  for (const p of inWindow) segments[Math.min(SEGMENTS - 1, Math.floor(((p.t - start) / windowMs) * SEGMENTS))].push(p);
  let anchor: TrendPoint | undefined;
  for (const p of sorted) if (p.t < start) anchor = p;
  if (segments.some((points) => points.length === 0)) return false;
  // Above where it was: the newest third lies wholly above the oldest (a sawtooth of garbage
  // that is collected now and then, or churn, falls back).
  if (!(Math.min(...segments[SEGMENTS - 1].map((p) => p.value)) > Math.max(...segments[0].map((p) => p.value)))) return false;
  for (const points of segments) {
    // The series' very first point has nothing before it to rise from: it is the baseline.
    const baselineOnly = !anchor && points.length === 1;
    if (!baselineOnly && !(theilSenSlope(anchor ? [anchor, ...points] : points) > 0)) return false;
    anchor = points[points.length - 1];
  }
  return true;
}

/**
 * The default windows for a series sampled every `sampleIntervalMs`: 12, 60 and 180
 * samples (1, 5 and 15 minutes at 5 s), and a recency span of 12 samples but at least
 * three samples' worth, so one missed sample never clears a verdict.
 */
export function growthWindowsFor(sampleIntervalMs: number): Pick<SustainedGrowthOptions, "windowsMs" | "recentMs"> {
  return { windowsMs: [12, 60, 180].map((n) => n * sampleIntervalMs), recentMs: 12 * sampleIntervalMs };
}
