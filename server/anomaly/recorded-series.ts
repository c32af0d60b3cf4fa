import type { RangeQuery, RangeResult } from "../query/range-query";
import type { FetchSeries, SeriesPoint } from "./service";
import { SLOW_SHARE_FACTOR, SLOW_SHARE_REFERENCE_STEPS, slowShareOf } from "./slow-share";
import type { SeriesQuery } from "./watched-series";

/**
 * Adapts a watched series to the recorder's range query: one series per watched key
 * (several matching series are summed unless the query says otherwise), evaluated at
 * the recording interval so the detector sees every sample period once.
 * - A `mean` is the rate of the histogram's `_sum` over the rate of its `_count`, step by
 *   step (no point where nothing was observed).
 * - A `ratio` is the rate of its counter over the rate of the `over` counter (no point
 *   where `over` counted nothing), with the events behind it: [ts, ratio, trials, share],
 *   trials being the `over` events in the window and share the part of the window that
 *   is new at each step (step / window), so the detector can judge the count.
 * - A `rate` with `less` is the rate less the other counter's rate (never below zero).
 * - A `slow_share` is the share of each window's observations above factor × the median of
 *   the reference steps before it (slow-share.ts), with its trials and share as a ratio's.
 * - With `except`, points whose window counted events of that counter are left out.
 * - A `histogram_quantile` point exists only where the window holds enough observations
 *   for the quantile to be one (at least 1 / (1 − q): 100 for a p99). Over fewer, the
 *   "p99" is the largest of a handful, interpolated across a bucket a decade wide, and
 *   one ordinary slow reconcile throws it there and back.
 */
export function recordedSeriesFetcher(range: (query: RangeQuery) => Promise<RangeResult>, stepMs: number): FetchSeries {
  return async (query: SeriesQuery, fromMs: number, toMs: number) => {
    if (!query.except) return read(query, fromMs, toMs);
    const except = query.except;
    const [points, events] = await Promise.all([
      read({ ...query, except: undefined }, fromMs, toMs),
      read({ metric: except.metric, matchers: except.matchers ?? query.matchers, fn: "rate", agg: "sum", source: query.source, windowSteps: query.windowSteps }, fromMs, toMs),
    ]);
    const counted = new Set(events.flatMap(([ts, rate]) => (rate > 0 ? [ts] : [])));
    return points.filter(([ts]) => !counted.has(ts));
  };

  async function read(query: SeriesQuery, fromMs: number, toMs: number): Promise<SeriesPoint[]> {
    const maxSteps = 10_000;
    const start = Math.max(fromMs, toMs - maxSteps * stepMs);
    const summed = query.fn === "histogram_quantile" || query.fn === "mean" || query.fn === "ratio" || query.fn === "slow_share";
    const many = (metric: string, fn: RangeQuery["fn"], matchers = query.matchers, at: Partial<RangeQuery> = {}) =>
      range({
        metric,
        matchers,
        start: Math.floor(start),
        end: Math.floor(toMs),
        stepMs,
        maxPoints: maxSteps + 1,
        fn,
        ...(query.windowSteps !== undefined && fn !== "raw" ? { windowMs: query.windowSteps * stepMs } : {}),
        quantile: query.q,
        aggregate: { op: summed ? "sum" : (query.agg ?? "sum"), by: (query.by ?? []).filter((label) => label !== "le") },
        downsample: "minmax",
        maxSeries: 1,
        source: query.source,
        ...at,
      });
    const pairs = (points: ReadonlyArray<readonly [number, number]> | undefined) => points?.map(([ts, value]) => [ts, value] as [number, number]) ?? [];
    const one = async (metric: string, fn: RangeQuery["fn"], matchers = query.matchers, at: Partial<RangeQuery> = {}) => {
      const result = await many(metric, fn, matchers, at);
      return { points: pairs(result.series[0]?.points), windowMs: result.windowMs };
    };
    if (query.fn === "mean") {
      const [sums, counts] = await Promise.all([one(`${query.metric}_sum`, "rate"), one(`${query.metric}_count`, "rate")]);
      return meanOf(sums.points, counts.points);
    }
    if (query.fn === "ratio" && query.over) {
      const [events, over] = await Promise.all([one(query.metric, "rate"), one(query.over.metric, "rate", query.over.matchers ?? query.matchers)]);
      return ratioOf(events.points, over.points, over.windowMs ?? Math.max(60_000, stepMs), stepMs);
    }
    if (query.fn === "rate" && query.less) {
      const [all, less] = await Promise.all([one(query.metric, "rate"), one(query.less.metric, "rate", query.less.matchers ?? query.matchers)]);
      return differenceOf(all.points, less.points);
    }
    if (query.fn === "slow_share") {
      const buckets = await many(query.metric, "rate", query.matchers, { aggregate: { op: "sum", by: ["le"] }, maxSeries: 1_000 });
      const windowMs = buckets.windowMs ?? Math.max(60_000, stepMs);
      // The reference median over the steps before each window: read from a window earlier.
      const referenceMs = (query.referenceSteps ?? SLOW_SHARE_REFERENCE_STEPS) * stepMs;
      const reference = await one(query.metric, "histogram_quantile", query.matchers, { quantile: 0.5, windowMs: referenceMs, start: Math.floor(start - windowMs) });
      const bySeries = buckets.series.flatMap((s) => (s.labels.le === undefined ? [] : [{ le: s.labels.le, points: pairs(s.points) }]));
      return slowShareOf(bySeries, reference.points, { factor: query.factor ?? SLOW_SHARE_FACTOR, windowMs, stepMs });
    }
    if (query.fn === "histogram_quantile" && query.q !== undefined) {
      const [quantiles, counts] = await Promise.all([one(query.metric, "histogram_quantile"), one(query.metric.replace(/_bucket$/, "_count"), "rate")]);
      return quantilesWithEnoughObservations(quantiles.points, counts.points, query.q, counts.windowMs ?? quantiles.windowMs ?? Math.max(60_000, stepMs));
    }
    return (await one(query.metric, query.fn === "ratio" ? "rate" : query.fn)).points;
  }
}

/** Pointwise sum rate / count rate at the timestamps both have (count rate > 0). */
export function meanOf(sums: ReadonlyArray<readonly [number, number]>, counts: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const byTs = new Map(counts.map(([ts, c]) => [ts, c]));
  const out: Array<[number, number]> = [];
  for (const [ts, s] of sums) {
    const c = byTs.get(ts);
    if (c !== undefined && c > 0 && Number.isFinite(s)) out.push([ts, s / c]);
  }
  return out;
}

/**
 * Pointwise event rate / all-events rate where all events > 0, with the events behind
 * it: [ts, ratio, trials (events of `over` in the window), share (step / window)].
 * A step with no numerator point counted none of them (rate 0).
 */
export function ratioOf(
  events: ReadonlyArray<readonly [number, number]>,
  over: ReadonlyArray<readonly [number, number]>,
  windowMs: number,
  stepMs: number,
): SeriesPoint[] {
  const byTs = new Map(events.map(([ts, e]) => [ts, e]));
  const windowS = windowMs / 1000;
  const share = Math.min(1, stepMs / windowMs);
  const out: SeriesPoint[] = [];
  for (const [ts, n] of over) {
    if (!(n > 0)) continue;
    const e = byTs.get(ts) ?? 0;
    if (!Number.isFinite(e)) continue;
    out.push([ts, Math.min(1, Math.max(0, e / n)), n * windowS, share]);
  }
  return out;
}

/** Pointwise rate − rate of the events left out (none where that has no point), never below zero. */
export function differenceOf(all: ReadonlyArray<readonly [number, number]>, less: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const byTs = new Map(less.map(([ts, v]) => [ts, v]));
  return all.map(([ts, v]) => [ts, Math.max(0, v - (byTs.get(ts) ?? 0))]);
}

/** The quantile points whose window held at least 1 / (1 − q) observations. */
export function quantilesWithEnoughObservations(
  quantiles: ReadonlyArray<readonly [number, number]>,
  countRates: ReadonlyArray<readonly [number, number]>,
  q: number,
  windowMs: number,
): Array<[number, number]> {
  const needed = q < 1 ? 1 / (1 - q) : Number.POSITIVE_INFINITY;
  const observed = new Map(countRates.map(([ts, rate]) => [ts, (rate * windowMs) / 1000]));
  const out: Array<[number, number]> = [];
  // A tiny tolerance: extrapolated counts of an exact 100 land a hair either side.
  for (const [ts, v] of quantiles) if ((observed.get(ts) ?? 0) >= needed * (1 - 1e-9) && Number.isFinite(v)) out.push([ts, v]);
  return out;
}
