import type { SeriesQuery } from "../anomaly/watched-series";
import { type ExploreQuery, ExploreSyntaxError, formatExploreQuery, parseExploreQuery } from "./explore-query";
import { type PackedSeries, packSeries } from "./packed-series";
import type { DashboardSources } from "./sources";

export interface ExploreResult {
  text: string;
  query: ExploreQuery;
  series: { name: string; labels: Record<string, string>; packed: PackedSeries }[];
  truncated: boolean;
  /** The alert rule query (recorder query) and the watched-series query this corresponds to. */
  ruleQuery: Record<string, unknown>;
  watchQuery: SeriesQuery | null;
}

/** The alert rules' recorder query of an explore query. */
export function ruleQueryOf(q: ExploreQuery): Record<string, unknown> {
  const out: Record<string, unknown> = { metric: q.metric, matchers: q.matchers, fn: q.fn };
  if (q.quantile !== undefined) out.q = q.quantile;
  if (q.windowMs !== undefined && q.fn !== "raw") out.rangeMs = `${Math.round(q.windowMs / 1000)}s`;
  if (q.aggregate) {
    out.agg = q.aggregate.op;
    if (q.aggregate.by.length > 0) out.by = q.aggregate.by;
  }
  return out;
}

/** The watched-series query (the detector's input), or null when it cannot express this query. */
export function watchQueryOf(q: ExploreQuery): SeriesQuery | null {
  if (q.fn !== "raw" && q.fn !== "rate" && q.fn !== "histogram_quantile") return null;
  if (q.aggregate && q.aggregate.op === "min") return null;
  if (q.fn === "histogram_quantile") {
    return { metric: `${q.metric}_bucket`, matchers: q.matchers, fn: "histogram_quantile", q: q.quantile, by: ["le", ...(q.aggregate?.by ?? [])], agg: "sum" };
  }
  const agg = q.aggregate?.op as "sum" | "max" | "avg" | undefined;
  return { metric: q.metric, matchers: q.matchers, fn: q.fn, ...(agg ? { agg, by: q.aggregate?.by ?? [] } : {}) };
}

/** A watched series' query as explore text. */
export function exploreTextOf(query: SeriesQuery): string {
  // Explore has no division: a mean duration opens as its neighbour, the median of the histogram.
  if (query.fn === "mean") return exploreTextOf({ metric: `${query.metric}_bucket`, matchers: query.matchers, fn: "histogram_quantile", q: 0.5, by: ["le"], agg: "sum" });
  // …a share of slow observations as the median it is measured against…
  if (query.fn === "slow_share") return exploreTextOf({ metric: query.metric, matchers: query.matchers, fn: "histogram_quantile", q: 0.5, by: ["le"], agg: "sum" });
  // …and a ratio as its numerator, the rate of the events it counts.
  if (query.fn === "ratio") return exploreTextOf({ metric: query.metric, matchers: query.matchers, fn: "rate", agg: "sum" });
  const histogram = query.fn === "histogram_quantile";
  return formatExploreQuery({
    metric: histogram ? query.metric.replace(/_bucket$/, "") : query.metric,
    matchers: query.matchers,
    fn: query.fn,
    quantile: query.q,
    aggregate: query.agg ? { op: query.agg, by: (query.by ?? []).filter((l) => !histogram || l !== "le") } : histogram ? { op: "sum", by: [] } : undefined,
  });
}

function seriesName(labels: Record<string, string>, metric: string): string {
  const parts = Object.entries(labels)
    .filter(([k]) => k !== "__name__")
    .map(([k, v]) => `${k}="${v}"`);
  return parts.length > 0 ? `{${parts.join(", ")}}` : metric;
}

/** Parses and runs an explore query over [from, to] at `width` points per series. */
export async function runExplore(sources: DashboardSources, input: { text: string; from: number; to: number; width: number }): Promise<ExploreResult> {
  const query = parseExploreQuery(input.text);
  if (!sources.query) throw new Error("The query service is not running.");
  const result = await sources.query.range({
    metric: query.metric,
    matchers: query.matchers,
    start: Math.floor(input.from),
    end: Math.floor(input.to),
    maxPoints: input.width,
    fn: query.fn,
    quantile: query.quantile,
    windowMs: query.windowMs,
    aggregate: query.aggregate,
    downsample: "minmax",
    maxSeries: 50,
  });
  return {
    text: formatExploreQuery(query),
    query,
    series: result.series.map((s) => ({ name: seriesName(s.labels, query.metric), labels: s.labels, packed: packSeries(s.points) })),
    truncated: result.truncated ?? false,
    ruleQuery: ruleQueryOf(query),
    watchQuery: watchQueryOf(query),
  };
}

export { ExploreSyntaxError };
