/**
 * Turns chart props into the row table recharts draws from. Pure; unit-tested.
 *
 * Series downsampled independently (LTTB keeps original, unevenly spaced timestamps) rarely share
 * timestamps, so rows are the union of the series' timestamps and each series (and the expected
 * band) is linearly interpolated at the others' timestamps — but only between two of its own points
 * that are not separated by a gap. Interpolated cells are flagged so the tooltip can mark them as
 * approximate. A gap (a point spacing more than GAP_FACTOR times the series' median spacing, or an
 * explicit null) gets a break row so the line is interrupted instead of bridging missing data.
 */
import type { AlertAnnotationView, AnomalyWindowView, ChartSeries, ExpectedBand, TimeRange } from "./types";

export const GAP_FACTOR = 3;

/** Row keys: series i is `s<i>`; `i<i>` is true when that cell was interpolated; `band` is [lower, upper]. */
export interface ChartRow {
  t: number;
  band?: [number, number] | null;
  [key: string]: number | boolean | [number, number] | null | undefined;
}

export function seriesKey(index: number): string {
  return `s${index}`;
}

export function interpolatedKey(index: number): string {
  return `i${index}`;
}

/** "Queue wait p50/p99" → "queue-wait-p50-p99". */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

type Scalar = readonly [number, number | null];

/** Median spacing of consecutive timestamps (0 with fewer than two points). */
export function medianStep(points: readonly Scalar[]): number {
  if (points.length < 2) return 0;
  const steps: number[] = [];
  for (let i = 1; i < points.length; i++) steps.push(points[i][0] - points[i - 1][0]);
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)];
}

/** Points sorted by time and restricted to finite timestamps; NaN/±Inf values become gaps. */
function clean(points: readonly Scalar[]): Scalar[] {
  return points
    .filter((p) => Number.isFinite(p[0]))
    .map((p): Scalar => [p[0], p[1] !== null && Number.isFinite(p[1]) ? p[1] : null])
    .sort((a, b) => a[0] - b[0]);
}

/** Timestamps where a line must break: explicit nulls, and the midpoint of every over-long spacing. */
function gapBreaks(points: readonly Scalar[]): number[] {
  const step = medianStep(points);
  const breaks: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const [t0] = points[i - 1];
    const [t1] = points[i];
    if (step > 0 && t1 - t0 > GAP_FACTOR * step) breaks.push(Math.round((t0 + t1) / 2));
  }
  return breaks;
}

/**
 * A sampler for one series: exact value at its own timestamps, interpolated between two adjacent
 * non-null points that are not a gap apart, undefined elsewhere.
 */
function sampler(points: readonly Scalar[]): (t: number) => { value: number | null; interpolated: boolean } | undefined {
  const step = medianStep(points);
  const exact = new Map<number, number | null>();
  for (const [t, v] of points) exact.set(t, v);
  let cursor = 0;
  // Rows are visited in increasing time order, so a moving cursor keeps this linear overall.
  return (t) => {
    if (exact.has(t)) return { value: exact.get(t) ?? null, interpolated: false };
    while (cursor < points.length && points[cursor][0] < t) cursor++;
    if (cursor === 0 || cursor >= points.length) return undefined;
    const [t0, v0] = points[cursor - 1];
    const [t1, v1] = points[cursor];
    if (v0 === null || v1 === null) return undefined;
    if (step > 0 && t1 - t0 > GAP_FACTOR * step) return undefined;
    return { value: v0 + ((v1 - v0) * (t - t0)) / (t1 - t0), interpolated: true };
  };
}

/** The merged row table for a chart: one row per distinct timestamp across the series (the band's own when there are none). */
export function buildChartRows(series: readonly ChartSeries[], band?: ExpectedBand): ChartRow[] {
  const cleaned = series.map((s) => clean(s.points));
  const lower = band ? clean(band.points.map((p): Scalar => [p[0], p[1]])) : [];
  const upper = band ? clean(band.points.map((p): Scalar => [p[0], p[2]])) : [];

  // The band is drawn at the series' timestamps (interpolated there) rather than adding rows of its
  // own: a row costs the chart as much for every series, and the band is the coarser of the two.
  const hasSeries = cleaned.some((points) => points.length > 0);
  const times = new Set<number>();
  for (const points of hasSeries ? cleaned : [...cleaned, lower]) {
    for (const [t] of points) times.add(t);
    for (const t of gapBreaks(points)) times.add(t);
  }
  const sorted = [...times].sort((a, b) => a - b);

  const samplers = cleaned.map(sampler);
  const lowerAt = sampler(lower);
  const upperAt = sampler(upper);
  const rows: ChartRow[] = [];
  for (const t of sorted) {
    const row: ChartRow = { t };
    samplers.forEach((at, i) => {
      const cell = at(t);
      if (cell === undefined) return;
      row[seriesKey(i)] = cell.value;
      if (cell.interpolated) row[interpolatedKey(i)] = true;
    });
    if (band) {
      const lo = lowerAt(t);
      const hi = upperAt(t);
      row.band = lo && hi && lo.value !== null && hi.value !== null ? [lo.value, hi.value] : null;
    }
    rows.push(row);
  }
  return rows;
}

/** True when no series has a single finite value. */
export function isEmptySeries(series: readonly ChartSeries[]): boolean {
  return !series.some((s) => s.points.some((p) => p[1] !== null && Number.isFinite(p[1])));
}

/** [x1, x2] of a window clipped to the visible range (an open window runs to the right edge), or null if outside. */
export function clipToRange(start: number, end: number | null, range: TimeRange): [number, number] | null {
  const x1 = Math.max(start, range.from);
  const x2 = Math.min(end ?? range.to, range.to);
  return x2 > x1 ? [x1, x2] : null;
}

/** The anomaly windows and alert annotations that cover time `t`. */
export function eventsAt(
  t: number,
  range: TimeRange,
  windows: readonly AnomalyWindowView[],
  annotations: readonly AlertAnnotationView[],
): { windows: AnomalyWindowView[]; annotations: AlertAnnotationView[] } {
  const covers = (start: number, end: number | null) => t >= start && t <= (end ?? range.to);
  return {
    windows: windows.filter((w) => covers(w.start, w.end)),
    annotations: annotations.filter((a) => covers(a.start, a.end)),
  };
}

/** Index of the tick nearest to `value` (used to sync the crosshair across charts with different timestamps). */
export function nearestIndex(values: readonly number[], value: number): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const distance = Math.abs(values[i] - value);
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  }
  return best;
}

/** The y domain's lower bound: 0 for non-negative data so bars and areas have a true baseline. */
export function yLowerBound(dataMin: number): number {
  return Number.isFinite(dataMin) ? Math.min(0, dataMin) : 0;
}

/**
 * Y ticks for byte values on binary boundaries (0, 16 MiB, 32 MiB… rather than 14.3 MiB steps):
 * a 1-2-5 step in the largest binary unit below `max`. Returns [] when there is nothing to scale.
 */
export function byteTicks(max: number, count = 4): number[] {
  if (!Number.isFinite(max) || max <= 0) return [];
  let unit = 1;
  while (max / unit >= 1024) unit *= 1024;
  const raw = max / unit / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude * unit;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) ticks.push(v);
  return ticks;
}

/** The largest finite value across series (stacked: of the per-row sums), for axis scaling. */
export function maxValue(rows: readonly ChartRow[], seriesCount: number, stacked: boolean): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    let sum = 0;
    for (let i = 0; i < seriesCount; i++) {
      const v = row[seriesKey(i)];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      if (stacked) sum += v;
      else max = Math.max(max, v);
    }
    if (stacked) max = Math.max(max, sum);
    if (Array.isArray(row.band)) max = Math.max(max, row.band[1]);
  }
  return max;
}
