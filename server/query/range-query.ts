import { z } from "zod";
import { epochMsSchema } from "../time/epoch-ms";
import { refineMatcherRegex } from "../regex/linear-regex";
import { type AggregateOp, aggregateSeries, histogramQuantileSeries, type StepSeries } from "./aggregate";
import { lttb, minMaxDownsample, minMaxPoints, type Point } from "./downsample";
import { evaluateCounter, evaluateDeriv, evaluateInstant, stepPoints } from "./evaluate";
import { type EvalPlan, MAX_POINTS_LIMIT, type MinMaxPlan, planEval, planMinMax } from "./range-plan";
import { checkPlanCost, plannedCost, DEFAULT_QUERY_LIMITS, maxWindowMs, QueryBudgetError, QueryCancelledError, type QueryLimits, SampleBudget } from "./query-cost";
import { type QueryContext, type SampleSource, type StoredSeries, yieldToEventLoop } from "./sample-source";
import { compileMatchers, type Labels } from "./selector";

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a label name");
const DAY_MS = 86_400_000;

/** Where a query's series live: `local` (Loopscope's Postgres) or `prometheus` (the Prometheus-compatible data source). */
export const QUERY_SOURCES = ["local", "prometheus"] as const;
export type QuerySource = (typeof QUERY_SOURCES)[number];

export const labelMatcherSchema = z
  .object({
    name: labelName,
    op: z.enum(["=", "!=", "=~", "!~"]),
    value: z.string().max(1_000),
  })
  .superRefine(refineMatcherRegex({ dotAll: true }));

/**
 * A range query for charts: a series selector (metric + label matchers), a time range
 * (epoch ms), a resolution (stepMs and/or maxPoints), a function and an optional
 * aggregation. Times are epoch milliseconds.
 */
export const rangeQuerySchema = z
  .object({
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a metric name"),
    matchers: z.array(labelMatcherSchema).max(20).default([]),
    start: epochMsSchema,
    end: epochMsSchema,
    stepMs: z.number().int().positive().optional(),
    maxPoints: z.number().int().min(2).max(MAX_POINTS_LIMIT).default(1_000),
    fn: z.enum(["raw", "rate", "increase", "deriv", "histogram_quantile"]).default("raw"),
    /** φ for histogram_quantile, 0 ≤ φ ≤ 1. */
    quantile: z.number().min(0).max(1).optional(),
    /** The range window of rate/increase/deriv/histogram_quantile; default max(step, 1 m) in whole steps. */
    windowMs: z.number().int().positive().max(31 * DAY_MS).optional(),
    aggregate: z
      .object({
        op: z.enum(["sum", "avg", "max", "min", "count"]),
        by: z.array(labelName).max(20).default([]),
      })
      .optional(),
    /**
     * Raw values as instant values at each step (the latest sample within the 5-minute lookback,
     * unless a staleness marker followed it), as Prometheus's query_range answers a bare selector
     * and as an alert rule sees them at each evaluation; by default raw values are min/max
     * downsampled samples.
     */
    instant: z.boolean().optional(),
    /** How raw values are reduced: min/max per bucket (keeps every extreme) or LTTB. */
    downsample: z.enum(["minmax", "lttb"]).default("minmax"),
    maxSeries: z.number().int().min(1).max(1_000).default(200),
    /** Where the series are: Loopscope's own store (default) or the Prometheus data source (LOOPSCOPE_PROMETHEUS_URL). */
    source: z.enum(QUERY_SOURCES).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.end < q.start) ctx.addIssue({ code: "custom", path: ["end"], message: "end must not be before start" });
    if (q.end - q.start > 400 * DAY_MS) ctx.addIssue({ code: "custom", path: ["end"], message: "the range may span at most 400 days" });
    if (q.fn === "histogram_quantile" && q.quantile === undefined) {
      ctx.addIssue({ code: "custom", path: ["quantile"], message: "histogram_quantile needs a quantile between 0 and 1" });
    }
    if (q.fn === "histogram_quantile" && q.aggregate && q.aggregate.op !== "sum") {
      ctx.addIssue({ code: "custom", path: ["aggregate", "op"], message: "histogram_quantile aggregates bucket rates with sum only" });
    }
  });

export type RangeQueryInput = z.input<typeof rangeQuerySchema>;
export type RangeQuery = z.output<typeof rangeQuerySchema>;

export interface ResultSeries {
  labels: Labels;
  /** [epoch ms, value], time-ordered; values that are not finite are left out. */
  points: Point[];
}

export interface RangeResult {
  series: ResultSeries[];
  /** The resolution used: the evaluation step, or the raw min/max bucket width. */
  step: number;
  /** The range window used by rate/increase/deriv/histogram_quantile. */
  windowMs?: number;
  /** More series matched than were returned (maxSeries, or the input-series limit). */
  truncated?: boolean;
}

export interface RangeQueryOptions {
  /** Lower bound of the default window (default 60 s). */
  minWindowMs?: number;
  /** Series read at most for one evaluated query (aggregations read all matches). */
  maxInputSeries?: number;
  /** The query's cost budget and deadline (defaults: DEFAULT_QUERY_LIMITS). */
  limits?: Partial<QueryLimits>;
  /** Aborted when the client goes away: the query stops, its Postgres statements are cancelled. */
  signal?: AbortSignal;
  /**
   * Called with the query's planned cost (series × buckets + series × steps) before any sample is
   * read; resolves once it may run (see QueryAdmission) with its release and whether it is
   * expensive (then its statements run one at a time, leaving connections and cores to others),
   * or throws to refuse it.
   */
  admit?: (cost: number, signal: AbortSignal) => Promise<{ release: () => void; expensive: boolean }>;
  /** See PlanInput.stridedWindows (benchmarks compare against the contiguous plan). */
  stridedWindows?: boolean;
}

function sortByLabels<T extends { labels: Labels }>(series: T[]): T[] {
  const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  return series
    .map((s) => ({ s, k: key(s.labels) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map(({ s }) => s);
}

async function matchingSeries(source: SampleSource, query: RangeQuery): Promise<StoredSeries[]> {
  const metric = query.fn === "histogram_quantile" && !query.metric.endsWith("_bucket") ? `${query.metric}_bucket` : query.metric;
  const matches = compileMatchers(query.matchers);
  return sortByLabels((await source.findSeries([metric], requiredLabels(query.matchers))).filter((s) => matches(s.labels)));
}

/**
 * The label pairs every match must hold: the `=` matchers with a non-empty value (`=""` also
 * matches a missing label). The first of two on one name is enough: the matchers still decide.
 */
export function requiredLabels(matchers: RangeQuery["matchers"]): Record<string, string> {
  const out = new Map<string, string>();
  for (const m of matchers) if (m.op === "=" && m.value !== "" && m.name !== "__name__" && !out.has(m.name)) out.set(m.name, m.value);
  return Object.fromEntries(out);
}

/**
 * Evaluates a range query against a SampleSource. Raw queries without aggregation
 * are min/max downsampled per bucket (every spike survives) unless `instant` asks for
 * their instant values at each step; everything else is
 * evaluated at steps (≤ maxPoints) from per-bucket aggregates, with Prometheus
 * semantics for rate/increase (extrapolatedRate), deriv, histogram_quantile and
 * sum/avg/max/min by labels.
 */
export async function runRangeQuery(source: SampleSource, query: RangeQuery, options: RangeQueryOptions = {}): Promise<RangeResult> {
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new QueryCancelledError(`query took longer than ${limits.timeoutMs} ms and was cancelled`, "timeout")), limits.timeoutMs);
  const onClientGone = () => controller.abort(new QueryCancelledError("query cancelled: the client went away", "client-closed"));
  if (options.signal?.aborted) onClientGone();
  options.signal?.addEventListener("abort", onClientGone, { once: true });
  const ctx: QueryContext = { signal: controller.signal, deadline: Date.now() + limits.timeoutMs, budget: new SampleBudget(limits.maxSamples) };
  let release: (() => void) | undefined;
  const admit = async (series: number, plan: EvalPlan | MinMaxPlan) => {
    checkPlanCost(series, plan, limits);
    if (!options.admit) return;
    const admitted = await options.admit(plannedCost(series, plan), controller.signal);
    release = admitted.release;
    if (admitted.expensive) ctx.parallelism = 1;
  };
  try {
    return await evaluateRangeQuery(source, query, options, admit, ctx);
  } finally {
    release?.();
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onClientGone);
  }
}

/** The evaluation plan of a query's range, step and window (one for every engine that evaluates it). */
export function planQuery(query: RangeQuery, options: { minWindowMs?: number; stridedWindows?: boolean }): EvalPlan {
  return planEval({
    start: query.start,
    end: query.end,
    maxPoints: query.maxPoints,
    stepMs: query.stepMs,
    windowMs: query.windowMs,
    minWindowMs: options.minWindowMs,
    instant: query.fn === "raw",
    stridedWindows: options.stridedWindows,
  });
}

/** Checks a plan against the budget, then waits for admission. */
type Admit = (series: number, plan: EvalPlan | MinMaxPlan) => Promise<void>;

async function evaluateRangeQuery(source: SampleSource, query: RangeQuery, options: RangeQueryOptions, admit: Admit, ctx: QueryContext): Promise<RangeResult> {
  const matched = await matchingSeries(source, query);
  ctx.signal?.throwIfAborted();
  if (query.fn === "raw" && !query.aggregate && !query.instant) return rawQuery(source, query, matched, admit, ctx);
  const plan = planQuery(query, options);
  if (query.windowMs !== undefined && query.windowMs > maxWindowMs(plan.end - plan.start, plan.stepMs)) {
    throw new QueryBudgetError(
      `windowMs ${query.windowMs} is too wide for this range and step (at most ${maxWindowMs(plan.end - plan.start, plan.stepMs)} ms: 100 × the range or step, and at least 7 days)`,
    );
  }
  const limit = options.maxInputSeries ?? 5_000;
  const input = matched.slice(0, limit);
  await admit(input.length, plan);
  let series = await evaluateSeries(source, query, plan, input, ctx);
  ctx.signal?.throwIfAborted();
  if (query.fn === "histogram_quantile") {
    if (query.aggregate) series = aggregateSeries(series, "sum", [...query.aggregate.by.filter((l) => l !== "le"), "le"]);
    series = histogramQuantileSeries(query.quantile ?? 0.5, series);
  } else if (query.aggregate) {
    series = aggregateSeries(series, query.aggregate.op as AggregateOp, query.aggregate.by);
  }
  const results = sortByLabels(series)
    .map((s) => ({ labels: s.labels, points: minMaxDownsample(stepPoints(plan, s.values), query.maxPoints) }))
    .filter((s) => s.points.length > 0);
  const truncated = matched.length > limit || results.length > query.maxSeries;
  return {
    series: results.slice(0, query.maxSeries),
    step: plan.stepMs,
    windowMs: query.fn === "raw" ? undefined : plan.windowMs,
    ...(truncated ? { truncated } : {}),
  };
}

async function rawQuery(source: SampleSource, query: RangeQuery, matched: StoredSeries[], admit: Admit, ctx: QueryContext): Promise<RangeResult> {
  const selected = matched.slice(0, query.maxSeries);
  // LTTB picks from twice as many min/max points as it may return.
  const budget = query.downsample === "lttb" ? Math.min(MAX_POINTS_LIMIT * 2, query.maxPoints * 2) : query.maxPoints;
  const plan = planMinMax({ start: query.start, end: query.end, maxPoints: budget, stepMs: query.stepMs });
  await admit(selected.length, plan);
  const buckets = await source.minMaxBuckets(
    selected.map((s) => s.id),
    plan,
    ctx,
  );
  const series: ResultSeries[] = [];
  for (const s of selected) {
    const points = minMaxPoints(buckets.get(s.id) ?? []);
    if (points.length === 0) continue;
    const reduced = query.downsample === "lttb" ? lttb(points, query.maxPoints) : minMaxDownsample(points, query.maxPoints);
    series.push({ labels: { __name__: s.metric, ...s.labels }, points: reduced });
  }
  return { series, step: plan.bucketMs, ...(matched.length > selected.length ? { truncated: true } : {}) };
}

async function evaluateSeries(source: SampleSource, query: RangeQuery, plan: EvalPlan, input: StoredSeries[], ctx: QueryContext): Promise<StepSeries[]> {
  const ids = input.map((s) => s.id);
  const out: StepSeries[] = [];
  switch (query.fn) {
    case "raw": {
      const [buckets, stale] = await Promise.all([source.valueBuckets(ids, plan, ctx), source.staleMarkers(ids, plan.origin, plan.end)]);
      for (const s of input) {
        await yieldToEventLoop(ctx);
        const b = buckets.get(s.id);
        if (b) out.push({ labels: { __name__: s.metric, ...s.labels }, values: evaluateInstant(b, plan, stale.get(s.id)) });
      }
      return out;
    }
    case "deriv": {
      const buckets = await source.regressionBuckets(ids, plan, ctx);
      for (const s of input) {
        await yieldToEventLoop(ctx);
        const b = buckets.get(s.id);
        if (b) out.push({ labels: { ...s.labels }, values: evaluateDeriv(b, plan) });
      }
      return out;
    }
    default: {
      const buckets = await source.counterBuckets(ids, plan, ctx);
      for (const s of input) {
        await yieldToEventLoop(ctx);
        const b = buckets.get(s.id);
        if (b) out.push({ labels: { ...s.labels }, values: evaluateCounter(b, plan, query.fn === "increase" ? "increase" : "rate") });
      }
      return out;
    }
  }
}
