import { z } from "zod";
import type { DetectorParams, DirectionFilter } from "./detector";
import { type Sensitivity, SENSITIVITIES } from "./sensitivity";

/**
 * The recorder query that yields one watched series, as plain JSON (stored in
 * watched_series.query). `fn` is applied per matching series, then `agg` combines
 * them (grouped by `by`, as PromQL's `sum by (…)`); `histogram_quantile` takes the
 * `_bucket` metric and quantile `q`, like `histogram_quantile(q, sum by (le) (rate(…)))`.
 */
export const seriesQuerySchema = z
  .object({
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name"),
    matchers: z
      .array(
        z.object({
          name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a label name"),
          op: z.enum(["=", "!=", "=~", "!~"]),
          value: z.string(),
        }),
      )
      .default([]),
    fn: z.enum(["raw", "rate", "histogram_quantile"]),
    q: z.number().min(0).max(1).optional(),
    by: z.array(z.string()).optional(),
    agg: z.enum(["sum", "max", "avg"]).optional(),
  })
  .refine((q) => q.fn !== "histogram_quantile" || q.q !== undefined, { message: "histogram_quantile needs q", path: ["q"] })
  .refine((q) => q.fn !== "histogram_quantile" || q.metric.endsWith("_bucket"), {
    message: "histogram_quantile needs a _bucket metric",
    path: ["metric"],
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
  const m = query.metric;
  // Rates and quantiles are fractional by nature: a run of zeros (no errors yet) is not a count,
  // so the whole-number floor (meant for depths and handle counts) must not hide an error storm.
  if (query.fn === "rate" && /(error|retries|retry|fail)/.test(m)) return { direction: "above", params: { absoluteFloor: 0.05, integralFloor: 0 } };
  if (query.fn === "rate") return { direction: "both", params: { absoluteFloor: 0.05, integralFloor: 0 } };
  if (query.fn === "histogram_quantile") return { direction: "above", params: { absoluteFloor: 0.005, integralFloor: 0 } };
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

/** Resource types whose count is watched on its own (Node's getActiveResourcesInfo names). */
export const WATCHED_RESOURCE_TYPES = ["Timeout", "TCPSocketWrap", "FSReqCallback", "Immediate", "PipeWrap"] as const;

/**
 * The built-in watched series: eight per controller (queue depth, adds rate, queue
 * latency p99, work duration p99, error rate, retries rate, active workers, unfinished
 * work) plus the process-wide ones (active resources in total and by type, leak
 * suspects, event-loop lag p99).
 * Workqueue metrics are matched on `name` (the queue is named after its controller in
 * controller-runtime, so scraped Go operators match too), reconcile metrics on `controller`.
 */
export function defaultWatchedSeries(controllers: readonly string[]): WatchedSeriesSpec[] {
  const out: WatchedSeriesSpec[] = [];
  for (const c of [...new Set(controllers)].sort()) {
    const queue = [eq("name", c)];
    const ctl = [eq("controller", c)];
    const k = (what: string) => `${what}{controller=${quote(c)}}`;
    out.push(
      spec(k("queue_depth"), `Queue depth — ${c}`, c, { metric: "workqueue_depth", matchers: queue, fn: "raw", agg: "sum" }),
      spec(k("adds_rate"), `Adds per second — ${c}`, c, { metric: "workqueue_adds_total", matchers: queue, fn: "rate", agg: "sum" }),
      spec(k("queue_latency_p99"), `Queue latency p99 — ${c}`, c, {
        metric: "workqueue_queue_duration_seconds_bucket",
        matchers: queue,
        fn: "histogram_quantile",
        q: 0.99,
        by: ["le"],
        agg: "sum",
      }),
      spec(k("work_duration_p99"), `Work duration p99 — ${c}`, c, {
        metric: "workqueue_work_duration_seconds_bucket",
        matchers: queue,
        fn: "histogram_quantile",
        q: 0.99,
        by: ["le"],
        agg: "sum",
      }),
      spec(k("error_rate"), `Reconcile errors per second — ${c}`, c, {
        metric: "controller_runtime_reconcile_errors_total",
        matchers: ctl,
        fn: "rate",
        agg: "sum",
      }),
      spec(k("retries_rate"), `Retries per second — ${c}`, c, { metric: "workqueue_retries_total", matchers: queue, fn: "rate", agg: "sum" }),
      spec(k("active_workers"), `Active workers — ${c}`, c, { metric: "controller_runtime_active_workers", matchers: ctl, fn: "raw", agg: "sum" }),
      spec(k("unfinished_work"), `Unfinished work (s) — ${c}`, c, {
        metric: "workqueue_unfinished_work_seconds",
        matchers: queue,
        fn: "raw",
        agg: "sum",
      }),
    );
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
    spec("eventloop_lag_p99", "Event-loop lag p99 (s)", null, { metric: "nodejs_eventloop_lag_p99_seconds", matchers: [], fn: "raw", agg: "max" }),
  );
  return out;
}
