"use client";

import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { Suspense, useMemo } from "react";
import { ViewToolbar } from "../../../components/controls/ViewToolbar";
import { useDashboardUrlState } from "../../../components/hooks/use-dashboard-url-state";
import { KeysInProcessingTable } from "../../../components/tables/KeysInProcessingTable";
import { RecentErrorsTable } from "../../../components/tables/RecentErrorsTable";
import { TopKeysTable } from "../../../components/tables/TopKeysTable";
import { alertSpans } from "../../_dashboard/alert-spans";
import { MetricPanel, type PanelQuery } from "../../_dashboard/MetricPanel";
import { useTRPC } from "../../_trpc/client";

type Matchers = { name: string; op: "="; value: string }[];

function panels(controller: string) {
  const byName: Matchers = [{ name: "name", op: "=", value: controller }];
  const byController: Matchers = [{ name: "controller", op: "=", value: controller }];
  const key = (what: string) => `${what}{controller=${JSON.stringify(controller)}}`;
  const sum = { op: "sum" as const, by: [] };
  const quantiles = (metric: string): PanelQuery[] =>
    [0.5, 0.99].map((q) => ({ name: `p${q * 100}`, query: { metric, matchers: byName, fn: "histogram_quantile", quantile: q, aggregate: sum } }));
  return [
    { title: "Queue depth", unit: "count" as const, seriesKey: key("queue_depth"), queries: [{ name: "depth", query: { metric: "workqueue_depth", matchers: byName, aggregate: sum } }] },
    { title: "Adds per second", unit: "ops/s" as const, seriesKey: key("adds_rate"), queries: [{ name: "adds/s", query: { metric: "workqueue_adds_total", matchers: byName, fn: "rate", aggregate: sum } }] },
    { title: "Queue wait p50 / p99", unit: "s" as const, seriesKey: key("queue_latency_p99"), queries: quantiles("workqueue_queue_duration_seconds") },
    { title: "Reconcile duration p50 / p99", unit: "s" as const, seriesKey: key("work_duration_p99"), queries: quantiles("workqueue_work_duration_seconds") },
    {
      title: "Active workers vs max",
      unit: "count" as const,
      seriesKey: key("active_workers"),
      queries: [
        { name: "active", query: { metric: "controller_runtime_active_workers", matchers: byController, aggregate: sum } },
        { name: "max", query: { metric: "controller_runtime_max_concurrent_reconciles", matchers: byController, aggregate: { op: "max" as const, by: [] } } },
      ],
    },
    {
      title: "Reconcile results",
      unit: "ops/s" as const,
      stacked: true,
      queries: [{ name: "result", nameBy: "result", query: { metric: "controller_runtime_reconcile_total", matchers: byController, fn: "rate", aggregate: { op: "sum" as const, by: ["result"] } } }],
    },
    { title: "Retries per second", unit: "ops/s" as const, seriesKey: key("retries_rate"), queries: [{ name: "retries/s", query: { metric: "workqueue_retries_total", matchers: byName, fn: "rate", aggregate: sum } }] },
    {
      title: "Unfinished work and longest-running processor",
      unit: "s" as const,
      seriesKey: key("unfinished_work"),
      queries: [
        { name: "unfinished", query: { metric: "workqueue_unfinished_work_seconds", matchers: byName, aggregate: sum } },
        { name: "longest", query: { metric: "workqueue_longest_running_processor_seconds", matchers: byName, aggregate: { op: "max" as const, by: [] } } },
      ],
    },
    {
      title: "Active resources by type",
      unit: "count" as const,
      seriesKey: "active_resources",
      queries: [{ name: "resources", nameBy: "type", query: { metric: "loopscope_active_resources", aggregate: { op: "sum" as const, by: ["type"] } } }],
    },
  ] satisfies { title: string; unit: string; seriesKey?: string; stacked?: boolean; queries: PanelQuery[] }[];
}

function ControllerDetail() {
  const { name } = useParams<{ name: string }>();
  const controller = decodeURIComponent(name);
  const trpc = useTRPC();
  const view = useDashboardUrlState();
  const refetchInterval = view.refresh.paused ? false : view.refresh.intervalMs;
  const live = useQuery({ ...trpc.runtime.controller.queryOptions({ name: controller, limit: 20 }), refetchInterval, retry: false });
  const history = useQuery({ ...trpc.alerts.history.queryOptions({ from: Math.floor(view.range.from), limit: 2_000 }), refetchInterval, retry: false });
  const annotations = useMemo(
    () => alertSpans(history.data ?? [], (labels) => labels.controller === controller || labels.name === controller),
    [history.data, controller],
  );
  const state = live.data;
  const now = Date.now();
  return (
    <>
      <h1>
        Controller <code>{controller}</code>{" "}
        {state ? <span className={`status-${state.health === "healthy" ? "ok" : "failing"}`}>{state.health}</span> : null}
      </h1>
      {state && state.healthReasons.length > 0 ? <p className="muted">{state.healthReasons.join(" · ")}</p> : null}
      <ViewToolbar view={view} />
      <div className="chart-grid">
        {panels(controller).map((panel) => (
          <MetricPanel
            key={panel.title}
            title={panel.title}
            unit={panel.unit}
            queries={panel.queries}
            seriesKey={"seriesKey" in panel ? panel.seriesKey : undefined}
            stacked={"stacked" in panel ? panel.stacked : undefined}
            range={view.range}
            annotations={annotations}
            refetchInterval={refetchInterval}
            syncId="controller"
            onZoom={(from, to) => view.setSelection({ kind: "custom", from, to })}
          />
        ))}
      </div>
      {live.error ? <p className="muted">Live state is not available for this controller ({live.error.message}); it is known only from recorded metrics.</p> : null}
      {state ? (
        <div className="grid" style={{ marginTop: "1rem" }}>
          <section className="panel" aria-label="Keys in processing">
            <h2>Keys in processing</h2>
            <KeysInProcessingTable
              showController={false}
              now={now}
              rows={state.processing.map((p) => ({ key: p.key, controller, startedAt: now - p.runningMs, runningMs: p.runningMs, reconcileId: String(p.reconcileId) }))}
            />
          </section>
          <section className="panel" aria-label="Top retried keys">
            <TopKeysTable title="Top retried keys" countLabel="Retries" showLastError now={now} rows={state.topRetried.map((r) => ({ key: r.key, count: r.retries, lastError: r.lastError ?? undefined }))} />
          </section>
          <section className="panel" aria-label="Hot keys">
            <TopKeysTable title="Hot keys (adds in the last minute)" countLabel="Adds" now={now} rows={state.hotKeys.map((h) => ({ key: h.key, count: h.adds }))} />
          </section>
          <section className="panel" aria-label="Recent errors">
            <h2>Recent errors</h2>
            <RecentErrorsTable
              showController={false}
              now={now}
              rows={state.recentErrors.map((e) => ({ at: e.at, controller, key: e.key, message: e.message, terminal: e.kind === "terminal", reconcileId: String(e.reconcileId) }))}
            />
          </section>
        </div>
      ) : null}
    </>
  );
}

export default function ControllerPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <ControllerDetail />
    </Suspense>
  );
}
