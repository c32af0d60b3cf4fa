import { SELF_JOB } from "../recorder/sample";
import { z } from "zod";
import { MAX_REGEX_LENGTH, refineMatcherRegex } from "../regex/linear-regex";
import type { DetectorParams, DirectionFilter, ValueDomain } from "./detector";
import { type Sensitivity, SENSITIVITIES } from "./sensitivity";
import { SLOW_SHARE_FACTOR, SLOW_SHARE_REFERENCE_STEPS } from "./slow-share";

/**
 * The recorder query that yields one watched series, as plain JSON (stored in
 * watched_series.query). `fn` is applied per matching series, then `agg` combines
 * them (grouped by `by`, as PromQL's `sum by (…)`); `histogram_quantile` takes the
 * `_bucket` metric and quantile `q`, like `histogram_quantile(q, sum by (le) (rate(…)))`;
 * `mean` takes a histogram's (or summary's) base name and is the mean observation,
 * `sum(rate(<metric>_sum)) / sum(rate(<metric>_count))` (no point while nothing was observed);
 * `ratio` is the share of the `over` counter's events that the `metric` counter counted,
 * `sum(rate(<metric>)) / sum(rate(<over.metric>))` (an error ratio: errors per reconcile),
 * judged by a count test on the events of the window rather than by the ratio's spread;
 * a `rate` with `less` leaves out the events of another counter (never below zero);
 * `slow_share` takes a `_bucket` metric and is the share of the window's observations above
 * `factor` × the median of the `referenceSteps` before the window (slow-share.ts), judged by
 * its counts as a ratio is.
 */
const matcherSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a label name"),
    op: z.enum(["=", "!=", "=~", "!~"]),
    value: z.string().max(MAX_REGEX_LENGTH),
  })
  // An invalid regex is refused when the series is saved, not logged at every evaluation.
  .superRefine(refineMatcherRegex({ dotAll: true }));

/** Another counter a query reads beside its metric (with the metric's matchers unless it names its own). */
const counterRefSchema = z.object({
  metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name"),
  matchers: z.array(matcherSchema).optional(),
});

export const seriesQuerySchema = z
  .object({
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name"),
    matchers: z.array(matcherSchema).default([]),
    fn: z.enum(["raw", "rate", "histogram_quantile", "mean", "ratio", "slow_share"]),
    /** For `ratio`: the counter of all events (the numerator's matchers when it names none). */
    over: counterRefSchema.optional(),
    /** For `rate`: a counter of events the rate leaves out (e.g. the adds a periodic resync makes). */
    less: counterRefSchema.optional(),
    /**
     * A counter of events the series cannot tell from an anomaly (e.g. the reconciles a
     * periodic resync asks for, which queue up at once): points whose window counted any
     * of them are left out.
     */
    except: counterRefSchema.optional(),
    q: z.number().min(0).max(1).optional(),
    /** For `slow_share`: how many times the usual median an observation must take to count (default 2). */
    factor: z.number().gt(1).max(1_000).optional(),
    /** For `slow_share`: the steps before the window whose median is the usual one (default 120). */
    referenceSteps: z.number().int().min(2).max(10_000).optional(),
    by: z.array(z.string()).optional(),
    agg: z.enum(["sum", "max", "avg"]).optional(),
    /**
     * The range window of rate, ratio, mean and histogram_quantile in steps of the series
     * (default: the recorder's, at least a minute): a shorter one moves sooner, a longer
     * one is steadier.
     */
    windowSteps: z.number().int().min(2).max(1_000).optional(),
    /** Where the series are: Loopscope's own store (default) or the Prometheus data source. */
    source: z.enum(["local", "prometheus"]).optional(),
  })
  .refine((q) => q.fn !== "histogram_quantile" || q.q !== undefined, { message: "histogram_quantile needs q", path: ["q"] })
  .refine((q) => q.fn !== "histogram_quantile" || q.metric.endsWith("_bucket"), {
    message: "histogram_quantile needs a _bucket metric",
    path: ["metric"],
  })
  .refine((q) => q.fn !== "mean" || !/_(bucket|sum|count)$/.test(q.metric), {
    message: "mean takes the histogram's base name (without _bucket, _sum or _count)",
    path: ["metric"],
  })
  .refine((q) => (q.fn === "ratio") === (q.over !== undefined), { message: "ratio needs over (the counter of all events), and only ratio takes it", path: ["over"] })
  .refine((q) => q.less === undefined || q.fn === "rate", { message: "only rate takes less (a counter it leaves out)", path: ["less"] })
  .refine((q) => q.fn !== "slow_share" || q.metric.endsWith("_bucket"), { message: "slow_share needs a _bucket metric", path: ["metric"] })
  .refine((q) => q.fn === "slow_share" || (q.factor === undefined && q.referenceSteps === undefined), {
    message: "only slow_share takes factor and referenceSteps",
    path: ["factor"],
  });

export type SeriesQuery = z.infer<typeof seriesQuerySchema>;

export const sensitivitySchema = z.enum(SENSITIVITIES);

/** A series to watch: what the watched_series table holds, plus detector defaults for new state. */
export interface WatchedSeriesSpec {
  key: string;
  title: string;
  controller: string | null;
  query: SeriesQuery;
  sensitivity: Sensitivity;
  /** Which deviations matter (errors and latency only upwards). */
  direction: DirectionFilter;
  /** Detector parameters for a new state (floors in the series' unit). */
  params: Partial<DetectorParams>;
}

/** Detector defaults by what a query measures; unknown series get the generic defaults. */
export function detectorDefaultsFor(query: SeriesQuery): { direction: DirectionFilter; params: Partial<DetectorParams> } {
  const defaults = detectionFor(query);
  return { direction: defaults.direction, params: { domain: domainOf(query), ...defaults.params } };
}

/**
 * What values a query can take, so its band respects the quantity: rates, quantiles of
 * durations, counts, depths, bytes and seconds are never negative, ratios stay in [0, 1];
 * anything else is floored at 0 until it has been negative ("auto").
 */
export function domainOf(query: SeriesQuery): ValueDomain {
  const m = query.metric;
  if (/_ratio$/.test(m) || query.fn === "ratio" || query.fn === "slow_share") return "unit";
  if (query.fn === "rate" || query.fn === "histogram_quantile" || query.fn === "mean" || /(_total|_count|_sum|_bucket|_seconds|_bytes|_depth|_resources|_suspects|_workers|_info)$/.test(m) || m === "workqueue_depth") return "nonNegative";
  return "auto";
}

function detectionFor(query: SeriesQuery): { direction: DirectionFilter; params: Partial<DetectorParams> } {
  const m = query.metric;
  // Rates and quantiles are fractional by nature: a run of zeros (no errors yet) is not a count,
  // so the whole-number floor (meant for depths and handle counts) must not hide an error storm.
  // A ratio is judged by its counts (count-test.ts); more failures or retries matter, fewer do not.
  // Failures are rare until the series' own counts say otherwise: 1 in 1,000, worth 1,000
  // events (a quiet controller's first failures are news before an hour has passed).
  if (query.fn === "ratio" && /(error|fail)/.test(m)) {
    return { direction: "above", params: { absoluteFloor: 0.001, integralFloor: 0, countPrior: { ratio: 0.001, trials: 1_000 } } };
  }
  if (query.fn === "ratio") return { direction: "above", params: { absoluteFloor: 0.001, integralFloor: 0 } };
  // Slower reconciles matter, faster ones do not. Before its own counts, about one
  // reconcile in ten is believed to take twice the usual median (a long tail), worth 50.
  if (query.fn === "slow_share") return { direction: "above", params: { absoluteFloor: 0.01, integralFloor: 0, countPrior: { ratio: 0.1, trials: 50 } } };
  if (query.fn === "rate" && /(error|retries|retry|fail)/.test(m)) return { direction: "above", params: { absoluteFloor: 0.01, integralFloor: 0 } };
  if (query.fn === "rate") return { direction: "both", params: { absoluteFloor: 0.05, integralFloor: 0 } };
  // controller-runtime's reconcile-time histogram has 40 fine buckets (5 ms … 60 s), so its
  // quantiles move as smoothly as a mean and take a mean's small floor; the workqueue's
  // decade-wide buckets jump between bucket edges, so their quantiles need a wider one.
  if (query.fn === "histogram_quantile" && m === "controller_runtime_reconcile_time_seconds_bucket") {
    return { direction: "above", params: { absoluteFloor: 0.0002, integralFloor: 0 } };
  }
  if (query.fn === "histogram_quantile") return { direction: "above", params: { absoluteFloor: 0.005, integralFloor: 0 } };
  // A mean duration moves smoothly with every observation: a small floor lets a 3× slower
  // reconcile of a millisecond controller count.
  if (query.fn === "mean") return { direction: "above", params: { absoluteFloor: 0.0002, integralFloor: 0 } };
  if (m === "workqueue_depth" || m === "loopscope_active_resources" || m === "loopscope_leak_suspects") return { direction: "above", params: {} };
  if (m === "workqueue_unfinished_work_seconds" || m === "workqueue_longest_running_processor_seconds") {
    return { direction: "above", params: { absoluteFloor: 0.5 } };
  }
  if (m.startsWith("nodejs_eventloop_lag")) return { direction: "above", params: { absoluteFloor: 0.002 } };
  return { direction: "both", params: {} };
}

function eq(name: string, value: string) {
  return { name, op: "=" as const, value };
}

function spec(key: string, title: string, controller: string | null, query: SeriesQuery): WatchedSeriesSpec {
  return { key, title, controller, query, sensitivity: "medium", ...detectorDefaultsFor(query) };
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** The key of the built-in watched series of Loopscope's own event-loop lag. */
export const EVENT_LOOP_LAG_KEY = "eventloop_lag_p99";

/** Durations a controller's workqueue and reconciler measure in wall time (across awaits). */
const WALL_TIME_DURATIONS = new Set([
  "workqueue_work_duration_seconds_bucket",
  "workqueue_queue_duration_seconds_bucket",
  "controller_runtime_reconcile_time_seconds",
  "controller_runtime_reconcile_time_seconds_bucket",
  "workqueue_unfinished_work_seconds",
  "workqueue_longest_running_processor_seconds",
]);

/**
 * Whether a window of this series may be explained by Loopscope's own event-loop lag
 * (explanations.ts): a duration of one of Loopscope's own controllers (read from its own
 * job), which runs on that event loop. A series of the Prometheus data source or of
 * another job (a scraped operator) never is, nor is anything but a duration.
 */
export function explainableByOwnEventLoopLag(query: SeriesQuery): boolean {
  if (query.source === "prometheus" || !WALL_TIME_DURATIONS.has(query.metric)) return false;
  return query.matchers.some((m) => m.name === "job" && m.op === "=" && m.value === SELF_JOB);
}

/** Resource types whose count is watched on its own (Node's getActiveResourcesInfo names). */
export const WATCHED_RESOURCE_TYPES = ["Timeout", "TCPSocketWrap", "FSReqCallback", "Immediate", "PipeWrap"] as const;

/** Matchers of one label each, equal to a value. */
type EqMatcher = { name: string; op: "="; value: string };

/**
 * A controller whose series are read elsewhere than Loopscope's own (job="loopscope") ones: its
 * page name, where its series are, and the matchers that select its workqueue_* and
 * controller_runtime_* series there.
 */
export interface WatchedController {
  name: string;
  source: "prometheus";
  queueMatchers: readonly EqMatcher[];
  controllerMatchers: readonly EqMatcher[];
}

/** The name of a controller given to defaultWatchedSeries. */
export function watchedControllerName(c: string | WatchedController): string {
  return typeof c === "string" ? c : c.name;
}

/** The nine watched series of one controller, from the matchers of its queue and reconcile series. */
function controllerSeries(c: string, queue: EqMatcher[], ctl: EqMatcher[], source: "prometheus" | undefined): WatchedSeriesSpec[] {
  const k = (what: string) => `${what}{controller=${quote(c)}}`;
  const at = source ? { source } : {};
  return [
    spec(k("queue_depth"), `Queue depth — ${c}`, c, { metric: "workqueue_depth", matchers: queue, fn: "raw", agg: "sum", ...at }),
    // Loopscope's own controllers say which reconciles a periodic resync asked for: those
    // adds are scheduled work, not demand, and a resync is never an anomaly of its own.
    source === undefined
      ? spec(k("adds_rate"), `Adds per second (resyncs left out) — ${c}`, c, {
          metric: "workqueue_adds_total",
          matchers: queue,
          fn: "rate",
          less: { metric: "loopscope_reconcile_reasons_total", matchers: [...ctl, eq("reason", "resync")] },
          agg: "sum",
        })
      : spec(k("adds_rate"), `Adds per second — ${c}`, c, { metric: "workqueue_adds_total", matchers: queue, fn: "rate", agg: "sum", ...at }),
    // A resync queues every object at once, and the p99 of their wait is its batch, not a
    // backlog: while a window holds a resync, the queue latency says nothing (left out).
    spec(k("queue_latency_p99"), `Queue latency p99 — ${c}`, c, {
      metric: "workqueue_queue_duration_seconds_bucket",
      matchers: queue,
      fn: "histogram_quantile",
      q: 0.99,
      by: ["le"],
      agg: "sum",
      ...(source === undefined ? { except: { metric: "loopscope_reconcile_reasons_total", matchers: [...ctl, eq("reason", "resync")] } } : at),
    }),
    spec(k("work_duration_p99"), `Work duration p99 — ${c}`, c, {
      metric: "workqueue_work_duration_seconds_bucket",
      matchers: queue,
      fn: "histogram_quantile",
      q: 0.99,
      by: ["le"],
      agg: "sum",
      ...at,
    }),
    // A dependency 3× slower moves every reconcile: the median reconcile time shows it at
    // once, while the p99 of decade-wide workqueue buckets may stay in its bucket. The
    // median (of controller-runtime's 40 fine reconcile-time buckets), not the mean: a
    // few reconciles stalled by a busy host (a late timer, a starved event loop) drag the
    // mean of a millisecond controller up by multiples, yet leave most reconciles — the
    // median — where they were. Over half a minute (not the default minute) it moves twice
    // as fast and is still the median of many.
    spec(k("reconcile_time_p50"), `Median reconcile time (s) — ${c}`, c, {
      metric: "controller_runtime_reconcile_time_seconds_bucket",
      matchers: ctl,
      fn: "histogram_quantile",
      q: 0.5,
      by: ["le"],
      agg: "sum",
      windowSteps: 6,
      ...at,
    }),
    // A dependency 3× slower makes nearly every reconcile take more than twice the usual
    // median at once, which its counts show within seconds, while the median moves only once
    // half the window is slow. The usual median is that of the 10 minutes before the window;
    // over 30 s, judged by the counts (as the error ratio is).
    spec(k("slow_reconciles"), `Share of reconciles slower than ${SLOW_SHARE_FACTOR}× the usual median — ${c}`, c, {
      metric: "controller_runtime_reconcile_time_seconds_bucket",
      matchers: ctl,
      fn: "slow_share",
      factor: SLOW_SHARE_FACTOR,
      referenceSteps: SLOW_SHARE_REFERENCE_STEPS,
      windowSteps: 6,
      ...at,
    }),
    // Failures as a share of the work (judged by their counts): a burst of work brings more
    // errors at the same ratio, which is not a failure; 15 % of reconciles failing is one,
    // however few reconciles a controller does. (Retries are not watched: they count every
    // requeue, a pending object's polling included, and their failures are these.) Over a
    // minute and a half: on a controller of a few reconciles a minute, a fault failing one
    // in seven shows three or four failures that far apart — the count that is news there —
    // and a window opens on the first point whose count is (see SeriesMonitor.rules).
    spec(k("error_ratio"), `Reconcile error ratio — ${c}`, c, {
      metric: "controller_runtime_reconcile_errors_total",
      matchers: ctl,
      fn: "ratio",
      over: { metric: "controller_runtime_reconcile_total" },
      agg: "sum",
      windowSteps: 18,
      ...at,
    }),
    spec(k("active_workers"), `Active workers — ${c}`, c, { metric: "controller_runtime_active_workers", matchers: ctl, fn: "raw", agg: "sum", ...at }),
    spec(k("unfinished_work"), `Unfinished work (s) — ${c}`, c, {
      metric: "workqueue_unfinished_work_seconds",
      matchers: queue,
      fn: "raw",
      agg: "sum",
      ...at,
    }),
  ];
}

/**
 * The built-in watched series: nine per controller (queue depth, adds rate, queue
 * latency p99, work duration p99, median reconcile time, share of slow reconciles, error
 * ratio, active workers, unfinished work) plus the process-wide ones (active resources in total and by type, leak
 * suspects, event-loop lag p99).
 * Workqueue metrics are matched on `name` (the queue is named after its controller in
 * controller-runtime, so scraped Go operators match too), reconcile metrics on `controller`.
 * Controllers given by name are Loopscope's own; a WatchedController's series are read where
 * it says, with its matchers (e.g. a controller in the Prometheus data source).
 */
export function defaultWatchedSeries(controllers: readonly (string | WatchedController)[]): WatchedSeriesSpec[] {
  const out: WatchedSeriesSpec[] = [];
  const byName = new Map<string, string | WatchedController>();
  for (const c of controllers) if (!byName.has(watchedControllerName(c))) byName.set(watchedControllerName(c), c);
  for (const name of [...byName.keys()].sort()) {
    const c = byName.get(name) as string | WatchedController;
    if (typeof c !== "string") {
      out.push(...controllerSeries(name, [...c.queueMatchers], [...c.controllerMatchers], c.source));
      continue;
    }
    // Built-in controllers are read from Loopscope's own series only: a target scraping
    // Loopscope's /metrics (another job) must not double them.
    out.push(...controllerSeries(name, [eq("job", SELF_JOB), eq("name", name)], [eq("job", SELF_JOB), eq("controller", name)], undefined));
  }
  out.push(spec("active_resources", "Active async resources", null, { metric: "loopscope_active_resources", matchers: [], fn: "raw", agg: "sum" }));
  for (const type of WATCHED_RESOURCE_TYPES) {
    out.push(
      spec(`active_resources{type=${quote(type)}}`, `Active ${type} resources`, null, {
        metric: "loopscope_active_resources",
        matchers: [eq("type", type)],
        fn: "raw",
        agg: "sum",
      }),
    );
  }
  out.push(
    spec("leak_suspects", "Leak suspects", null, { metric: "loopscope_leak_suspects", matchers: [], fn: "raw", agg: "sum" }),
    spec(EVENT_LOOP_LAG_KEY, "Event-loop lag p99 (s)", null, { metric: "nodejs_eventloop_lag_p99_seconds", matchers: [], fn: "raw", agg: "max" }),
  );
  return out;
}
