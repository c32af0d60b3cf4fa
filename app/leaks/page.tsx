"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { Suspense, useMemo, useState } from "react";
import { LazyTimeSeriesChart as TimeSeriesChart, preloadTimeSeriesChart } from "../../components/charts/LazyTimeSeriesChart";
import { formatTime } from "../../components/format/time";
import { ViewToolbar } from "../../components/controls/ViewToolbar";
import { useDashboardUrlState } from "../../components/hooks/use-dashboard-url-state";
import { useUrlState } from "../../components/hooks/use-url-state";
import { activeResourceDiff } from "../../components/leaks/active-resource-diff";
import { FullCaptureControl } from "../../components/leaks/FullCaptureControl";
import { GoTargetsPanel } from "../../components/leaks/GoTargetsPanel";
import { PromiseTrackingSwitch } from "../../components/leaks/PromiseTrackingSwitch";
import { ResourceDiffTable } from "../../components/leaks/ResourceDiffTable";
import { type SuspectGroup, SuspectGroupsTable } from "../../components/tables/SuspectGroupsTable";
import { useTRPC } from "../_trpc/client";
import { GoTargetResources } from "./GoTargetResources";

// Every view of this page charts: fetch the chart code at once, beside the page's data.
if (typeof window !== "undefined") void preloadTimeSeriesChart();

interface GroupRow {
  id: string;
  type: string;
  count: number;
  growthPerMinute: number;
  controllers: { controller: string; count: number }[];
  sampleKeys: string[];
  stack: string[];
  firstSeen: number;
}

function toSuspect(g: GroupRow, now: number): SuspectGroup {
  return {
    id: g.id,
    type: g.type,
    count: g.count,
    growthPerMin: g.growthPerMinute,
    controller: g.controllers.map((c) => c.controller).join(", ") || null,
    sampleKeys: g.sampleKeys,
    stack: g.stack.length > 0 ? g.stack.join("\n") : null,
    oldestAgeMs: now - g.firstSeen,
  };
}

function toLocalInput(ts: number): string {
  return formatTime(ts, "yyyy-MM-dd'T'HH:mm");
}

function Leaks() {
  const trpc = useTRPC();
  const view = useDashboardUrlState();
  const [diffState, setDiffState] = useUrlState({ diffFrom: "", diffTo: "" });
  const refetchInterval = view.refresh.paused ? false : view.refresh.intervalMs;
  const now = view.now;
  const status = useQuery({ ...trpc.leaks.status.queryOptions(), refetchInterval });
  const suspects = useQuery({ ...trpc.leaks.suspects.queryOptions(), refetchInterval });
  const history = useQuery({ ...trpc.leaks.activeResources.queryOptions({ since: Math.floor(view.range.from) }), refetchInterval });
  const diffFrom = diffState.diffFrom ? Date.parse(diffState.diffFrom) : now - 10 * 60_000;
  const diffTo = diffState.diffTo ? Date.parse(diffState.diffTo) : now;
  const diff = useQuery({ ...trpc.leaks.diff.queryOptions({ from: Math.floor(diffFrom), to: Math.floor(diffTo) }), refetchInterval });
  const capture = useMutation(trpc.leaks.setFullCapture.mutationOptions({ onSuccess: () => status.refetch() }));
  const deep = useMutation(trpc.leaks.setDeepMode.mutationOptions({ onSuccess: () => status.refetch() }));
  const goTargets = useQuery({ ...trpc.leaks.goTargets.queryOptions(), refetchInterval, retry: false });
  const [captureError, setCaptureError] = useState<string | null>(null);

  const series = useMemo(() => {
    const byType = new Map<string, [number, number][]>();
    for (const point of history.data ?? []) {
      for (const [type, count] of Object.entries(point.counts)) {
        if (!byType.has(type)) byType.set(type, []);
        byType.get(type)!.push([point.t, count]);
      }
    }
    return [...byType.entries()].map(([name, points]) => ({ name, points }));
  }, [history.data]);

  // Leaked groups that grew, then live resources by type that grew (a spike of sockets none of which outlived its reconcile).
  const diffRows = [
    ...(diff.data?.grown ?? []).map((d) => ({ type: `${d.type}${d.topFrame ? ` @ ${d.topFrame}` : ""}`, before: d.before, after: d.after })),
    ...activeResourceDiff(history.data ?? [], diffFrom, diffTo).map((d) => ({ type: `${d.type} (all live)`, before: d.before, after: d.after })),
  ];
  return (
    <>
      <h1>Leaks</h1>
      <ViewToolbar view={view} />
      <TimeSeriesChart title="Active resources by type" unit="count" series={series} range={view.range} loading={history.isPending} error={history.error?.message} />
      <section className="panel" aria-label="Leak suspects" style={{ marginTop: "1rem" }}>
        <h2>
          Suspect groups <span className="muted">(resources alive past the {Math.round((status.data?.graceMs ?? 30_000) / 1000)} s grace period, growing)</span>
        </h2>
        {suspects.error ? <p className="error">{suspects.error.message}</p> : null}
        <SuspectGroupsTable rows={(suspects.data?.suspects ?? []).map((g) => toSuspect(g, now))} />
        {(suspects.data?.unattributed.length ?? 0) > 0 ? (
          <details>
            <summary>Unattributed groups (created outside any reconcile; not blamed)</summary>
            <SuspectGroupsTable kind="unattributed" rows={(suspects.data?.unattributed ?? []).map((g) => toSuspect(g, now))} />
          </details>
        ) : null}
      </section>
      <section className="panel" aria-label="Go and agent targets">
        <h2>
          Go and agent targets <span className="muted">(goroutine groups from pprof; proven leaks, growth by the trend test, long blocks)</span>
        </h2>
        {goTargets.error ? <p className="muted">{goTargets.error.message}</p> : <GoTargetsPanel targets={goTargets.data ?? []} resources={(t) => <GoTargetResources target={t} range={view.range} refetchInterval={refetchInterval} />} />}
      </section>
      <section className="panel" aria-label="Diff between two times">
        <h2>What grew between two times</h2>
        <div className="view-toolbar">
          <label>
            From{" "}
            <input type="datetime-local" value={toLocalInput(diffFrom)} onChange={(e) => setDiffState({ diffFrom: e.target.value })} />
          </label>
          <label>
            To <input type="datetime-local" value={toLocalInput(diffTo)} onChange={(e) => setDiffState({ diffTo: e.target.value })} />
          </label>
        </div>
        <ResourceDiffTable rows={diffRows} fromLabel={formatTime(diffFrom, "HH:mm")} toLabel={formatTime(diffTo, "HH:mm")} />
      </section>
      <section className="panel" aria-label="Stack capture">
        <h2>Stack capture</h2>
        <p className="muted">
          Stacks are sampled at {Math.round((status.data?.effectiveStackSampleRate ?? 0) * 100)}% · {status.data?.tracked ?? 0} resources tracked (cap{" "}
          {status.data?.maxTracked ?? 0}, {status.data?.dropped ?? 0} over cap)
        </p>
        <FullCaptureControl
          active={status.data?.fullCaptureUntil != null && status.data.fullCaptureUntil > now}
          until={status.data?.fullCaptureUntil ?? null}
          now={now}
          busy={capture.isPending}
          onStart={(minutes) => capture.mutate({ minutes }, { onError: (e) => setCaptureError(e.message) })}
          onStop={() => capture.mutate({ minutes: 0 }, { onError: (e) => setCaptureError(e.message) })}
        />
        <PromiseTrackingSwitch
          enabled={status.data?.deepMode ?? false}
          trackedPromises={history.data?.at(-1)?.counts.PROMISE ?? null}
          fullCollections={status.data?.fullCollections ?? null}
          busy={deep.isPending}
          onChange={(enabled) => deep.mutate({ enabled }, { onError: (e) => setCaptureError(e.message) })}
        />
        {captureError ? <p className="error">{captureError}</p> : null}
      </section>
    </>
  );
}

export default function LeaksPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <Leaks />
    </Suspense>
  );
}
