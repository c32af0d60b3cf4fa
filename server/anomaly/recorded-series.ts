import type { RangeQuery, RangeResult } from "../query/range-query";
import type { FetchSeries } from "./service";
import type { SeriesQuery } from "./watched-series";

/**
 * Adapts a watched series to the recorder's range query: one series per watched key
 * (several matching series are summed unless the query says otherwise), evaluated at
 * the recording interval so the detector sees every sample period once.
 */
export function recordedSeriesFetcher(range: (query: RangeQuery) => Promise<RangeResult>, stepMs: number): FetchSeries {
  return async (query: SeriesQuery, fromMs: number, toMs: number) => {
    const maxSteps = 10_000;
    const start = Math.max(fromMs, toMs - maxSteps * stepMs);
    const result = await range({
      metric: query.metric,
      matchers: query.matchers,
      start: Math.floor(start),
      end: Math.floor(toMs),
      stepMs,
      maxPoints: maxSteps + 1,
      fn: query.fn,
      quantile: query.q,
      aggregate: { op: query.fn === "histogram_quantile" ? "sum" : (query.agg ?? "sum"), by: (query.by ?? []).filter((label) => label !== "le") },
      downsample: "minmax",
      maxSeries: 1,
    });
    return result.series[0]?.points.map(([ts, value]) => [ts, value] as [number, number]) ?? [];
  };
}
