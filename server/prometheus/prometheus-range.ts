import { minMaxBucketsOf, type Sample } from "../query/buckets";
import { lttb, minMaxDownsample, minMaxPoints, type Point } from "../query/downsample";
import { maxWindowMs, QueryBudgetError } from "../query/query-cost";
import { MAX_POINTS_LIMIT, planMinMax } from "../query/range-plan";
import { planQuery, type RangeQuery, type RangeResult, type ResultSeries } from "../query/range-query";
import type { Labels } from "../query/selector";
import { type PromLabels, type PromMatrix, parseSampleValue, type PrometheusApi } from "./api";
import { envelopeExpressions, evaluatedExpression, rawSamplesExpression } from "./promql";

export interface PrometheusRangeOptions {
  /** The shortest default rate window (like Grafana's $__rate_interval: 4 scrapes, at least 1 m). */
  minWindowMs: number;
  /** The scrape interval of the series there, to tell how many raw samples a range holds. */
  scrapeIntervalMs: number;
  signal?: AbortSignal;
}

/** Raw samples per series fetched as they are at most; longer raw ranges are read as min/max envelopes per step. */
export const MAX_RAW_SAMPLES_PER_SERIES = 2 * MAX_POINTS_LIMIT;

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function sortByLabels<T extends { labels: Labels }>(series: T[]): T[] {
  return series
    .map((s) => ({ s, k: labelKey(s.labels) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map(({ s }) => s);
}

/** [unix seconds, "value"] pairs as chart points (epoch ms); values that are not finite are left out, as locally. */
function pointsOf(values: readonly [number, string][] | undefined): Point[] {
  const out: Point[] = [];
  for (const [t, text] of values ?? []) {
    const v = parseSampleValue(text);
    if (Number.isFinite(v)) out.push([Math.round(t * 1000), v]);
  }
  return out;
}

function finish(series: ResultSeries[], query: RangeQuery, extra: Omit<RangeResult, "series" | "truncated">): RangeResult {
  const sorted = sortByLabels(series.filter((s) => s.points.length > 0));
  const truncated = sorted.length > query.maxSeries;
  return { series: sorted.slice(0, query.maxSeries), ...extra, ...(truncated ? { truncated } : {}) };
}

/**
 * A range query answered by a Prometheus-compatible server: the query is written as PromQL and
 * evaluated there by `query_range` at exactly the steps the local engine would use (same step,
 * same window), so the server's own rate/increase/deriv/histogram_quantile, lookback and
 * staleness give the values; only downsampling to the chart's width happens here, as for local
 * series. Raw values without aggregation (unless `instant` asks for their values at the steps) are read as raw samples (a range-vector instant query)
 * and min/max downsampled as locally; over ranges holding more than
 * MAX_RAW_SAMPLES_PER_SERIES samples, as the min and max of each step
 * (`min_over_time`/`max_over_time`), which keeps every extreme.
 */
export async function runPrometheusRange(api: PrometheusApi, query: RangeQuery, options: PrometheusRangeOptions): Promise<RangeResult> {
  if (query.fn === "raw" && !query.aggregate && !query.instant) return rawRange(api, query, options);
  const plan = planQuery(query, { minWindowMs: options.minWindowMs });
  // The exact window asked (the local engine may widen a window it cannot cut into buckets; a server needs no buckets).
  const windowMs = query.windowMs ?? plan.windowMs;
  const widest = maxWindowMs(plan.end - plan.start, plan.stepMs);
  if (query.windowMs !== undefined && query.windowMs > widest) {
    throw new QueryBudgetError(`windowMs ${query.windowMs} is too wide for this range and step (at most ${widest} ms: 100 × the range or step, and at least 7 days)`);
  }
  const matrix = await api.queryRange(evaluatedExpression(query, windowMs), plan.start, plan.end, plan.stepMs, options.signal);
  const series = matrix.map((s) => ({ labels: s.metric, points: minMaxDownsample(pointsOf(s.values), query.maxPoints) }));
  return finish(series, query, { step: plan.stepMs, ...(query.fn === "raw" ? {} : { windowMs }) });
}

async function rawRange(api: PrometheusApi, query: RangeQuery, options: PrometheusRangeOptions): Promise<RangeResult> {
  const budget = query.downsample === "lttb" ? Math.min(MAX_POINTS_LIMIT * 2, query.maxPoints * 2) : query.maxPoints;
  const plan = planMinMax({ start: query.start, end: query.end, maxPoints: budget, stepMs: query.stepMs });
  const reduce = (points: Point[]) => (query.downsample === "lttb" ? lttb(points, query.maxPoints) : minMaxDownsample(points, query.maxPoints));
  const samplesPerSeries = (plan.end - plan.start) / options.scrapeIntervalMs;
  if (samplesPerSeries <= MAX_RAW_SAMPLES_PER_SERIES) {
    // (end − range, end] with range one ms longer than [start, end]: the same samples in Prometheus 2 and 3.
    const data = await api.query(rawSamplesExpression(query, plan.end - plan.start + 1), plan.end, options.signal);
    const matrix: PromMatrix = data.resultType === "matrix" ? data.result : [];
    const series = matrix.map((s) => {
      const samples: Sample[] = [];
      for (const [t, v] of pointsOf(s.values)) if (t >= plan.start && t <= plan.end) samples.push({ t, v });
      const buckets = minMaxBucketsOf(samples, plan.origin, plan.bucketMs, plan.buckets, plan.start, plan.end);
      return { labels: { __name__: query.metric, ...s.metric }, points: reduce(minMaxPoints(buckets)) };
    });
    return finish(series, query, { step: plan.bucketMs });
  }
  // Too many samples to move: each step's min and max, evaluated there.
  const stepMs = Math.max(plan.bucketMs, 1_000);
  const expressions = envelopeExpressions(query, stepMs);
  // Steps end at `end` (the newest samples are in the last window) and the windows (t − step, t] tile back past `start`.
  const first = plan.end - Math.ceil((plan.end - plan.start) / stepMs) * stepMs;
  const [lows, highs] = await Promise.all([
    api.queryRange(expressions.min, first, plan.end, stepMs, options.signal),
    api.queryRange(expressions.max, first, plan.end, stepMs, options.signal),
  ]);
  const byKey = new Map<string, { labels: PromLabels; low: Point[]; high: Point[] }>();
  const add = (matrix: PromMatrix, side: "low" | "high") => {
    for (const s of matrix) {
      const labels = { __name__: query.metric, ...s.metric };
      const key = labelKey(labels);
      const entry = byKey.get(key) ?? { labels, low: [], high: [] };
      entry[side] = pointsOf(s.values);
      byKey.set(key, entry);
    }
  };
  add(lows, "low");
  add(highs, "high");
  const series = [...byKey.values()].map(({ labels, low, high }) => {
    const highAt = new Map(high);
    const points: Point[] = [];
    for (const [t, v] of low) {
      points.push([t, v]);
      const h = highAt.get(t);
      if (h !== undefined && h !== v) points.push([t, h]);
    }
    return { labels, points: reduce(points) };
  });
  return finish(series, query, { step: stepMs });
}
