"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { Banner } from "../components/Banner";
import { ViewToolbar } from "../components/controls/ViewToolbar";
import { rangeQueryKey, rangeSearch } from "../components/controls/time-range";
import { useDashboardUrlState } from "../components/hooks/use-dashboard-url-state";
import { ControllerCard } from "../components/overview/ControllerCard";
import { NowList } from "../components/overview/NowList";
import { StatusPanel } from "../components/StatusPanel";
import { FindingsTable } from "../components/tables/FindingsTable";
import { useTRPC } from "./_trpc/client";

function Overview() {
  const trpc = useTRPC();
  const view = useDashboardUrlState();
  const refetchInterval = view.refresh.paused ? false : view.refresh.intervalMs;
  const status = useQuery({ ...trpc.system.status.queryOptions(), refetchInterval });
  const range = rangeQueryKey(view.range, 60);
  const overview = useQuery({ ...trpc.overview.summary.queryOptions({ ...range, points: 60 }), refetchInterval, placeholderData: keepPreviousData });
  const findings = useQuery({ ...trpc.cluster.findings.queryOptions(), refetchInterval });
  const data = overview.data;
  const search = rangeSearch(useSearchParams());
  return (
    <>
      <h1>Overview</h1>
      <ViewToolbar view={view} lastUpdatedAt={overview.dataUpdatedAt || null} pending={overview.isPlaceholderData} />
      {data?.demo ? (
        <Banner kind="demo" title="Demo cluster">
          Loopscope is watching a simulated cluster that injects faults on a schedule (bursts, slow and failing reconciles, a hot key, a stuck
          worker, leaked timers, sockets and promises). Point it at a real cluster with KUBECONFIG.
        </Banner>
      ) : null}
      {status.data && !status.data.ready ? (
        <Banner kind="degraded" title="Database unavailable">
          {status.data.reason}
        </Banner>
      ) : null}
      {data?.recorder?.degraded ? (
        <Banner kind="degraded" title="Recording degraded">
          Writes are failing ({data.recorder.lastError ?? "unknown error"}); {data.recorder.buffered} samples are buffered and will be written on
          recovery.
        </Banner>
      ) : null}
      {data?.recorder && data.recorder.dropped > 0 ? (
        <Banner kind="dropped" title="Samples dropped">
          {data.recorder.dropped} samples were dropped because the buffer was full while the database was unavailable.
        </Banner>
      ) : null}
      {overview.error ? <p className="error">Could not load the overview: {overview.error.message}</p> : null}
      {data && data.problems.length > 0 ? (
        <Banner kind="dropped" title="Overview incomplete">
          <span data-testid="overview-problems">{data.problems.join("; ")}</span>
        </Banner>
      ) : null}
      {data ? (
        <section className="panel" aria-labelledby="now-heading" id="now">
          <h2 id="now-heading">
            Now{" "}
            <span className="muted">
              — <a href="#now" data-testid="count-firing">{data.firingAlerts} firing alerts</a> ·{" "}
              <a href="#now" data-testid="count-anomalies">{data.openAnomalies} open anomaly windows</a> ·{" "}
              <a href="/leaks" data-testid="count-leaks">{data.leakSuspects} leak suspects</a>
            </span>
          </h2>
          <NowList items={data.now} now={data.at} />
        </section>
      ) : null}
      <section aria-label="Controllers">
        <h2>Controllers</h2>
        {!data && !overview.error ? <p className="muted">Loading controllers…</p> : null}
        {data && data.controllers.length === 0 ? <p className="muted">No controllers yet: the runtime is starting or no source is configured.</p> : null}
        <div className="controller-grid" data-testid="controller-grid" aria-busy={overview.isPlaceholderData}>
          {data?.controllers.map((c) => (
            <ControllerCard
              key={c.name}
              name={c.name}
              kind={c.kind}
              health={c.health}
              reasons={c.reasons}
              depthPoints={c.depthPoints}
              reconcileP99Points={c.reconcileP99Points}
              workersBusy={c.workersBusy ?? 0}
              workersMax={c.workersMax ?? 0}
              firingAlerts={c.firingAlerts}
              openAnomalies={c.openAnomalies}
              leakSuspects={c.leakSuspects}
              href={c.href}
              search={search}
              now={data.at}
            />
          ))}
        </div>
      </section>
      {findings.data?.available ? (
        <section className="panel" aria-label="Cluster findings">
          <h2>Cluster findings</h2>
          <FindingsTable rows={findings.data.findings} now={view.now} />
        </section>
      ) : null}
      {status.data ? <StatusPanel status={status.data} /> : null}
    </>
  );
}

export default function OverviewPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <Overview />
    </Suspense>
  );
}
