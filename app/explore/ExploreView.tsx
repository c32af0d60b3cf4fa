"use client";

import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { LazyTimeSeriesChart as TimeSeriesChart } from "../../components/charts/LazyTimeSeriesChart";
import { rangeQueryKey } from "../../components/controls/time-range";
import { ViewToolbar } from "../../components/controls/ViewToolbar";
import { useDashboardUrlState } from "../../components/hooks/use-dashboard-url-state";
import { useUrlState } from "../../components/hooks/use-url-state";
import { unpackSeries } from "../../server/dashboard/packed-series";
import { usePlotWidth } from "../_dashboard/use-plot-width";
import { useTRPC } from "../_trpc/client";

const EXAMPLES = [
  'sum by (name) (workqueue_depth)',
  'sum by (controller, result) (rate(controller_runtime_reconcile_total[1m]))',
  'histogram_quantile(0.99, sum by (le, name) (rate(workqueue_work_duration_seconds_bucket[5m])))',
  "max(nodejs_eventloop_lag_p99_seconds)",
];

function slugKey(text: string): string {
  return `explore:${text.replace(/\s+/g, "").slice(0, 200)}`;
}

/** The explore page: the query in the URL (`?q=`, or `?series=<watched key>`), the chart, and "make it a rule / watch it". */
export function ExploreView() {
  const trpc = useTRPC();
  const view = useDashboardUrlState();
  const [params, setParams] = useUrlState({ q: "", series: "" }, { history: "push" });
  const [draft, setDraft] = useState(params.q);
  const grid = useRef<HTMLDivElement>(null);
  const width = usePlotWidth(grid);
  const watched = useQuery({ ...trpc.overview.watchedText.queryOptions({ key: params.series }), enabled: params.series !== "" && params.q === "", retry: false });
  useEffect(() => {
    if (watched.data && params.q === "") {
      setDraft(watched.data.text);
      setParams({ q: watched.data.text, series: null }, { history: "replace" });
    }
  }, [watched.data, params.q, setParams]);
  useEffect(() => setDraft(params.q), [params.q]);
  const key = rangeQueryKey(view.range, Math.max(50, width * 2 || 600));
  const refetchInterval = view.refresh.paused ? false : view.refresh.intervalMs;
  const result = useQuery({
    ...trpc.overview.explore.queryOptions({ text: params.q, ...key, width: Math.max(50, width * 2 || 600) }),
    enabled: params.q !== "" && width > 0,
    refetchInterval,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const series = useMemo(() => (result.data?.series ?? []).map((s) => ({ name: s.name, points: unpackSeries(s.packed) })), [result.data]);
  const run = (event: FormEvent) => {
    event.preventDefault();
    setParams({ q: draft.trim() || null });
  };

  const [ruleName, setRuleName] = useState("");
  const [comparator, setComparator] = useState(">");
  const [threshold, setThreshold] = useState("");
  const createRule = useMutation(trpc.alerts.rules.create.mutationOptions());
  const watch = useMutation(trpc.anomaly.upsertWatched.mutationOptions());
  const data = result.data;

  return (
    <>
      <form className="panel explore-form" onSubmit={run} aria-label="Query">
        <label htmlFor="explore-query" className="control-label">
          Query (PromQL subset: one selector, rate / increase / deriv / histogram_quantile, sum / avg / max / min by (…))
        </label>
        <div className="explore-row">
          <input
            id="explore-query"
            name="q"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            spellCheck={false}
            placeholder={EXAMPLES[0]}
            className="explore-input"
            aria-invalid={result.error ? true : undefined}
            aria-describedby={result.error ? "explore-error" : undefined}
          />
          <button type="submit" className="primary">
            Run
          </button>
        </div>
        {result.error ? (
          <p className="field-error" id="explore-error" role="alert">
            {result.error.message}
          </p>
        ) : null}
        <p className="field-hint">
          Examples:{" "}
          {EXAMPLES.map((e) => (
            <button key={e} type="button" className="link-button" onClick={() => setParams({ q: e })}>
              <code>{e}</code>
            </button>
          ))}
        </p>
      </form>
      <ViewToolbar view={view} lastUpdatedAt={result.dataUpdatedAt || null} pending={result.isPlaceholderData} />
      <div ref={grid} className="explore-chart" data-testid="explore-chart">
        {params.q === "" ? (
          <p className="muted">Type a query and press Run.</p>
        ) : (
          <TimeSeriesChart
            title={data?.text ?? params.q}
            unit="none"
            series={series}
            range={view.range}
            loading={result.isPending && !result.error}
            error={result.error?.message}
            legendStats
            height={320}
            onZoom={view.zoomTo}
          />
        )}
        {data?.truncated ? <p className="muted">Only the first 50 series are shown; narrow the query with matchers or by (…).</p> : null}
      </div>
      {data ? (
        <div className="tables-grid">
          <form
            className="panel"
            aria-label="Create an alert rule"
            onSubmit={(e) => {
              e.preventDefault();
              createRule.mutate({
                name: ruleName,
                kind: "threshold",
                spec: { query: data.ruleQuery, comparator, value: threshold.trim() === "" ? Number.NaN : Number(threshold) },
                for: "1m",
                interval: "15s",
              });
            }}
          >
            <h2>Alert when this query…</h2>
            <div className="form-grid">
              <label>
                Rule name
                <input value={ruleName} onChange={(e) => setRuleName(e.target.value)} name="ruleName" required />
              </label>
              <label>
                is
                <select value={comparator} onChange={(e) => setComparator(e.target.value)} name="comparator">
                  {[">", ">=", "<", "<=", "==", "!="].map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </select>
              </label>
              <label>
                than
                <input value={threshold} onChange={(e) => setThreshold(e.target.value)} name="threshold" inputMode="decimal" required />
              </label>
            </div>
            <div className="form-actions">
              <button type="submit" className="primary" disabled={createRule.isPending}>
                Create alert rule
              </button>
            </div>
            {createRule.error ? <p className="form-error">{createRule.error.message}</p> : null}
            {createRule.data ? (
              <p role="status">
                Rule created: <a href={`/alerts?tab=rules&rule=${createRule.data.id}`}>{createRule.data.name}</a>
              </p>
            ) : null}
          </form>
          <section className="panel" aria-label="Watch this series">
            <h2>Detect anomalies on it</h2>
            {data.watchQuery ? (
              <>
                <p className="muted">The detector learns this query's normal range and opens anomaly windows when it leaves it.</p>
                <button
                  type="button"
                  disabled={watch.isPending}
                  onClick={() => {
                    if (data.watchQuery) watch.mutate({ key: slugKey(data.text), title: data.text.slice(0, 200), query: data.watchQuery });
                  }}
                >
                  Watch this series
                </button>
                {watch.error ? <p className="form-error">{watch.error.message}</p> : null}
                {watch.isSuccess ? <p role="status">Watching it as a series; anomaly windows will show on the overview.</p> : null}
              </>
            ) : (
              <p className="muted">The detector takes raw, rate and histogram_quantile queries aggregated with sum, avg or max.</p>
            )}
          </section>
        </div>
      ) : null}
    </>
  );
}
