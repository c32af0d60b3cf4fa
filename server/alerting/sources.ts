import { growthWindowsFor, type SustainedGrowthOptions, sustainedGrowth } from "../leaks/leak-trend";
import { SELF_JOB } from "../recorder/sample";
import type { PrismaClient } from "../store/prisma";
import type { AnomalyWindowView, InstantSample, InstantSeries, LeakTrendView, RuleDataSources } from "./data-sources";
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
  /** Raw values as instant values at each step (see server/query/range-query.ts). */
  instant?: boolean;
  /** Loopscope's own store (default) or the Prometheus data source. */
  source?: "local" | "prometheus";
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

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Prometheus (and the local engine) answer at most this many points per series and query. */
const MAX_STEPS_PER_QUERY = 11_000 - 1;
/** The local engine's sub-buckets per series before it rounds a window up to whole steps. */
const MAX_WINDOW_BUCKETS = 20_000;

/**
 * Steps per range query of a bulk read: within the points limit, and short enough that the local
 * engine keeps a window that is not a multiple of the step exact (it cuts the range into
 * gcd(step, window) sub-buckets, 20 000 at most).
 */
export function stepsPerQuery(stepMs: number, windowMs: number | undefined): number {
  let steps = MAX_STEPS_PER_QUERY;
  if (windowMs !== undefined && windowMs >= stepMs) {
    const fit = Math.floor((MAX_WINDOW_BUCKETS * gcd(stepMs, windowMs) - windowMs) / stepMs) + 1;
    // A window that cannot be kept exact in a useful number of steps is rounded by the engine anyway.
    if (fit >= 100) steps = Math.min(steps, fit);
  }
  return steps;
}

/**
 * `queryInstant`, `queryInstants` and `lastSampleAge` on top of a range-query function such as
 * `(q) => service("query").range(rangeQuerySchema.parse(q))`.
 * - raw, not aggregated: the latest sample within the 5-minute lookback;
 * - everything else: the query evaluated at one step ending at `at` (1 s resolution),
 *   with `rangeMs` as the window;
 * - `queryInstants`: the query evaluated at every step of a range (raw values as instant values,
 *   the latest sample within the lookback), in range queries of at most 10 999 steps.
 */
export function recorderSources(range: RangeQueryFn): Pick<RuleDataSources, "queryInstant" | "queryInstants" | "lastSampleAge"> {
  return {
    async queryInstant(query: RecorderQuery, at: number): Promise<InstantSample[]> {
      if (query.fn === "raw" && !query.agg) {
        const result = await range({ metric: query.metric, matchers: query.matchers, start: at - LOOKBACK_MS, end: at, maxPoints: RAW_POINTS, fn: "raw", source: query.source });
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
        source: query.source,
      });
      const out: InstantSample[] = [];
      for (const s of result.series) {
        const last = s.points.filter(([t]) => t <= at).at(-1);
        if (last && Number.isFinite(last[1])) out.push({ labels: withoutName(s.labels), value: last[1] });
      }
      return out;
    },

    async queryInstants(query: RecorderQuery, start: number, end: number, stepMs: number): Promise<InstantSeries[]> {
      const raw = query.fn === "raw" && !query.agg;
      const perQuery = stepsPerQuery(stepMs, query.rangeMs);
      const bySeries = new Map<string, InstantSeries>();
      for (let from = start; from <= end; from += perQuery * stepMs) {
        const to = Math.min(end, from + (perQuery - 1) * stepMs);
        const steps = Math.floor((to - from) / stepMs) + 1;
        const result = await range({
          metric: query.metric,
          matchers: query.matchers,
          start: from,
          end: to,
          stepMs,
          // One point per step: nothing is downsampled.
          maxPoints: Math.max(2, steps),
          fn: query.fn,
          quantile: query.q,
          windowMs: query.rangeMs,
          aggregate: query.agg ? { op: query.agg, by: query.by ?? [] } : undefined,
          // Raw values as each evaluation sees them: the latest sample within the lookback.
          instant: raw ? true : undefined,
          source: query.source,
        });
        for (const s of result.series) {
          const labels = withoutName(s.labels);
          const key = labelKey(labels);
          let series = bySeries.get(key);
          if (!series) {
            series = { labels, points: [] };
            bySeries.set(key, series);
          }
          for (const point of s.points) if (point[0] >= from && point[0] <= to && Number.isFinite(point[1])) series.points.push(point);
        }
      }
      return [...bySeries.values()];
    },

    async lastSampleAge(query: RecorderQuery, at: number, lookbackMs: number): Promise<number | null> {
      const result = await range({ metric: query.metric, matchers: query.matchers, start: at - lookbackMs, end: at, maxPoints: RAW_POINTS, fn: "raw", source: query.source });
      let newest = Number.NEGATIVE_INFINITY;
      for (const s of result.series) for (const [t] of s.points) if (t <= at && t > newest) newest = t;
      return Number.isFinite(newest) ? at - newest : null;
    },
  };
}

/** `openAnomalyWindows` read from the anomaly_windows table (works for past times too), leaving out windows explained by another. */
export function anomalyWindowSource(prisma: PrismaClient): Pick<RuleDataSources, "openAnomalyWindows"> {
  return {
    async openAnomalyWindows(at: number): Promise<AnomalyWindowView[]> {
      const when = new Date(at);
      const rows = await prisma.anomalyWindow.findMany({
        // A window explained by another (one root cause) alerts through its cause's window only.
        where: { startAt: { lte: when }, OR: [{ endAt: null }, { endAt: { gt: when } }], explainedBy: null },
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

/** A scraped target's own gauge judged like a controller's leaked resources, under a resource type of its own. */
export interface TargetGauge {
  metric: string;
  /** The `type` label of the trend (and of the alert). */
  type: string;
}

/**
 * The Go (and any Prometheus-instrumented) target's counts that leak like a Node
 * controller's resources: goroutines (client_golang's go_goroutines) and open file
 * descriptors (process_open_fds, also exposed by prom-client's default metrics).
 */
export const TARGET_GAUGES: readonly TargetGauge[] = [
  { metric: "go_goroutines", type: "Goroutine" },
  { metric: "process_open_fds", type: "FileDescriptor" },
];

export interface LeakTrendSourceOptions {
  /** The recorded gauge with `controller` and `type` labels (default loopscope_leaked_resources). */
  metric?: string;
  /**
   * Scraped targets' gauges judged too, the target (its `job`) as the controller (default
   * TARGET_GAUGES; Loopscope's own series, job="loopscope", are left out: its leaks are
   * the tracker's). Empty: none.
   */
  targetGauges?: readonly TargetGauge[];
  /** The trend test's windows (default growthWindowsFor the series' own sampling interval). */
  growth?: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">;
}

/** Past instants looked at to tell how long a series has been growing. */
const MAX_GROWTH_LOOKBACK_STEPS = 120;
const LEAK_LOOKBACK_MS = 3_600_000;

/**
 * `leakTrends` from a recorded per-controller, per-type gauge (the leak tracker's
 * loopscope_leaked_resources by default) and from scraped targets' goroutine and
 * descriptor counts (see TARGET_GAUGES), judged by the leak tracker's own trend test
 * (`sustainedGrowth`, the one the Leaks page uses): a series is growing at `at` when the
 * test says so; `growingForMs` is how long it has said so without a break (0 at the first
 * growing sample, and 0 when it is not growing); `slopePerMinute` is the Theil–Sen slope
 * of the window that grew (or of the shortest window).
 */
export function leakTrendSource(range: RangeQueryFn, options: LeakTrendSourceOptions = {}): Pick<RuleDataSources, "leakTrends"> {
  const metric = options.metric ?? "loopscope_leaked_resources";
  const gauges = options.targetGauges ?? TARGET_GAUGES;
  const trendOf = (points: { t: number; value: number }[], at: number) => {
    const growth = options.growth ?? growthWindowsFor(typicalStep(points));
    const now = sustainedGrowth(points, at, growth);
    let since = at;
    if (now.growing) {
      for (let i = points.length - 2, steps = 0; i >= 0 && steps < MAX_GROWTH_LOOKBACK_STEPS; i--, steps++) {
        if (!sustainedGrowth(points.slice(0, i + 1), points[i].t, growth).growing) break;
        since = points[i].t;
      }
    }
    return { slopePerMinute: now.slope * 60, growing: now.growing, growingForMs: now.growing ? at - since : 0, current: points[points.length - 1].value };
  };
  const pointsOf = (series: RangeResultLike["series"][number], at: number) => series.points.filter(([t]) => t <= at).map(([t, value]) => ({ t, value }));
  return {
    async leakTrends(at: number): Promise<LeakTrendView[]> {
      const window = { start: at - LEAK_LOOKBACK_MS, end: at, maxPoints: 4_000, fn: "raw" as const };
      const [own, ...targets] = await Promise.all([
        range({ metric, matchers: [], ...window }),
        ...gauges.map((g) => range({ metric: g.metric, matchers: [{ name: "job", op: "!=", value: SELF_JOB }], ...window })),
      ]);
      const out: LeakTrendView[] = [];
      for (const series of own.series) {
        const { controller, type } = series.labels;
        const points = pointsOf(series, at);
        if (!controller || !type || points.length === 0) continue;
        out.push({ controller, type, ...trendOf(points, at) });
      }
      targets.forEach((result, i) => {
        const jobs = new Map<string, number>();
        for (const series of result.series) jobs.set(series.labels.job ?? "", (jobs.get(series.labels.job ?? "") ?? 0) + 1);
        for (const series of result.series) {
          const { job, instance } = series.labels;
          const points = pointsOf(series, at);
          if (!job || points.length === 0) continue;
          // One series per target as a rule; several instances of one job are told apart by instance.
          const view: LeakTrendView = { controller: job, type: gauges[i].type, ...trendOf(points, at) };
          if ((jobs.get(job) ?? 0) > 1 && instance) view.instance = instance;
          out.push(view);
        }
      });
      return out;
    },
  };
}

/** The median spacing of a series' samples (its scrape interval), at least a second. */
function typicalStep(points: readonly { t: number }[]): number {
  const steps: number[] = [];
  for (let i = 1; i < points.length; i++) steps.push(points[i].t - points[i - 1].t);
  if (steps.length === 0) return 5_000;
  steps.sort((x, y) => x - y);
  return Math.max(1_000, steps[steps.length >> 1]);
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
