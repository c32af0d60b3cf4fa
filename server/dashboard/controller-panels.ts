import type { RangeQuery } from "../query/range-query";

type Matcher = { name: string; op: "="; value: string };
export type PanelQuery = { name: string; nameBy?: string; query: Omit<RangeQuery, "start" | "end" | "maxPoints" | "downsample" | "maxSeries"> };

export type PanelUnit = "count" | "ops/s" | "s";

/** One chart of the controller page: what it plots, and the watched series whose band and windows it shows. */
export interface PanelSpec {
  id: string;
  title: string;
  unit: PanelUnit;
  stacked?: boolean;
  /** The watched series whose expected band and anomaly windows the chart draws. */
  seriesKey: string | null;
  /** Further watched series whose windows are shaded here (no band: they measure something else). */
  windowsOf?: string[];
  queries: PanelQuery[];
}

/** The watched series key of a built-in per-controller series, e.g. `queue_depth{controller="pods"}`. */
export function controllerSeriesKey(what: string, controller: string): string {
  return `${what}{controller=${JSON.stringify(controller)}}`;
}

/** A gauge's value, aggregated over the controller's series. */
function gauge(name: string, metric: string, matchers: Matcher[], aggregate: { op: "sum" | "max"; by: string[] }): PanelQuery {
  return { name, query: { metric, matchers, fn: "raw", aggregate } };
}

/**
 * Where a controller's series are read when not from Loopscope's own store: the Prometheus data
 * source, with the matchers of its workqueue_* and controller_runtime_* series there.
 */
export interface PanelTarget {
  source: "prometheus";
  queueMatchers: readonly Matcher[];
  controllerMatchers: readonly Matcher[];
}

/**
 * The nine charts of a controller page (eight for a controller in the Prometheus data source: the
 * async-resource chart is Loopscope's own). Every quantity charted is non-negative.
 */
export function controllerPanels(controller: string, target?: PanelTarget): PanelSpec[] {
  const byName: Matcher[] = target ? [...target.queueMatchers] : [{ name: "name", op: "=", value: controller }];
  const byController: Matcher[] = target ? [...target.controllerMatchers] : [{ name: "controller", op: "=", value: controller }];
  const key = (what: string) => controllerSeriesKey(what, controller);
  const sum = { op: "sum" as const, by: [] };
  const max = { op: "max" as const, by: [] };
  const quantiles = (metric: string): PanelQuery[] =>
    [0.5, 0.99].map((q) => ({ name: `p${q * 100}`, query: { metric, matchers: byName, fn: "histogram_quantile", quantile: q, aggregate: sum } }));
  const panels = allPanels(key, byName, byController, sum, max, quantiles);
  if (!target) return panels.map((p) => (p.id === "adds" ? withResyncAdds(p, byController) : p));
  return panels
    .filter((p) => p.id !== "resources")
    .map((p) => ({ ...p, queries: p.queries.map((q) => ({ ...q, query: { ...q.query, source: target.source } })) }));
}

/**
 * The adds chart of Loopscope's own controller: its watched series (band and windows) leaves
 * out the adds a periodic resync asked for, while the chart plots every add; so the chart
 * says so in its title and plots the resync adds beside them (the band follows all adds
 * less those).
 */
function withResyncAdds(panel: PanelSpec, byController: Matcher[]): PanelSpec {
  const resyncs: PanelQuery = {
    name: "resync adds/s",
    query: { metric: "loopscope_reconcile_reasons_total", matchers: [...byController, { name: "reason", op: "=", value: "resync" }], fn: "rate", aggregate: { op: "sum", by: [] } },
  };
  return { ...panel, title: "Adds per second (band and windows: resyncs left out)", queries: [...panel.queries, resyncs] };
}

function allPanels(
  key: (what: string) => string,
  byName: Matcher[],
  byController: Matcher[],
  sum: { op: "sum"; by: string[] },
  max: { op: "max"; by: string[] },
  quantiles: (metric: string) => PanelQuery[],
): PanelSpec[] {
  return [
    { id: "queue-depth", title: "Queue depth", unit: "count", seriesKey: key("queue_depth"), queries: [{ name: "depth", query: { metric: "workqueue_depth", matchers: byName, fn: "raw", aggregate: sum } }] },
    { id: "adds", title: "Adds per second", unit: "ops/s", seriesKey: key("adds_rate"), queries: [{ name: "adds/s", query: { metric: "workqueue_adds_total", matchers: byName, fn: "rate", aggregate: sum } }] },
    { id: "queue-wait", title: "Queue wait p50 / p99", unit: "s", seriesKey: key("queue_latency_p99"), queries: quantiles("workqueue_queue_duration_seconds") },
    {
      id: "reconcile-time",
      title: "Reconcile duration p50 / p99",
      unit: "s",
      seriesKey: key("work_duration_p99"),
      // The median reconcile time's and the slow share's windows are about these durations too.
      windowsOf: [key("reconcile_time_p50"), key("slow_reconciles")],
      queries: quantiles("workqueue_work_duration_seconds"),
    },
    {
      id: "workers",
      title: "Active workers vs max",
      unit: "count",
      seriesKey: key("active_workers"),
      queries: [gauge("active", "controller_runtime_active_workers", byController, sum), gauge("max", "controller_runtime_max_concurrent_reconciles", byController, max)],
    },
    {
      id: "results",
      title: "Reconcile results",
      unit: "ops/s",
      stacked: true,
      seriesKey: null,
      windowsOf: [key("error_ratio")],
      queries: [{ name: "result", nameBy: "result", query: { metric: "controller_runtime_reconcile_total", matchers: byController, fn: "rate", aggregate: { op: "sum", by: ["result"] } } }],
    },
    // Retries are charted, not watched (they count every requeue; their failures are the error ratio's).
    { id: "retries", title: "Retries per second", unit: "ops/s", seriesKey: null, queries: [{ name: "retries/s", query: { metric: "workqueue_retries_total", matchers: byName, fn: "rate", aggregate: sum } }] },
    {
      id: "unfinished",
      title: "Unfinished work and longest-running processor",
      unit: "s",
      seriesKey: key("unfinished_work"),
      queries: [gauge("unfinished", "workqueue_unfinished_work_seconds", byName, sum), gauge("longest", "workqueue_longest_running_processor_seconds", byName, max)],
    },
    {
      id: "resources",
      title: "Active resources by type",
      unit: "count",
      seriesKey: "active_resources",
      queries: [{ name: "resources", nameBy: "type", query: { metric: "loopscope_active_resources", matchers: [], fn: "raw", aggregate: { op: "sum", by: ["type"] } } }],
    },
  ];
}
