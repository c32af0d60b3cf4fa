import { leakTrend } from "../leaks/leak-trend";
import type { PrismaClient } from "../store/prisma";
import type { AnomalyWindowView, InstantSample, LeakTrendView, RuleDataSources } from "./data-sources";
import type { Labels } from "./labels";
import type { Matcher } from "./matchers";
import type { RecorderQuery } from "./rule-schema";

/**
 * Ready-made data sources for the alert engine, built on what other capabilities
 * already offer: the recorder's range query (server/query) and the anomaly_windows
 * table. Typed structurally so the alert engine does not depend on their internals.
 */

/** The subset of the recorder's range query input (server/query/range-query.ts) used here. */
export interface RangeQueryLike {
  metric: string;
  matchers: Matcher[];
  start: number;
  end: number;
  stepMs?: number;
  maxPoints?: number;
  fn?: "raw" | "rate" | "increase" | "deriv" | "histogram_quantile";
  quantile?: number;
  windowMs?: number;
  aggregate?: { op: "sum" | "avg" | "max" | "min"; by: string[] };
}

export interface RangeResultLike {
  series: { labels: Labels; points: [number, number][] }[];
}

export type RangeQueryFn = (query: RangeQueryLike) => Promise<RangeResultLike>;

/** Prometheus' lookback for instant values. */
const LOOKBACK_MS = 5 * 60_000;
/** Many narrow buckets so the last raw point is (almost exactly) the last sample. */
const RAW_POINTS = 11_000;

function withoutName(labels: Labels): Labels {
  const { __name__: _name, ...rest } = labels;
  return rest;
}

/**
 * `queryInstant` and `lastSampleAge` on top of a range-query function such as
 * `(q) => service("query").range(rangeQuerySchema.parse(q))`.
 * - raw, not aggregated: the latest sample within the 5-minute lookback;
 * - everything else: the query evaluated at one step ending at `at` (1 s resolution),
 *   with `rangeMs` as the window.
 */
export function recorderSources(range: RangeQueryFn): Pick<RuleDataSources, "queryInstant" | "lastSampleAge"> {
  return {
    async queryInstant(query: RecorderQuery, at: number): Promise<InstantSample[]> {
      if (query.fn === "raw" && !query.agg) {
        const result = await range({ metric: query.metric, matchers: query.matchers, start: at - LOOKBACK_MS, end: at, maxPoints: RAW_POINTS, fn: "raw" });
        return result.series
          .map((s) => ({ labels: withoutName(s.labels), last: s.points.filter(([t]) => t <= at).at(-1) }))
          .filter((s): s is { labels: Labels; last: [number, number] } => s.last !== undefined)
          .map((s) => ({ labels: s.labels, value: s.last[1] }));
      }
      const result = await range({
        metric: query.metric,
        matchers: query.matchers,
        start: at,
        end: at,
        stepMs: 1_000,
        maxPoints: 2,
        fn: query.fn,
        quantile: query.q,
        windowMs: query.rangeMs,
        aggregate: query.agg ? { op: query.agg, by: query.by ?? [] } : undefined,
      });
      const out: InstantSample[] = [];
      for (const s of result.series) {
        const last = s.points.filter(([t]) => t <= at).at(-1);
        if (last && Number.isFinite(last[1])) out.push({ labels: withoutName(s.labels), value: last[1] });
      }
      return out;
    },

    async lastSampleAge(query: RecorderQuery, at: number, lookbackMs: number): Promise<number | null> {
      const result = await range({ metric: query.metric, matchers: query.matchers, start: at - lookbackMs, end: at, maxPoints: RAW_POINTS, fn: "raw" });
      let newest = Number.NEGATIVE_INFINITY;
      for (const s of result.series) for (const [t] of s.points) if (t <= at && t > newest) newest = t;
      return Number.isFinite(newest) ? at - newest : null;
    },
  };
}

/** `openAnomalyWindows` read from the anomaly_windows table (works for past times too). */
export function anomalyWindowSource(prisma: PrismaClient): Pick<RuleDataSources, "openAnomalyWindows"> {
  return {
    async openAnomalyWindows(at: number): Promise<AnomalyWindowView[]> {
      const when = new Date(at);
      const rows = await prisma.anomalyWindow.findMany({
        where: { startAt: { lte: when }, OR: [{ endAt: null }, { endAt: { gt: when } }] },
        orderBy: { startAt: "asc" },
        take: 10_000,
      });
      return rows.map((w) => ({
        seriesKey: w.seriesKey,
        controller: w.controller,
        detector: w.detector,
        direction: w.direction === "below" ? "below" : "above",
        peakScore: w.peakScore,
        startAt: w.startAt.getTime(),
      }));
    },
  };
}

export interface LeakTrendSourceOptions {
  /** The recorded gauge with `controller` and `type` labels (default loopscope_leak_suspects). */
  metric?: string;
  /** Windows (ending at the asked time) tested for sustained growth, ascending (default 5, 10, 15, 30, 60 min). */
  windowsMs?: number[];
}

/**
 * `leakTrends` from a recorded per-controller, per-type gauge (the leak tracker's
 * loopscope_leak_suspects by default), with the leak tracker's own trend test
 * (Theil–Sen slope + Mann–Kendall): `growingForMs` is the longest tested window over
 * which the count grows significantly, in the window's older half as well (so a
 * recent jump does not count as long growth); `slopePerMinute` is the slope over
 * that window (or over the shortest window when it does not grow).
 */
export function leakTrendSource(range: RangeQueryFn, options: LeakTrendSourceOptions = {}): Pick<RuleDataSources, "leakTrends"> {
  const metric = options.metric ?? "loopscope_leak_suspects";
  const windows = [...(options.windowsMs ?? [5, 10, 15, 30, 60].map((m) => m * 60_000))].sort((a, b) => a - b);
  const longest = windows[windows.length - 1];
  return {
    async leakTrends(at: number): Promise<LeakTrendView[]> {
      const result = await range({ metric, matchers: [], start: at - longest, end: at, maxPoints: 4_000, fn: "raw" });
      const out: LeakTrendView[] = [];
      for (const series of result.series) {
        const { controller, type } = series.labels;
        const points = series.points.filter(([t]) => t <= at).map(([t, value]) => ({ t, value }));
        if (!controller || !type || points.length === 0) continue;
        let growingForMs = 0;
        let slope = leakTrend(points.filter((p) => p.t >= at - windows[0])).slope;
        for (const window of windows) {
          const trend = leakTrend(points.filter((p) => p.t >= at - window));
          // It has grown for the whole window only if its older half grew too.
          const olderHalf = leakTrend(points.filter((p) => p.t >= at - window && p.t <= at - window / 2));
          if (trend.growing && olderHalf.growing) {
            growingForMs = window;
            slope = trend.slope;
          }
        }
        out.push({ controller, type, slopePerMinute: slope * 60, growingForMs, current: points[points.length - 1].value });
      }
      return out;
    },
  };
}

/** All four data sources from the recorder's range query and the anomaly_windows table. */
export function recordedDataSources(range: RangeQueryFn, prisma: PrismaClient): RuleDataSources {
  return { ...recorderSources(range), ...anomalyWindowSource(prisma), ...leakTrendSource(range) };
}

/** Controllers seen in the recorded series (the `controller` label of workqueue_depth), for the built-in rules. */
export function controllersFromSeries(prisma: PrismaClient): () => Promise<string[]> {
  return async () => {
    const rows = await prisma.$queryRaw<{ controller: string }[]>`
      SELECT DISTINCT labels->>'controller' AS controller FROM series
       WHERE metric = 'workqueue_depth' AND labels ? 'controller' AND labels->>'controller' <> ''
       ORDER BY 1`;
    return rows.map((r) => r.controller);
  };
}
