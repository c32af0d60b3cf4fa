"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { Suspense, useMemo, useRef } from "react";
import { FaultTimeline } from "../../../components/charts/FaultTimeline";
import { LazyTimeSeriesChart as TimeSeriesChart, preloadTimeSeriesChart } from "../../../components/charts/LazyTimeSeriesChart";
import { rangeQueryKey } from "../../../components/controls/time-range";
import { ViewToolbar } from "../../../components/controls/ViewToolbar";
import { useDashboardUrlState } from "../../../components/hooks/use-dashboard-url-state";
import { useUrlState } from "../../../components/hooks/use-url-state";
import { VerdictReasons } from "../../../components/overview/VerdictReasons";
import { KeysInProcessingTable } from "../../../components/tables/KeysInProcessingTable";
import { RecentErrorsTable } from "../../../components/tables/RecentErrorsTable";
import { TopKeysTable } from "../../../components/tables/TopKeysTable";
import { unpackSeries } from "../../../server/dashboard/packed-series";
import { usePlotWidth } from "../../_dashboard/use-plot-width";
import { useTRPC } from "../../_trpc/client";

// Every view of this page charts: fetch the chart code at once, beside the page's data.
if (typeof window !== "undefined") void preloadTimeSeriesChart();

type View = NonNullable<ReturnType<typeof useControllerView>["charts"]["data"]>;

/**
 * The page's two halves, asked together (one batched HTTP request, answered as a stream): what is
 * true now arrives first, the charts when they are ready.
 */
function useControllerView(name: string, range: { from: number; to: number }, width: number, refetchInterval: number | false) {
  const trpc = useTRPC();
  const key = rangeQueryKey(range, width > 0 ? width : 500);
  const options = { enabled: width > 0, refetchInterval, placeholderData: keepPreviousData, retry: false } as const;
  const now = useQuery({ ...trpc.overview.controllerNow.queryOptions({ name, ...key }), ...options });
  const charts = useQuery({ ...trpc.overview.controllerCharts.queryOptions({ name, ...key, width: Math.max(50, width) }), ...options });
  return { now, charts };
}

function unpackBand(band: View["panels"][number]["band"]) {
  if (!band) return undefined;
  const points = unpackSeries({ t0: band.t0, dt: band.dt, v: band.lower }).map(([t, lower], i) => [t, lower, band.upper[i]] as const);
  return { points };
}

function Charts({ view, range, onZoom }: { view: View; range: { from: number; to: number }; onZoom: (from: number, to: number) => void }) {
  const annotations = useMemo(() => view.alertSpans.map((a) => ({ start: a.start, end: a.end, label: a.label, state: a.state, href: a.href })), [view.alertSpans]);
  const panels = useMemo(
    () =>
      view.panels.map((p) => ({
        ...p,
        chartSeries: p.series.map((s) => ({ name: s.name, points: unpackSeries(s.packed) })),
        chartBand: unpackBand(p.band),
      })),
    [view.panels],
  );
  return (
    <>
      {panels.map((p) => (
        <div key={p.id} id={p.anchors[0] ?? `panel-${p.id}`} className="chart-anchor">
          {p.anchors.slice(1).map((a) => (
            <span key={a} id={a} />
          ))}
          <TimeSeriesChart
            title={p.title}
            unit={p.unit}
            series={p.chartSeries}
            range={range}
            stacked={p.stacked}
            nonNegative
            syncId="controller"
            onZoom={onZoom}
            error={p.error}
            band={p.chartBand}
            anomalyWindows={p.windows}
            annotations={annotations}
          />
        </div>
      ))}
    </>
  );
}

function ControllerDetail() {
  const { name } = useParams<{ name: string }>();
  const controller = decodeURIComponent(name);
  const view = useDashboardUrlState();
  const [display, setDisplay] = useUrlState({ faults: "shown" });
  const grid = useRef<HTMLDivElement>(null);
  const width = usePlotWidth(grid);
  const refetchInterval = view.refresh.paused ? false : view.refresh.intervalMs;
  const { now: result, charts } = useControllerView(controller, view.range, width, refetchInterval);
  const data = result.data;
  const live = data?.live ?? null;
  const onZoom = view.zoomTo;
  return (
    <>
      <header className="controller-header">
        <h1>
          Controller <code>{controller}</code>
        </h1>
        {data ? <VerdictReasons health={data.health} reasons={data.reasons} now={data.at} /> : <p className="muted">Loading the verdict…</p>}
      </header>
      <ViewToolbar view={view} lastUpdatedAt={result.dataUpdatedAt || null} pending={result.isPlaceholderData || charts.isPlaceholderData || (charts.isFetching && !charts.data)} />
      {result.error ? <p className="error">Could not load this controller: {result.error.message}</p> : null}
      {charts.error ? <p className="error">Could not load the charts: {charts.error.message}</p> : null}
      {data?.faults ? (
        display.faults === "hidden" ? (
          <p>
            <button type="button" onClick={() => setDisplay({ faults: null })} data-testid="show-faults">
              Show the demo fault timeline
            </button>
          </p>
        ) : (
          <div className="fault-timeline-wrap">
            <FaultTimeline faults={data.faults} range={view.range} controller={controller} now={data.at} />
            <button type="button" className="fault-hide" onClick={() => setDisplay({ faults: "hidden" })} data-testid="hide-faults">
              Hide
            </button>
          </div>
        )
      ) : null}
      <div className="chart-grid" id="charts" ref={grid} aria-busy={charts.isPlaceholderData}>
        {charts.data ? <Charts view={charts.data} range={view.range} onZoom={onZoom} /> : <p className="muted">Loading charts…</p>}
      </div>
      {data && !live ? <p className="muted">Live state is not available for this controller; it is known only from recorded metrics.</p> : null}
      {data && live ? (
        <div className="tables-grid">
          <section className="panel" aria-label="Keys in processing now" id="keys-in-processing">
            <h2>
              Keys in processing <span className="muted">now</span>
            </h2>
            <KeysInProcessingTable
              showController={false}
              now={live.at}
              stuckAfterMs={live.stuckAfterMs}
              rows={live.processing.map((p) => ({ key: p.key, controller, startedAt: live.at - p.runningMs, runningMs: p.runningMs, reconcileId: String(p.reconcileId) }))}
            />
          </section>
          <section className="panel" aria-label="Top retried keys" id="retried-keys">
            <TopKeysTable
              title="Top retried keys (in the selected range)"
              countLabel="Retries"
              showLastError
              now={data.at}
              emptyText="No key was retried in this range."
              rows={data.retried.map((r) => ({ key: r.key, count: r.retries, lastAt: r.lastAt, lastError: r.lastError }))}
            />
          </section>
          <section className="panel" aria-label="Hot keys" id="hot-keys">
            <TopKeysTable
              title="Hot keys now (adds in the last minute)"
              countLabel="Adds"
              now={live.at}
              emptyText="No key was added in the last minute."
              rows={live.hotKeys.map((h) => ({ key: h.key, count: h.adds }))}
            />
          </section>
          <section className="panel" aria-label="Recent errors" id="recent-errors">
            <h2>
              Recent errors <span className="muted">now (latest {live.recentErrors.length})</span>
            </h2>
            <RecentErrorsTable
              showController={false}
              now={live.at}
              emptyText="No reconcile error since the controller started."
              rows={live.recentErrors.map((e) => ({ at: e.at, controller, key: e.key, message: e.message, terminal: e.kind === "terminal", reconcileId: String(e.reconcileId) }))}
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
